"""Independent expectations for the tests: the contract's rules in plain Python.

Nothing here imports the package's Spark or SQL code, so a test comparing the pipeline with these
functions compares two separate implementations of the same contract.
"""

from __future__ import annotations

import json
import re

FLIGHT_ID = re.compile(r"^[0-9A-Za-z]{1,64}$")


def _number(value):
    """A finite float, or None for what the contract treats as unknown."""
    if value in ("", "N/A", None) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def expected_from_bronze(s3, settings, keys):
    """(clean keys, quarantined count, raw count) by the contract, in plain Python."""
    clean, quarantined, raw = set(), 0, 0
    for key in keys:
        envelope = json.loads(s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read())
        for response in envelope["responses"]:
            body = json.loads(response["body"])
            for entry_key, value in body.items():
                if entry_key in ("full_count", "version", "stats"):
                    continue
                raw += 1
                ok = isinstance(value, list) and len(value) == 19 and FLIGHT_ID.match(entry_key)
                if ok:
                    seconds = _number(value[10])
                    lat, lon = _number(value[1]), _number(value[2])
                    ok = (
                        seconds is not None
                        and seconds > 0
                        and lat is not None
                        and -90 <= lat <= 90
                        and lon is not None
                        and -180 <= lon <= 180
                    )
                if ok:
                    clean.add((entry_key, int(seconds)))
                else:
                    quarantined += 1
    return clean, quarantined, raw
