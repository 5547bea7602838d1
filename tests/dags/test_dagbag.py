"""Every DAG file parses, without touching a service, and follows the house rules."""

from __future__ import annotations

from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag(airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dagbag_has_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_every_dag_is_documented_tagged_owned_and_retried(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md, f"{dag_id}: set doc_md=__doc__"
        assert dag.tags, f"{dag_id}: give it tags"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id}: set owner"
            assert task.retries >= 1 or task.task_type.endswith("Sensor"), (
                f"{dag_id}.{task.task_id}: set retries"
            )
