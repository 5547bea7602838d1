"""The gold DAG: wired as documented, cheap to parse, and runs end to end on the real Postgres."""

from __future__ import annotations

import ast
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "flights_gold_aggregate.py"
DAG_ID = "flights_gold_aggregate"
RUN_AT = datetime(2025, 9, 21, 1, 0, tzinfo=UTC)


@pytest.fixture
def dag(load_dag):
    return load_dag(DAG_ID)


@pytest.fixture
def quick_dag(dag):
    """The DAG with a sensor that gives up within a minute instead of 50, for dag.test()."""
    sensor = dag.get_task("wait_for_silver")
    sensor.poke_interval, sensor.timeout = 5, 60
    return dag


def test_dag_file_imports_only_airflow_and_the_standard_library():
    tree = ast.parse(DAG_FILE.read_text())
    modules = set()
    for node in tree.body:  # module level only: task bodies import the package at run time
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    assert modules - {"__future__", "airflow"} <= set(sys.stdlib_module_names)
    assert "lakehouse" not in modules


def test_dag_waits_for_silver_then_refreshes_then_checks_freshness(dag):
    assert dag.tags and dag.doc_md and "docs/metrics.md" in dag.doc_md
    # hourly, or as soon as silver publishes (AssetOrTimeSchedule)
    assert dag.timetable.timetable.expression in {"@hourly", "0 * * * *"}
    assert dag.timetable.asset_condition.uri == "s3://flights-data/silver/flights_clean"
    assert dag.catchup is False and dag.max_active_runs == 1
    wait, refresh, check = (
        dag.get_task(t) for t in ("wait_for_silver", "refresh_gold", "check_gold_freshness")
    )
    assert wait.downstream_task_ids == {"refresh_gold"}
    assert refresh.downstream_task_ids == {"check_gold_freshness"}
    assert check.downstream_task_ids == set()
    assert wait.mode == "reschedule" and 0 < wait.timeout < 3600
    assert [a.uri for a in refresh.inlets] == ["s3://flights-data/silver/flights_clean"]
    for task in dag.tasks:
        assert task.owner == "data-platform" and task.retries >= 1


def _silver_rows(pg, *rows: tuple[str, datetime, str, str]) -> None:
    for flight_id, observed_at, origin, destination in rows:
        pg.execute(
            "INSERT INTO silver.flights_clean (flight_id, observed_at, observed_date, latitude, "
            "longitude, origin_iata, destination_iata, airline_icao, ground_speed_kt, on_ground, "
            "bronze_key, snapshot_time, silver_batch_id) VALUES "
            "(%s, %s, %s, 52.3, 4.76, %s, %s, 'KLM', 400, 0, 'bronze/t.json', %s, 'b1')",
            (flight_id, observed_at, observed_at.date(), origin, destination, observed_at),
        )


@pytest.mark.integration
@pytest.mark.slow
def test_dag_run_refreshes_gold_from_fresh_silver(quick_dag, settings, pg, clean_lakehouse):
    _silver_rows(
        pg,
        ("f1", RUN_AT - timedelta(hours=1, minutes=20), "AMS", "JFK"),  # 2025-09-20 23:40
        ("f1", RUN_AT - timedelta(minutes=10), "AMS", "JFK"),  # same flight after midnight
        ("f2", RUN_AT - timedelta(minutes=5), "AMS", "LHR"),  # 2025-09-21
    )

    run = quick_dag.test(logical_date=RUN_AT)

    assert run.state == "success"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert set(states.values()) == {"success"}
    rows = pg.execute(
        "SELECT origin_iata, destination_iata, flight_date, flights, rank "
        "FROM gold.busiest_routes ORDER BY flight_date"
    ).fetchall()
    assert [(r[0], r[1], str(r[2]), r[3], r[4]) for r in rows] == [
        ("AMS", "JFK", "2025-09-20", 1, 1),
        ("AMS", "LHR", "2025-09-21", 1, 1),
    ]
    assert pg.execute("SELECT count(*) FROM meta.gold_refresh").fetchone() == (1,)


@pytest.mark.integration
@pytest.mark.slow
def test_dag_run_fails_loudly_when_gold_is_built_from_stale_silver(
    dag, settings, pg, clean_lakehouse
):
    stale = RUN_AT - timedelta(minutes=settings.gold_max_staleness_minutes + 1)
    _silver_rows(pg, ("f1", stale, "AMS", "JFK"))
    dag.get_task("check_gold_freshness").retries = 0  # fail now instead of after retry delays

    # The sensor would wait (and time out after 50 minutes); skip it to reach the check.
    run = dag.test(logical_date=RUN_AT, mark_success_pattern="wait_for_silver")

    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states == {
        "wait_for_silver": "success",
        "refresh_gold": "success",
        "check_gold_freshness": "failed",
    }
    assert run.state == "failed"
    from lakehouse.gold.freshness import GoldStaleError, check_gold_freshness

    with pytest.raises(GoldStaleError, match="61 min before"):  # the reason the task failed
        check_gold_freshness(settings, RUN_AT)


@pytest.mark.integration
def test_sensor_pokes_false_for_stale_silver_and_true_once_it_catches_up(
    settings, pg, clean_lakehouse
):
    from lakehouse.gold.freshness import silver_ready_for

    _silver_rows(pg, ("f1", RUN_AT - timedelta(hours=3), "AMS", "JFK"))
    assert silver_ready_for(settings, RUN_AT) is False
    _silver_rows(pg, ("f1", RUN_AT - timedelta(minutes=1), "AMS", "JFK"))
    assert silver_ready_for(settings, RUN_AT) is True
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        assert conn.execute("SELECT count(*) FROM meta.flights_clean_changes").fetchone()[0] >= 2
