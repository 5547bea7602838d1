"""Make the ledger match the bucket: register every bronze object the ledger is missing.

The object lands first and the ledger row follows, so a crash between the two leaves an object
silver would never hear of. Reconcile lists the snapshot keys of the given days, and for each
key the ledger lacks it reads the object's own envelope to fill the row. The bucket is the
truth; reconcile never writes to it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lakehouse.bronze.envelope import EnvelopeError
from lakehouse.bronze.ledger import entry_for_object, known_keys, record_objects
from lakehouse.bronze.writer import list_keys, read_object
from lakehouse.s3 import s3_client
from lakehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

_SNAPSHOT_NAME = re.compile(r"flights_\d{8}_\d{4}\.json")


class ReconcileError(RuntimeError):
    """Some bronze objects could not be registered; the message lists them."""


@dataclass(frozen=True)
class ReconcileResult:
    days: list[date]
    listed: int
    registered: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": [d.isoformat() for d in self.days],
            "listed": self.listed,
            "registered": self.registered,
            "unreadable": self.unreadable,
            "seconds": round(self.seconds, 3),
        }


def day_prefix(day: date, bronze_prefix: str) -> str:
    """``bronze/YYYY/MM/DD/``: where a day's snapshot objects live."""
    head = bronze_prefix.strip("/")
    return f"{head}/{day:%Y/%m/%d}/" if head else f"{day:%Y/%m/%d}/"


def reconcile(
    days: Iterable[date],
    *,
    settings: Settings | None = None,
    client: Any = None,
    strict: bool = True,
) -> ReconcileResult:
    """Register the snapshot objects of ``days`` that the ledger does not hold yet.

    An object whose envelope cannot be read is not registered (a ledger row would send silver
    to it); with ``strict`` the call then raises ``ReconcileError`` after registering the rest,
    so the problem is loud. Safe to run any time and concurrently with ingestion: inserts are
    ``ON CONFLICT DO NOTHING`` and every row is read from the stored object itself.
    """
    s = settings or get_settings()
    client = client or s3_client(s)
    wanted = sorted(set(days))
    started = time.perf_counter()
    listed: list[str] = []
    for day in wanted:
        for key in list_keys(client, s.bucket, day_prefix(day, s.bronze_prefix)):
            if _SNAPSHOT_NAME.fullmatch(key.rsplit("/", 1)[-1]):
                listed.append(key)
    missing = sorted(set(listed) - known_keys(listed, settings=s))
    registered: list[str] = []
    unreadable: dict[str, str] = {}
    for key in missing:
        try:
            entry = entry_for_object(key, read_object(client, s.bucket, key))
        except EnvelopeError as exc:
            unreadable[key] = str(exc)
            log.error("reconcile %s: not a valid envelope, not registered: %s", key, exc)
            continue
        registered.extend(record_objects([entry], settings=s))
        log.warning(
            "reconcile %s: was missing from the ledger; registered (%d flights, %d bytes)",
            key,
            entry.flight_count,
            entry.byte_size,
        )
    result = ReconcileResult(
        wanted, len(listed), registered, unreadable, time.perf_counter() - started
    )
    log.info(
        "reconcile %s: %d object(s) listed, %d missing from the ledger, %d registered, "
        "%d unreadable, %.2fs",
        ", ".join(d.isoformat() for d in wanted),
        len(listed),
        len(missing),
        len(registered),
        len(unreadable),
        result.seconds,
    )
    if strict and unreadable:
        raise ReconcileError(
            f"{len(unreadable)} bronze object(s) are not valid envelopes and were not "
            f"registered: {sorted(unreadable)[:5]}. Inspect them (bronze is never edited); "
            "silver will not read them until they are registered by hand"
        )
    return result


def reconcile_interval(data_interval_start: datetime) -> dict[str, Any]:
    """Task: reconcile the run's day and the day before (a crash just before midnight)."""
    day = datetime.fromtimestamp(data_interval_start.timestamp(), UTC).date()
    return reconcile([day - timedelta(days=1), day]).to_dict()
