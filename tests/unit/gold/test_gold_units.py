"""Gold logic that needs no database: bounds, refresh planning, the SQL file set, settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from importlib import resources

import pytest

from lakehouse.gold import refresh
from lakehouse.gold.freshness import describe_lag, within_bound
from lakehouse.gold.refresh import FULL_STEPS, INCREMENTAL_STEPS, RefreshResult, _choose_kind
from lakehouse.gold.report import TOP_QUERIES, top_rows
from lakehouse.gold.sql import load
from lakehouse.settings import Settings

NOON = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("latest", "fresh"),
    [
        (NOON - HOUR, True),  # boundary: exactly the bound
        (NOON - HOUR - timedelta(microseconds=1), False),
        (NOON + HOUR, True),  # silver ahead of the interval (a re-run of an old interval)
        (None, False),  # empty silver
    ],
)
def test_within_bound_is_inclusive_and_false_without_data(latest, fresh):
    assert within_bound(latest, NOON, HOUR) is fresh


def test_describe_lag_says_before_or_after_in_minutes():
    assert describe_lag(None, NOON) == "no observations"
    assert describe_lag(NOON - timedelta(minutes=61), NOON).endswith(f"61 min before {NOON}")
    assert "5 min after" in describe_lag(NOON + timedelta(minutes=5), NOON)


@pytest.mark.parametrize(
    ("full", "refreshed_before", "truncated", "expected"),
    [
        (True, True, False, ("full", "requested")),
        (False, False, False, ("full", "first refresh")),
        (False, True, True, ("full", "silver.flights_clean was truncated")),
        (False, True, False, ("incremental", "changes since the last refresh")),
    ],
)
def test_refresh_kind_is_full_only_when_asked_first_or_after_truncation(
    full, refreshed_before, truncated, expected
):
    assert _choose_kind(full, refreshed_before, truncated) == expected


def test_full_and_incremental_runs_share_every_recompute_step():
    assert FULL_STEPS[0] == "reset" and INCREMENTAL_STEPS[0] == "changed_flights_incremental"
    assert FULL_STEPS[2:] == INCREMENTAL_STEPS[1:]
    assert INCREMENTAL_STEPS[-1] == "consume_changes"


def test_every_sql_file_is_used_and_every_used_file_exists():
    shipped = {
        p.name.removesuffix(".sql")
        for p in (resources.files("lakehouse.gold")).iterdir()
        if p.name.endswith(".sql")
    }
    used = (
        set(FULL_STEPS)
        | set(INCREMENTAL_STEPS)
        | {"lock", "plan", "record_refresh", "freshness"}
        | set(TOP_QUERIES.values())
    )
    assert shipped == used
    for name in used:
        assert load(name).strip().endswith(";"), name


def test_lock_comes_first_and_nothing_before_the_plan_takes_a_snapshot():
    # LOCK takes no snapshot, and neither does SET: the plan step's query is the first to take
    # one, after the lock wait. A query here would fix the snapshot too early.
    body = "\n".join(line for line in load("lock").splitlines() if not line.startswith("--"))
    statements = [s.strip() for s in body.split(";") if s.strip()]
    assert statements == [
        "LOCK TABLE meta.gold_refresh IN SHARE ROW EXCLUSIVE MODE",
        "SET LOCAL random_page_cost = 1.1",
    ]


def test_refresh_result_summary_has_the_numbers():
    result = RefreshResult(
        refresh_id=7,
        kind="incremental",
        reason="changes since the last refresh",
        changed_flights=3,
        days=(date(2025, 9, 20), date(2025, 9, 21)),
        rows_written=12,
        silver_latest_observed_at=NOON,
        seconds=0.25,
    )
    assert result.days_recomputed == 2
    assert result.summary() == (
        "gold incremental refresh #7 (changes since the last refresh): 3 changed flights, "
        "2 days recomputed (2025-09-20 .. 2025-09-21), 12 rows written, "
        "silver up to 2025-09-20 12:00:00+00:00, 0.25s"
    )


def test_top_rows_rejects_a_limit_below_one_before_connecting():
    with pytest.raises(ValueError, match="at least 1"):
        top_rows(Settings(), limit=0)


def test_staleness_bound_is_read_from_the_environment():
    assert Settings().gold_max_staleness_minutes == 60
    env = {"LAKEHOUSE_GOLD_MAX_STALENESS_MINUTES": "15"}
    assert Settings.from_env(env).gold_max_staleness_minutes == 15


def test_refresh_module_names_its_steps_in_order():
    assert refresh.INCREMENTAL_STEPS == (
        "changed_flights_incremental",
        "flight_attribution",
        "affected_days",
        "flights",
        "daily_flight_counts",
        "average_speed_by_airline",
        "busiest_routes",
        "consume_changes",
    )
