"""
### Silver maintenance: compact and vacuum the Delta tables

Daily at 03:30 UTC, one run at a time, `spark-submit`s `lakehouse/silver/maintenance.py`, which
for every silver table (`flights_clean`, `flights_quarantine`, `dim_airport`, `dim_airline`):

1. **OPTIMIZE** (bin-packing compaction): the small files the 15-minute MERGEs leave, one per
   batch and partition, become a few large ones. The commit changes no data, so the change data
   feed (and the Postgres sync) sees nothing.
2. **VACUUM** with `LAKEHOUSE_DELTA_VACUUM_RETENTION_HOURS` (default 168): deletes files that no
   table version of the last 7 days needs. Delta's retention safety check stays on, so time
   travel within the retention and readers still running keep their files.

**Not racing the silver writer.** Partitioned tables are compacted only in partitions before
the day before the run (`--before`), which `flights_silver_process` no longer writes: its MERGE
names the batch's dates as literals in the ON clause, so it reads and rewrites only those
partitions, and Delta's optimistic concurrency lets the two commit side by side. The small
dimension tables are compacted whole; if that ever meets a silver MERGE of the same table, Delta
fails one of the two cleanly and its retry repeats it. Backfills and reprocessing of old days
(`job.py --from/--to`, `--full-refresh`): pause this DAG while they run.

Manual run with another cut-off: `spark-submit ... maintenance.py --before YYYY-MM-DD`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import CronTriggerTimetable, dag

from lakehouse.orchestration import DEFAULT_RETRIES, OWNER, spark_job_path, spark_properties_file


@dag(
    dag_id="flights_silver_maintenance",
    # No start_date: a newly started Airflow waits for the next 03:30 UTC instead of compacting
    # at once, beside the first silver runs (run_immediately=False).
    schedule=CronTriggerTimetable("30 3 * * *", timezone="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["lakehouse", "silver", "maintenance"],
    default_args={
        "owner": OWNER,
        "retries": DEFAULT_RETRIES,
        "retry_delay": timedelta(minutes=10),
    },
    user_defined_macros={"spark_properties_file": spark_properties_file},
)
def flights_silver_maintenance() -> None:
    SparkSubmitOperator(
        task_id="compact_and_vacuum",
        conn_id="spark_default",
        application=spark_job_path("lakehouse.silver.maintenance"),
        # the day before the run: partitions older than it are closed to the silver writer
        application_args=["--before", "{{ macros.ds_add(dag_run.run_after | ds, -1) }}"],
        properties_file="{{ spark_properties_file() }}",
        name="lakehouse-silver-maintenance",
        execution_timeout=timedelta(hours=3),
    )


flights_silver_maintenance()
