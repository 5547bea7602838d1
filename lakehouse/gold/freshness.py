"""Is silver current enough to build gold from, and is gold as current as it should be?

Both questions compare a data time (silver's latest observation) with a reference time (a gold
run's data interval end), never with the wall clock, so a re-run of an old interval judges that
interval and not today. The bound is ``settings.gold_max_staleness_minutes``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import class_row

from lakehouse.gold.sql import load
from lakehouse.settings import Settings

log = logging.getLogger(__name__)


class GoldStaleError(RuntimeError):
    """Gold does not reflect silver as recent as the staleness bound requires."""


@dataclass(frozen=True)
class Freshness:
    """One row of the ``gold.freshness`` view."""

    silver_latest_observed_at: datetime | None
    silver_last_synced_at: datetime | None
    gold_latest_observed_at: datetime | None  # silver's latest observation as the refresh saw it
    gold_refreshed_at: datetime | None
    gold_refresh_kind: str | None
    pending_changed_flights: int


def read_freshness(settings: Settings) -> Freshness:
    with (
        psycopg.connect(settings.pg_conninfo("writer"), connect_timeout=10) as conn,
        conn.cursor(row_factory=class_row(Freshness)) as cur,
    ):
        row = cur.execute(load("freshness")).fetchone()
    assert row is not None  # the view always returns exactly one row
    return row


def within_bound(latest: datetime | None, reference: datetime, max_staleness: timedelta) -> bool:
    """True when ``latest`` is at most ``max_staleness`` before ``reference`` (bound inclusive)."""
    return latest is not None and latest >= reference - max_staleness


def describe_lag(latest: datetime | None, reference: datetime) -> str:
    """'its latest observation at <t>, N min before <reference>', for logs and errors."""
    if latest is None:
        return "no observations"
    minutes = (reference - latest).total_seconds() / 60
    where = f"{abs(minutes):.0f} min {'before' if minutes > 0 else 'after'} {reference}"
    return f"its latest observation at {latest:%Y-%m-%d %H:%M:%S}Z, {where}"


def _bound(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.gold_max_staleness_minutes)


def silver_ready_for(settings: Settings, interval_end: datetime) -> bool:
    """Sensor poke: has silver caught up to within the staleness bound of ``interval_end``?

    Late data needs no waiting: the refresh is driven by what changed, not by the interval, so a
    later run picks up whatever arrives after this one.
    """
    latest = read_freshness(settings).silver_latest_observed_at
    ready = within_bound(latest, interval_end, _bound(settings))
    log.info(
        "silver %s for the interval ending %s: it has %s (bound %d min)",
        "ready" if ready else "not ready yet",
        interval_end,
        describe_lag(latest, interval_end),
        settings.gold_max_staleness_minutes,
    )
    return ready


def check_gold_freshness(settings: Settings, interval_end: datetime) -> Freshness:
    """Fail loudly unless the last gold refresh saw silver within the bound of ``interval_end``."""
    fresh = read_freshness(settings)
    if fresh.gold_refreshed_at is None:
        raise GoldStaleError(
            "gold has never been refreshed: run the flights_gold_aggregate DAG, or "
            "lakehouse.gold.refresh.refresh_gold(settings, full=True)"
        )
    if not within_bound(fresh.gold_latest_observed_at, interval_end, _bound(settings)):
        raise GoldStaleError(
            f"gold is stale for the interval ending {interval_end}: when gold was last refreshed "
            f"({fresh.gold_refreshed_at}), silver had "
            f"{describe_lag(fresh.gold_latest_observed_at, interval_end)}: more than "
            f"LAKEHOUSE_GOLD_MAX_STALENESS_MINUTES={settings.gold_max_staleness_minutes}. "
            "Check the flights_silver_process DAG and failed rows in meta.bronze_objects. "
            f"Silver now has {describe_lag(fresh.silver_latest_observed_at, interval_end)}."
        )
    log.info(
        "gold fresh for the interval ending %s: refreshed %s when silver had %s; %d pending",
        interval_end,
        fresh.gold_refreshed_at,
        describe_lag(fresh.gold_latest_observed_at, interval_end),
        fresh.pending_changed_flights,
    )
    return fresh
