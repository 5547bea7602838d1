"""The maintenance DAG: wired like the other Spark DAGs, and a real run compacts a closed day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_FILE = DAGS / "flights_silver_maintenance.py"


@pytest.fixture(scope="module")
def dag(airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.get_dag("flights_silver_maintenance")


def test_runs_daily_one_run_at_a_time(dag):
    assert dag.max_active_runs == 1
    assert dag.timetable.expression == "30 3 * * *"
    assert dag.start_date is None  # first run at the next 03:30, not when Airflow starts
    assert not dag.catchup


def test_submits_the_maintenance_job_with_a_closed_partition_cut_off(dag):
    (task,) = dag.tasks
    assert task.task_type == "SparkSubmitOperator"
    assert task.application.endswith("lakehouse/silver/maintenance.py")
    assert task.application_args == [
        "--before",
        "{{ macros.ds_add(dag_run.run_after | ds, -1) }}",
    ]
    assert task.retries >= 1 and task.owner == "data-platform"


@pytest.mark.integration
@pytest.mark.slow
def test_a_dag_run_compacts_yesterdays_files_and_keeps_todays(
    dag, spark, settings, services, monkeypatch
):
    from pyspark.sql import functions as F

    from lakehouse.silver import merge
    from lakehouse.silver.schema import FLIGHTS_CLEAN_SCHEMA

    s = dataclasses.replace(settings, silver_prefix=f"t-{uuid.uuid4().hex[:10]}/silver")
    merge.ensure_tables(spark, s)
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    old = today - dt.timedelta(days=3)
    for n, at in enumerate([old, old + dt.timedelta(minutes=1), today, today]):
        row = dict.fromkeys(FLIGHTS_CLEAN_SCHEMA.fieldNames())
        row.update(flight_id=f"f{n}", observed_at=at, observed_date=at.date(), snapshot_time=at,
                   bronze_key=f"bronze/k{n}")  # fmt: skip
        batch = spark.createDataFrame([row], FLIGHTS_CLEAN_SCHEMA)
        merge.merge_flights_clean(spark, s, batch, [at.date()])

    def files_per_day():
        df = merge.read_table(spark, s, merge.FLIGHTS_CLEAN)
        return {
            r["observed_date"]: r["files"]
            for r in df.groupBy("observed_date")
            .agg(F.countDistinct("_metadata.file_path").alias("files"))
            .collect()
        }

    assert files_per_day() == {old.date(): 2, today.date(): 2}
    rows_before = sorted(
        tuple(r) for r in merge.read_table(spark, s, merge.FLIGHTS_CLEAN).collect()
    )

    monkeypatch.setenv("LAKEHOUSE_SILVER_PREFIX", s.silver_prefix)  # read by the spark-submit child
    run = dag.test()
    assert run.state == "success"
    assert files_per_day() == {old.date(): 1, today.date(): 2}
    rows_after = sorted(tuple(r) for r in merge.read_table(spark, s, merge.FLIGHTS_CLEAN).collect())
    assert rows_after == rows_before
