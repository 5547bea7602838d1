"""Nobody gets where they don't belong, and no secret leaks into what Airflow shows or logs.

Roles: what tests/integration/test_runtime_smoke.py does not cover yet (the reader may not write
gold or touch meta; the writer may not drop or create schemas or roles). Airflow: every template
field of every task, rendered as a run would render it, holds no secret value from the settings.
"""

from __future__ import annotations

import dataclasses
import types

import pendulum
import psycopg
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO gold.daily_flight_counts SELECT * FROM gold.daily_flight_counts LIMIT 0",
        "UPDATE gold.daily_flight_counts SET flights = flights WHERE false",
        "DELETE FROM gold.daily_flight_counts WHERE false",
        "TRUNCATE gold.daily_flight_counts",
        "DROP TABLE gold.daily_flight_counts",
        "INSERT INTO meta.bronze_objects (key) VALUES ('intruder')",
        "SELECT * FROM silver.dim_airport",
    ],
)
def test_reader_role_cannot_write_gold_or_touch_meta_and_silver(settings, services, statement):
    with (
        psycopg.connect(settings.pg_conninfo("reader")) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_reader_role_can_still_read_gold(settings, services):
    """The boundary row of the role test above: reading gold must keep working."""
    with psycopg.connect(settings.pg_conninfo("reader")) as conn:
        assert conn.execute("SELECT count(*) FROM gold.daily_flight_counts").fetchone()[0] >= 0


@pytest.mark.parametrize(
    "statement",
    [
        "DROP SCHEMA meta CASCADE",
        "DROP SCHEMA silver CASCADE",
        "ALTER SCHEMA meta RENAME TO meta_gone",
        "CREATE SCHEMA intruder",
        "CREATE ROLE intruder LOGIN PASSWORD 'x'",
        "ALTER ROLE lakehouse_reader SUPERUSER",
    ],
)
def test_pipeline_role_cannot_drop_schemas_or_grant_itself_power(settings, services, statement):
    with (
        psycopg.connect(settings.pg_conninfo("writer")) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def _secret_values(settings) -> dict[str, str]:
    return {
        f.name: getattr(settings, f.name)
        for f in dataclasses.fields(settings)
        if f.metadata.get("secret") and getattr(settings, f.name)
    }


def _context(dag, task) -> dict[str, object]:
    from airflow.sdk.execution_time.task_runner import MacrosAccessor

    start = pendulum.datetime(2025, 9, 21, 12, 0, tz="UTC")
    return {
        "dag": dag,
        "task": task,
        "ds": "2025-09-21",
        "ts": start.isoformat(),
        "logical_date": start,
        "data_interval_start": start,
        "data_interval_end": start.add(minutes=15),
        "dag_run": types.SimpleNamespace(
            conf={}, run_id="manual__probe", run_type="manual", run_after=start
        ),
        "params": {},
        "var": {},
        "macros": MacrosAccessor(),
        # upstream results (XCom) are data, not configuration: a placeholder stands in for them
        "ti": types.SimpleNamespace(
            xcom_pull=lambda task_ids=None, **_: {"from": task_ids},
            _upstream_map_indexes={},
        ),
    }


def test_rendered_task_fields_hold_no_secret(settings, airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    from lakehouse.settings import PROJECT_ROOT

    secrets = _secret_values(settings)
    assert len(secrets) >= 4, "the test needs the .env secrets to look for"
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert not bag.import_errors
    rendered = 0
    for dag in bag.dags.values():
        for task in dag.tasks:
            task.render_template_fields(_context(dag, task))
            for name in task.template_fields:
                text = str(getattr(task, name))
                leaked = [k for k, v in secrets.items() if v in text]
                assert not leaked, f"{dag.dag_id}.{task.task_id}.{name} shows {leaked}"
                rendered += 1
    assert rendered > 10


def test_spark_submit_command_line_holds_no_secret(settings):
    """Anyone on the host can read a command line (`ps`): secrets go in a file or the env."""
    from lakehouse.ops.submit import spark_submit_command

    command = " ".join(spark_submit_command("lakehouse.silver.job", ["--no-sync"], settings))
    leaked = [k for k, v in _secret_values(settings).items() if v in command]
    assert not leaked
    assert "--properties-file" in command
