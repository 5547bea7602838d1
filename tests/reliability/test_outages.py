"""Outages during the silver job, the Postgres sync and the gold refresh.

As in test_ingest_faults.py, the shared services are not stopped (other people's tests use
them): the component under test is pointed at a closed port, which its client sees exactly as a
stopped server (connection refused). Each test checks the error names what is down, that
nothing was half-written, and that the same work succeeds once the service is back.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from expected import expected_from_bronze
from goldrows import GOLD, META, first_silver, later_silver, seed, snapshot
from hostile import ledger_rows
from lakerows import AIRLINES, AIRPORTS, SYNC_TABLES, delta_rows, flights, pg_rows, sync_state
from pgfaults import TcpProxy, closed_port, wait_for

pytestmark = pytest.mark.integration

T0 = datetime(2025, 9, 24, 8, 0, tzinfo=UTC)


def _args() -> argparse.Namespace:
    return argparse.Namespace(keys=None, full_refresh=False, date_from=None, date_to=None,
                              batch_size=10, limit=None, sync=False)  # fmt: skip


@pytest.mark.slow
def test_object_store_down_fails_the_silver_job_clearly_and_the_rerun_publishes(
    job_settings, spark
):
    """A real spark-submit of the silver job with the object store unreachable."""
    from pyspark.sql import functions as F

    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.bronze.writer import list_keys
    from lakehouse.ops.submit import spark_submit_command
    from lakehouse.s3 import s3_client
    from lakehouse.silver import job
    from lakehouse.silver.merge import FLIGHTS_CLEAN, read_table

    s = job_settings
    keys = [ingest_snapshot(T0 + timedelta(minutes=15 * i), settings=s).key for i in range(2)]

    endpoint = f"http://127.0.0.1:{closed_port()}"
    env = {**os.environ, "LAKEHOUSE_BRONZE_PREFIX": s.bronze_prefix,
           "LAKEHOUSE_SILVER_PREFIX": s.silver_prefix, "LAKEHOUSE_DATA_DOCS_DIR": s.data_docs_dir,
           "LAKEHOUSE_S3_ENDPOINT_URL": endpoint}  # fmt: skip
    command = spark_submit_command("lakehouse.silver.job", ["--no-sync"], s, master="local[1]")
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    print(f"silver job with the object store down: exit {done.returncode} after {seconds:.0f}s")

    # spark-submit hands the Python driver's stderr (the traceback) on to its stdout
    said = (done.stdout + done.stderr)[-5000:]
    assert done.returncode != 0, said
    assert f"ObjectStoreUnavailable: the object store at {endpoint}" in done.stdout, said
    assert "Nothing was read or written" in done.stdout
    ledger = ledger_rows(s)
    assert {k: v[:3] for k, v in ledger.items()} == {k: ("landed", 0, None) for k in keys}
    assert list(list_keys(s3_client(s), s.bucket, f"{s.silver_prefix}/")) == []  # nothing published

    (result,) = job.run(spark, s, _args())  # the store is back
    assert sorted(result.keys) == sorted(keys)
    assert {v[0] for v in ledger_rows(s).values()} == {"processed"}
    expected, _, _ = expected_from_bronze(s3_client(s), s, keys)
    got = {
        (r["flight_id"], int(r["observed_at"].replace(tzinfo=UTC).timestamp()))
        for r in read_table(spark, s, FLIGHTS_CLEAN).where(F.col("bronze_key").isin(keys)).collect()
    }
    assert expected and got == expected


@pytest.mark.slow
def test_object_store_lost_mid_batch_fails_the_batch_in_the_ledger_and_the_rerun_publishes(
    job_settings, spark, tmp_path
):
    """The store answers until the batch is claimed, then vanishes (a proxy the test cuts)."""
    from urllib.parse import urlsplit

    from pyspark.sql import functions as F

    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.ops.submit import spark_submit_command
    from lakehouse.s3 import s3_client
    from lakehouse.silver import job
    from lakehouse.silver.merge import FLIGHTS_CLEAN, FLIGHTS_QUARANTINE, read_table

    s = job_settings
    keys = [ingest_snapshot(T0 + timedelta(hours=2, minutes=15 * i), settings=s).key
            for i in range(2)]  # fmt: skip

    real = urlsplit(s.s3_endpoint_url)
    proxy = TcpProxy((real.hostname or "127.0.0.1", real.port or 80))
    endpoint = f"http://127.0.0.1:{proxy.port}"
    env = {**os.environ, "LAKEHOUSE_BRONZE_PREFIX": s.bronze_prefix,
           "LAKEHOUSE_SILVER_PREFIX": s.silver_prefix, "LAKEHOUSE_DATA_DOCS_DIR": s.data_docs_dir,
           "LAKEHOUSE_S3_ENDPOINT_URL": endpoint}  # fmt: skip
    command = spark_submit_command("lakehouse.silver.job", ["--no-sync"], s, master="local[1]")
    started = time.monotonic()
    log = tmp_path / "silver-job.log"
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env, start_new_session=True,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_for(
            lambda: {v[0] for v in ledger_rows(s).values()} == {"processing"},
            proc,
            "the job claimed its batch",
            every_s=0.1,
        )
        proxy.stop()  # the object store is gone
        proc.wait(timeout=900)
    finally:
        proxy.stop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    seconds = time.monotonic() - started
    print(f"silver job losing the object store mid-batch: exit {proc.returncode}, {seconds:.0f}s")

    assert proc.returncode not in (0, -signal.SIGKILL), log.read_text()[-3000:]
    ledger = ledger_rows(s)
    for key in keys:
        status, attempts, error, *_ = ledger[key]
        assert (status, attempts) == ("failed", 1), (key, status, error)
        assert f"127.0.0.1:{proxy.port}" in error and "rerun the silver job" in error, error
    # nothing published: the tables exist (created before the claim) and hold no row
    assert read_table(spark, s, FLIGHTS_CLEAN).count() == 0
    assert read_table(spark, s, FLIGHTS_QUARANTINE).count() == 0

    (result,) = job.run(spark, s, _args())  # the store is back; failed objects are retried
    assert sorted(result.keys) == sorted(keys)
    assert {v[:2] for v in ledger_rows(s).values()} == {("processed", 2)}
    expected, _, _ = expected_from_bronze(s3_client(s), s, keys)
    got = {
        (r["flight_id"], int(r["observed_at"].replace(tzinfo=UTC).timestamp()))
        for r in read_table(spark, s, FLIGHTS_CLEAN).where(F.col("bronze_key").isin(keys)).collect()
    }
    assert expected and got == expected


@pytest.mark.slow
def test_postgres_down_fails_the_sync_clearly_and_the_rerun_is_exact(
    settings, services, pg, spark, unique_prefix
):
    from lakehouse.silver import sync
    from lakehouse.silver.merge import DIM_AIRLINE, DIM_AIRPORT, FLIGHTS_CLEAN
    from lakehouse.silver.sync import SYNCED_TABLES

    pg.execute("TRUNCATE " + ", ".join(SYNC_TABLES))
    s = dataclasses.replace(settings, silver_prefix=f"{unique_prefix}/silver")
    flights(spark, 0, 300).write.format("delta").partitionBy("observed_date").save(
        s.silver_table_uri(FLIGHTS_CLEAN.name)
    )
    for spec, rows in ((DIM_AIRPORT, AIRPORTS), (DIM_AIRLINE, AIRLINES)):
        spark.createDataFrame(rows, spec.schema).write.format("delta").save(
            s.silver_table_uri(spec.name)
        )

    port = closed_port()
    with pytest.raises(psycopg.OperationalError, match=rf'"127\.0\.0\.1", port {port} failed'):
        sync.sync_all(spark, dataclasses.replace(s, pg_port=port))
    assert sync_state(pg) == {}
    for spec in SYNCED_TABLES:
        assert pg_rows(pg, spec) == Counter(), spec.name

    sync.sync_all(spark, s)  # Postgres is back
    state = sync_state(pg)
    for spec in SYNCED_TABLES:
        assert state[spec.name][0] == 0
        assert pg_rows(pg, spec) == delta_rows(spark, s, spec), spec.name
    assert sum(pg_rows(pg, FLIGHTS_CLEAN).values()) == 300


def test_postgres_down_fails_the_gold_refresh_clearly_and_the_rerun_catches_up(
    settings, pg, clean_lakehouse
):
    from lakehouse.gold.refresh import refresh_gold

    seed(pg, first_silver())
    refresh_gold(settings)
    seed(pg, later_silver())
    before = snapshot(pg, GOLD | META)

    port = closed_port()
    with pytest.raises(psycopg.OperationalError, match=rf'"127\.0\.0\.1", port {port} failed'):
        refresh_gold(dataclasses.replace(settings, pg_port=port))
    assert snapshot(pg, GOLD | META) == before

    assert refresh_gold(settings).kind == "incremental"  # Postgres is back
    caught_up = snapshot(pg, GOLD)
    assert caught_up != {k: before[k] for k in GOLD}
    refresh_gold(settings, full=True)
    assert snapshot(pg, GOLD) == caught_up
