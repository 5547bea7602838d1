"""End to end with the real Airflow: scheduler, dag-processor, triggerer and api-server.

The bronze DAG is backfilled over one simulated hour; the continuous silver DAG must wake up
through its deferred S3 sensor in the triggerer and run the Spark job; the gold DAG is then
triggered. The counts are checked exactly, against the ledger and an independent computation.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from datetime import date

import psycopg
import pytest
from expected import expected_from_bronze

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def airflow_running(settings, services, airflow_env):
    from lakehouse.local import airflow

    os.environ["LAKEHOUSE_SIMULATOR_PEAK_AIRBORNE"] = "300"
    with psycopg.connect(settings.pg_conninfo("writer"), autocommit=True) as conn:
        tables = [
            f"{s}.{t}"
            for s, t in conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE "
                "table_schema IN ('meta', 'silver', 'gold') AND table_type = 'BASE TABLE' "
                "AND table_name <> 'schema_migrations'"
            ).fetchall()
        ]
        conn.execute("TRUNCATE " + ", ".join(tables))
    airflow.stop(settings)
    airflow.start(settings)
    yield settings
    airflow.stop(settings)
    os.environ.pop("LAKEHOUSE_SIMULATOR_PEAK_AIRBORNE", None)


def _gold_expected(rows):
    """Independent daily_flight_counts from silver rows, per the gold contract."""
    first_seen, latest = {}, {}
    for flight_id, observed_at, origin, destination in sorted(rows, key=lambda r: r[1]):
        first_seen.setdefault(flight_id, observed_at.date())
        state = latest.setdefault(flight_id, {"origin": None, "destination": None})
        if origin:
            state["origin"] = origin
        if destination:
            state["destination"] = destination
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for flight_id, day in first_seen.items():
        if latest[flight_id]["origin"]:
            counts[(latest[flight_id]["origin"], day)][0] += 1
        if latest[flight_id]["destination"]:
            counts[(latest[flight_id]["destination"], day)][1] += 1
    return {(a, d): (dep, arr, dep + arr) for (a, d), (dep, arr) in counts.items()}


def _read_if_settled(conn):
    """Ledger, silver and gold read in one snapshot, or None while work is still in flight.

    The bronze DAG keeps its own 15-minute schedule while the test runs, so a new object may land
    at any moment; silver (continuous) and gold (on silver's asset) then catch up by themselves.
    The state is compared once every object is processed, Postgres holds its Delta version and
    gold has seen every change of silver.
    """
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute("SET LOCAL TIME ZONE 'UTC'")
        settled = conn.execute(
            "SELECT bool_and(status = 'processed') AND coalesce(max(silver_version) <= "
            "(SELECT delta_version FROM meta.sync_state WHERE table_name = 'flights_clean'), "
            "false) AND (SELECT pending_changed_flights = 0 FROM gold.freshness) "
            "FROM meta.bronze_objects"
        ).fetchone()[0]
        if not settled:
            return None
        ledger = conn.execute(
            "SELECT key, snapshot_time, status, flight_count, raw_rows, clean_rows, "
            "quarantined_rows, duplicate_rows FROM meta.bronze_objects"
        ).fetchall()
        silver_rows = conn.execute(
            "SELECT flight_id, observed_at, origin_iata, destination_iata FROM silver.flights_clean"
        ).fetchall()
        gold = {
            (a, d): (dep, arr, n)
            for a, d, dep, arr, n in conn.execute(
                "SELECT airport_iata, flight_date, departures, arrivals, flights "
                "FROM gold.daily_flight_counts"
            ).fetchall()
        }
    return ledger, silver_rows, gold


def _settled_state(settings, timeout_s: float = 600):
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        while (state := _read_if_settled(conn)) is None:
            assert time.monotonic() < deadline, "the pipeline did not settle within 10 minutes"
            time.sleep(5)
    return state


def test_scheduler_drives_bronze_silver_gold_with_exact_counts(airflow_running):
    from lakehouse.ops.demo import run_demo

    settings = airflow_running
    outcome = run_demo(settings, hours=1.0, timeout_s=900)

    ledger, silver_rows, gold = _settled_state(settings)

    window = [row for row in ledger if outcome["start"] <= row[1] < outcome["end"]]
    assert len(window) == outcome["slots"] == 4
    for _, _, status, flight_count, raw, clean, quarantined, duplicates in ledger:
        assert status == "processed"
        assert raw == flight_count == clean + quarantined + duplicates
    from lakehouse.s3 import s3_client

    keys = [row[0] for row in ledger]
    clean, quarantined, raw = expected_from_bronze(s3_client(settings), settings, keys)
    assert raw == sum(row[4] for row in ledger)
    assert quarantined == sum(row[6] for row in ledger)
    assert {(f, int(t.timestamp())) for f, t, _, _ in silver_rows} == clean
    assert len(silver_rows) == len(clean)
    assert gold == _gold_expected(silver_rows)
