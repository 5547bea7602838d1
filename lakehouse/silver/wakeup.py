"""When should the silver job run? When bronze holds an object the ledger has not processed.

A plain "key exists" check is true forever once any object exists; this asks the ledger about
exactly the keys the S3 sensor listed (one day's prefix), so the sensor fires only for new work.
"""

from __future__ import annotations

from typing import Any


def has_unprocessed_objects(files: list[dict[str, Any]], **_context: Any) -> bool:
    """``check_fn`` for the S3KeySensor: any listed key not yet ``processed``?

    A key the ledger does not know yet (landed, but its ledger row not written) counts as work:
    the silver job reconciles the ledger with the bucket before it selects its batch.
    """
    keys = [f["Key"] for f in files if f.get("Key")]
    if not keys:
        return False
    from lakehouse.bronze import ledger
    from lakehouse.settings import get_settings

    return bool(ledger.unprocessed_among(get_settings(), keys))


def bronze_day_pattern(prefix: str = "bronze") -> str:
    """Sensor key pattern for the data interval's UTC day (a Jinja template)."""
    return (
        prefix.strip("/")
        + "/{{ data_interval_end.in_timezone('UTC').strftime('%Y/%m/%d') }}/flights_*.json"
    )
