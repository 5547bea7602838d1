"""Airflow's SparkSubmitOperator runs a real Delta job with the project's Spark settings."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_selfcheck_dag_submits_a_delta_roundtrip(airflow_env, settings, services):
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS / "lakehouse_selfcheck.py")).get_dag("lakehouse_selfcheck")
    run = dag.test()
    assert run.state == "success"
    from lakehouse.s3 import s3_client

    listed = s3_client(settings).list_objects_v2(Bucket=settings.bucket, Prefix="_selfcheck/")
    assert any(o["Key"].endswith(".json") and "_delta_log" in o["Key"] for o in listed["Contents"])
