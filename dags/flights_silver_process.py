"""
### Silver: bronze snapshots → clean Delta tables → Postgres

Runs continuously, one run at a time (one writer per Delta table). Each run waits in the
triggerer until the day's bronze prefix holds an object the ledger has not processed, then
`spark-submit`s `lakehouse/silver/job.py`, which:

1. reads every pending bronze object (bounded batches), parses, cleans and deduplicates it,
   quarantining what cannot be trusted with a reason;
2. validates the batch with the Great Expectations suites in `expectations/` (write-audit-publish:
   a failed critical expectation publishes nothing and marks the ledger);
3. MERGEs into `s3a://<bucket>/silver/*` and records per object raw = clean + quarantined +
   duplicates in `meta.bronze_objects`;
4. syncs the Delta change data feed into `silver.*` in Postgres, exactly once.

Master and deploy mode come from the `spark_default` connection (`local[*]` locally, the
standalone master in docker-compose). Backfills: see the README (`spark-submit ... --from/--to`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Asset, dag

from lakehouse.orchestration import (
    DEFAULT_RETRIES,
    OWNER,
    SILVER_ASSET_URI,
    setting,
    spark_job_path,
    spark_properties_file,
)
from lakehouse.silver.wakeup import bronze_day_pattern, has_unprocessed_objects


@dag(
    dag_id="flights_silver_process",
    schedule="@continuous",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["lakehouse", "silver"],
    default_args={
        "owner": OWNER,
        "retries": DEFAULT_RETRIES,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
    },
    user_defined_macros={"spark_properties_file": spark_properties_file},
)
def flights_silver_process() -> None:
    wait = S3KeySensor(
        task_id="wait_for_unprocessed_bronze",
        aws_conn_id="aws_default",
        bucket_name=setting("bucket", "flights-data"),
        bucket_key=bronze_day_pattern(setting("bronze_prefix", "bronze")),
        wildcard_match=True,
        check_fn=has_unprocessed_objects,
        deferrable=setting("sensor_deferrable", "true") == "true",
        poke_interval=10,
        # No new bronze for six hours is worth a red run; errors are never silenced as skips.
        timeout=6 * 3600,
        mode="reschedule",
    )
    silver_job = SparkSubmitOperator(
        task_id="silver_job",
        conn_id="spark_default",
        application=spark_job_path("lakehouse.silver.job"),
        properties_file="{{ spark_properties_file() }}",
        name="lakehouse-silver",
        outlets=[Asset(SILVER_ASSET_URI)],
        execution_timeout=timedelta(hours=2),
    )
    wait >> silver_job


flights_silver_process()
