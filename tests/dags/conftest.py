"""Fixtures for the DAG tests: one way to load a single DAG file into Airflow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture
def load_dag(airflow_env) -> Callable[[str], Any]:
    """``load_dag(dag_id)``: the DAG parsed from ``dags/<dag_id>.py``, which must import cleanly."""
    from airflow.dag_processing.dagbag import DagBag

    def load(dag_id: str) -> Any:
        bag = DagBag(dag_folder=str(DAGS / f"{dag_id}.py"))
        assert bag.import_errors == {}
        return bag.get_dag(dag_id)

    return load
