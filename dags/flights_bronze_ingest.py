"""
### Flights bronze ingest

Every 15 minutes (`LAKEHOUSE_INGEST_SCHEDULE`), one snapshot of the live feed lands in
`s3://<bucket>/bronze/YYYY/MM/DD/flights_YYYYMMDD_HHMM.json`, named by the run's data
interval, never the clock. The source is `LAKEHOUSE_SOURCE` (`simulator` or `fr24`).

- **fetch_and_write**: fetches the whole snapshot and writes it with a conditional create.
  An object that is already there is neither fetched again nor replaced: re-running an
  interval is safe and reports "already landed".
- **register**: records the object in `meta.bronze_objects` (idempotent) and emits the bronze
  Asset that silver listens to.
- **reconcile_ledger**: registers any object of today or yesterday that a crashed run wrote
  but never recorded. Independent of the other two, so it repairs even when the fetch fails.

Backfills and ad-hoc runs: `lakehouse ingest --from ... --to ...` (same code, same keys).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset, dag, task

from lakehouse.orchestration import OWNER
from lakehouse.settings import get_settings

BRONZE_ASSET = Asset("s3://flights-data/bronze")


@dag(
    dag_id="flights_bronze_ingest",
    schedule=get_settings().ingest_schedule,  # an environment read, nothing more
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=14),
    doc_md=__doc__,
    tags=["lakehouse", "bronze"],
    default_args={
        "owner": OWNER,
        "retries": 3,
        "retry_delay": timedelta(seconds=20),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=3),
        "execution_timeout": timedelta(minutes=8),
    },
)
def flights_bronze_ingest() -> None:
    @task
    def fetch_and_write(data_interval_start: datetime | None = None) -> dict[str, Any]:
        from lakehouse.bronze.ingest import land_interval

        assert data_interval_start is not None
        return land_interval(data_interval_start)

    @task(outlets=[BRONZE_ASSET])
    def register(landed: dict[str, Any]) -> dict[str, Any]:
        from lakehouse.bronze.ingest import register_landed

        return register_landed(landed)

    @task
    def reconcile_ledger(data_interval_start: datetime | None = None) -> dict[str, Any]:
        from lakehouse.bronze.reconcile import reconcile_interval

        assert data_interval_start is not None
        return reconcile_interval(data_interval_start)

    register(fetch_and_write())
    reconcile_ledger()


flights_bronze_ingest()
