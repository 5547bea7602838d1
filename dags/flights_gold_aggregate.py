"""
### Gold: silver observations → the answers analysts query, hourly and whenever silver publishes

Scheduled on the hour (`LAKEHOUSE_GOLD_SCHEDULE`) **or** as soon as the silver job updates the
`s3://flights-data/silver/flights_clean` asset, whichever comes first: gold follows a new bronze
snapshot within a minute or two instead of up to an hour, and the hourly run still happens (and
its freshness check still fails loudly) when silver has stalled.

1. **wait_for_silver** (sensor, reschedule mode: frees its worker slot between pokes) waits until
   silver's latest observation in Postgres is within `LAKEHOUSE_GOLD_MAX_STALENESS_MINUTES` of
   this run's data interval end. It checks the data itself, not the silver DAG's runs, so it is
   right however `flights_silver_process` was run (continuously, by hand, as a backfill). After
   50 minutes it fails: silver is stalled, see `flights_silver_process` and `meta.bronze_objects`.
2. **refresh_gold** runs the SQL in `lakehouse/gold/*.sql` in one transaction: only the flight
   dates touched since the last refresh (the old and the new date of every flight written in
   silver) are recomputed; the refresh is recorded in `meta.gold_refresh`.
3. **check_gold_freshness** fails loudly when the refresh saw silver staler than the bound.

Tables (`gold.daily_flight_counts`, `gold.average_speed_by_airline`, `gold.busiest_routes`, their
`*_named` views and `gold.freshness`) and their definitions: `docs/metrics.md`.
A full rebuild: `lakehouse.gold.refresh.refresh_gold(settings, full=True)`.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, dag, task

# Parse-time values come from the environment, like every LAKEHOUSE_* setting (no package import).
SCHEDULE = os.environ.get("LAKEHOUSE_GOLD_SCHEDULE", "@hourly")
SILVER_FLIGHTS = Asset("s3://flights-data/silver/flights_clean")


@dag(
    dag_id="flights_gold_aggregate",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(SCHEDULE, timezone="UTC", interval=timedelta(hours=1)),
        assets=SILVER_FLIGHTS,
    ),
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["lakehouse", "gold"],
    default_args={
        "owner": "data-platform",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
    },
)
def flights_gold_aggregate() -> None:
    @task.sensor(
        mode="reschedule", poke_interval=timedelta(minutes=1), timeout=timedelta(minutes=50)
    )
    def wait_for_silver(data_interval_end: datetime | None = None, dag_run=None) -> bool:
        from lakehouse.gold.freshness import silver_ready_for
        from lakehouse.settings import get_settings

        return silver_ready_for(get_settings(), data_interval_end or dag_run.run_after)

    @task(inlets=[SILVER_FLIGHTS], execution_timeout=timedelta(minutes=30))
    def refresh_gold() -> dict[str, object]:
        from lakehouse.gold.refresh import refresh_gold
        from lakehouse.settings import get_settings

        result = refresh_gold(get_settings())
        return {
            "refresh_id": result.refresh_id,
            "kind": result.kind,
            "changed_flights": result.changed_flights,
            "days_recomputed": result.days_recomputed,
            "rows_written": result.rows_written,
            "seconds": round(result.seconds, 3),
        }

    @task
    def check_gold_freshness(data_interval_end: datetime | None = None, dag_run=None) -> None:
        from lakehouse.gold.freshness import check_gold_freshness
        from lakehouse.settings import get_settings

        check_gold_freshness(get_settings(), data_interval_end or dag_run.run_after)

    wait_for_silver() >> refresh_gold() >> check_gold_freshness()


flights_gold_aggregate()
