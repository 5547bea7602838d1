"""`flights_bronze_ingest`: its timetable and rules, and real runs with dag.test().

The runs use the local Postgres and object store, once with the simulator and once with the real
FR24 client (FlightRadarAPI) talking to the local FR24-format server. Each test writes under its
own bronze prefix, so it neither sees nor disturbs other tests' objects.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

DAG_ID = "flights_bronze_ingest"
NOON = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def dag(load_dag):
    return load_dag(DAG_ID)


@pytest.fixture
def bronze_env(settings, services, unique_prefix, monkeypatch):
    """Tasks read settings from the environment: point them at a private prefix, small world."""
    from lakehouse.settings import get_settings

    monkeypatch.setenv("LAKEHOUSE_BRONZE_PREFIX", f"{unique_prefix}/bronze")
    monkeypatch.setenv("LAKEHOUSE_SIMULATOR_PEAK_AIRBORNE", "300")
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def _landed(settings, prefix: str) -> tuple[dict[str, bytes], dict[str, tuple]]:
    import psycopg

    from lakehouse.s3 import s3_client

    client = s3_client(settings)
    listed = client.list_objects_v2(Bucket=settings.bucket, Prefix=prefix).get("Contents", [])
    objects = {
        o["Key"]: client.get_object(Bucket=settings.bucket, Key=o["Key"])["Body"].read()
        for o in listed
    }
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        rows = conn.execute(
            "SELECT key, snapshot_time, source, flight_count, byte_size, sha256, status "
            "FROM meta.bronze_objects WHERE starts_with(key, %s)",
            (prefix,),
        ).fetchall()
    return objects, {r[0]: r[1:] for r in rows}


def _asset_events(run_id: str) -> int:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(
            select(func.count())
            .select_from(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == "s3://flights-data/bronze", AssetEvent.source_run_id == run_id)
        )


def test_dag_runs_every_15_minutes_one_run_at_a_time_without_catchup(dag):
    assert dag.timetable.expression == "*/15 * * * *"
    assert (dag.catchup, dag.max_active_runs) == (False, 1)
    assert dag.doc_md and "bronze" in dag.tags


def test_every_task_retries_with_exponential_backoff(dag):
    for task in dag.tasks:
        assert task.retries >= 2 and task.retry_exponential_backoff >= 2, task.task_id
        assert task.max_retry_delay <= timedelta(minutes=5), task.task_id
        assert task.execution_timeout is not None, task.task_id


def test_write_feeds_register_which_emits_the_bronze_asset_and_reconcile_stands_alone(dag):
    tasks = dag.task_dict
    assert set(tasks) == {"fetch_and_write", "register", "reconcile_ledger"}
    assert tasks["fetch_and_write"].downstream_task_ids == {"register"}
    assert tasks["reconcile_ledger"].upstream_task_ids == set()
    assert [o.uri for o in tasks["register"].outlets] == ["s3://flights-data/bronze"]


@pytest.mark.integration
@pytest.mark.slow
def test_simulator_run_lands_the_interval_snapshot_and_a_rerun_keeps_it(
    dag, settings, bronze_env, unique_prefix
):
    from lakehouse.bronze.envelope import parse_envelope

    bronze_env.setenv("LAKEHOUSE_SOURCE", "simulator")
    run = dag.test(logical_date=NOON)

    assert run.state == "success"
    key = f"{unique_prefix}/bronze/2025/09/20/flights_20250920_1200.json"
    objects, rows = _landed(settings, unique_prefix)
    assert list(objects) == [key]
    envelope = parse_envelope(objects[key])
    assert (envelope.source, envelope.snapshot_time) == ("simulator", NOON)
    assert rows[key][:4] == (NOON, "simulator", envelope.flight_count, len(objects[key]))
    assert rows[key][5] == "landed"
    assert _asset_events(run.run_id) == 1

    rerun = dag.test(logical_date=NOON)

    assert rerun.state == "success"
    assert _landed(settings, unique_prefix) == (objects, rows)


@pytest.mark.integration
@pytest.mark.slow
def test_fr24_run_fetches_through_flightradarapi_from_the_local_fr24_server(
    dag, settings, bronze_env, unique_prefix
):
    from lakehouse.bronze.envelope import parse_envelope
    from lakehouse.bronze.fr24_server import Fr24Server

    with Fr24Server(peak_airborne=300, time=NOON) as server:
        bronze_env.setenv("LAKEHOUSE_SOURCE", "fr24")
        for name in ("DATA_LIVE", "DATA_CLOUD", "API", "BASE"):
            bronze_env.setenv(f"LAKEHOUSE_FR24_{name}_URL", server.url)
        run = dag.test(logical_date=NOON)
        feed_requests = len(server.feed_requests())

    assert run.state == "success"
    key = f"{unique_prefix}/bronze/2025/09/20/flights_20250920_1200.json"
    objects, rows = _landed(settings, unique_prefix)
    envelope = parse_envelope(objects[key])
    assert (envelope.source, envelope.client_package) == ("fr24", "FlightRadarAPI")
    assert len(envelope.responses) == feed_requests > 0
    assert all(r.url.startswith(server.url) and r.status == 200 for r in envelope.responses)
    assert rows[key][1:3] == ("fr24", envelope.flight_count) and envelope.flight_count > 0
