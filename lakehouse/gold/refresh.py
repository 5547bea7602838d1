"""Refresh the gold tables from silver: only the days that changed, in one transaction.

A flight's date can move when an earlier observation lands late, so "the days that changed" are
found per flight: triggers on ``silver.flights_clean`` log every flight id a write touches, and a
refresh recomputes those flights' attribution (``gold.flights``), then every metric row of the
dates they had before and have now. The transaction runs at REPEATABLE READ behind a lock that
serialises refreshes: the change log, silver and gold are read in one snapshot, and only the log
rows that snapshot saw are consumed, so a sync committing meanwhile is simply handled next time.
A full rebuild runs the very same steps with every silver flight marked as changed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime

import psycopg

from lakehouse.gold.sql import load
from lakehouse.settings import Settings

log = logging.getLogger(__name__)

# Steps after "which flights changed": identical for incremental and full runs, so a full rebuild
# can only differ from an incremental one if the change log missed a write.
_RECOMPUTE = (
    "flight_attribution",
    "affected_days",
    "flights",
    "daily_flight_counts",
    "average_speed_by_airline",
    "busiest_routes",
    "consume_changes",
)
INCREMENTAL_STEPS = ("changed_flights_incremental", *_RECOMPUTE)
FULL_STEPS = ("reset", "changed_flights_full", *_RECOMPUTE)


@dataclass(frozen=True)
class RefreshResult:
    """What one committed refresh did (also recorded in ``meta.gold_refresh``)."""

    refresh_id: int
    kind: str  # "full" or "incremental"
    reason: str
    changed_flights: int
    days: tuple[date, ...]
    rows_written: int  # metric rows (all three tables) now present for the recomputed days
    silver_latest_observed_at: datetime | None
    seconds: float

    @property
    def days_recomputed(self) -> int:
        return len(self.days)

    def summary(self) -> str:
        span = f" ({self.days[0]} .. {self.days[-1]})" if self.days else ""
        return (
            f"gold {self.kind} refresh #{self.refresh_id} ({self.reason}): "
            f"{self.changed_flights} changed flights, "
            f"{self.days_recomputed} days recomputed{span}, "
            f"{self.rows_written} rows written, silver up to {self.silver_latest_observed_at}, "
            f"{self.seconds:.2f}s"
        )


def _choose_kind(full: bool, refreshed_before: bool, silver_truncated: bool) -> tuple[str, str]:
    if full:
        return "full", "requested"
    if not refreshed_before:
        # Silver rows written before the change log existed were never logged.
        return "full", "first refresh"
    if silver_truncated:
        return "full", "silver.flights_clean was truncated"
    return "incremental", "changes since the last refresh"


def refresh_gold(settings: Settings, full: bool = False) -> RefreshResult:
    """Bring gold up to date with silver; ``full`` recomputes every day from scratch.

    Safe to run at any time, also while a sync writes silver, and concurrently with itself (the
    second run waits for the first, then finds little or nothing to do).
    """
    started = time.perf_counter()
    with psycopg.connect(settings.pg_conninfo("writer"), connect_timeout=10) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            conn.execute(load("lock"))
            plan = conn.execute(load("plan")).fetchone()
            assert plan is not None
            kind, reason = _choose_kind(full, bool(plan[0]), bool(plan[1]))
            for step in FULL_STEPS if kind == "full" else INCREMENTAL_STEPS:
                conn.execute(load(step))
            params = {"kind": kind, "reason": reason, "seconds": time.perf_counter() - started}
            row = conn.execute(load("record_refresh"), params).fetchone()
            assert row is not None
    refresh_id, changed, days, rows_written, silver_latest = row
    result = RefreshResult(
        refresh_id=refresh_id,
        kind=kind,
        reason=reason,
        changed_flights=changed,
        days=tuple(days),
        rows_written=rows_written,
        silver_latest_observed_at=silver_latest,
        seconds=time.perf_counter() - started,
    )
    log.info(result.summary())
    return result
