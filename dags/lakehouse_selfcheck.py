"""
### Lakehouse self-check

Run it by hand after a deployment: one `spark-submit` through the `spark_default` connection that
writes a small Delta table to `s3a://<bucket>/_selfcheck/<run id>` and reads it back. Green means
the jars, `conf/spark-defaults.conf`, the S3 credentials and the Spark master all work together.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import dag

from lakehouse.orchestration import DEFAULT_RETRIES, OWNER, spark_job_path, spark_properties_file


@dag(
    dag_id="lakehouse_selfcheck",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    doc_md=__doc__,
    tags=["lakehouse", "ops"],
    default_args={"owner": OWNER, "retries": DEFAULT_RETRIES, "retry_delay": timedelta(seconds=30)},
    user_defined_macros={"spark_properties_file": spark_properties_file},
)
def lakehouse_selfcheck() -> None:
    SparkSubmitOperator(
        task_id="spark_delta_roundtrip",
        conn_id="spark_default",
        application=spark_job_path("lakehouse.selfcheck"),
        properties_file="{{ spark_properties_file() }}",
        name="lakehouse-selfcheck",
    )


lakehouse_selfcheck()
