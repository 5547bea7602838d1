"""SIGKILL of a real spark-submit silver job while it holds its batch, then a rerun: the tables
converge to exactly what an uninterrupted run writes.

The kill comes as soon as the ledger says ``processing`` plus a short delay, so it lands during
the read / validate / MERGE of the batch (where exactly varies from run to run; the assertion is
convergence, whatever the point). A crash between Postgres staging and commit is covered by
tests/integration/silver/test_sync.py::test_crash_after_staging_leaves_postgres_unchanged_and_next_run_catches_up_exactly.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = datetime(2025, 9, 24, 14, 0, tzinfo=UTC)
KILL_AFTER_CLAIM_S = 8.0


def _statuses(settings):
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        return dict(conn.execute(
            "SELECT key, status FROM meta.bronze_objects WHERE starts_with(key, %s)",
            (settings.bronze_prefix,),
        ).fetchall())  # fmt: skip


def _rows(spark, settings, name):
    from lakehouse.silver.merge import TABLES, read_table

    spec = next(t for t in TABLES if t.name == name)
    return sorted(
        tuple(r) for r in read_table(spark, settings, spec).drop("silver_batch_id").collect()
    )


def test_killed_silver_job_converges_after_a_rerun(settings, services, spark, tmp_path):
    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.ops.submit import spark_submit_command
    from lakehouse.silver import job

    unique = f"t-{uuid.uuid4().hex[:10]}"
    s = dataclasses.replace(
        settings, bronze_prefix=f"{unique}/bronze", silver_prefix=f"{unique}/silver-crash",
        simulator_peak_airborne=200, data_docs_dir=str(tmp_path / "docs"),
    )  # fmt: skip
    with psycopg.connect(s.pg_conninfo("writer"), autocommit=True) as conn:
        conn.execute("DELETE FROM meta.bronze_objects")  # the job picks from the whole ledger
    keys = [ingest_snapshot(T0 + timedelta(minutes=15 * i), settings=s).key for i in range(2)]

    env = {**os.environ, "LAKEHOUSE_BRONZE_PREFIX": s.bronze_prefix,
           "LAKEHOUSE_SILVER_PREFIX": s.silver_prefix,
           "LAKEHOUSE_DATA_DOCS_DIR": s.data_docs_dir}  # fmt: skip
    command = spark_submit_command("lakehouse.silver.job", ["--no-sync"], s, master="local[1]")
    proc = subprocess.Popen(command, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while "processing" not in _statuses(s).values():
            assert proc.poll() is None, "the job ended before it claimed its batch"
            assert time.monotonic() < deadline, "the job never claimed its batch"
            time.sleep(0.5)
        time.sleep(KILL_AFTER_CLAIM_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # our own process group only
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the job finished before the kill: nothing proved"
    assert set(_statuses(s).values()) == {"processing"}

    args = argparse.Namespace(keys=None, full_refresh=False, date_from=None, date_to=None,
                              batch_size=10, limit=None, sync=False)  # fmt: skip
    job.run(spark, s, args)  # picks the stale `processing` rows up again
    assert set(_statuses(s).values()) == {"processed"}

    reference = dataclasses.replace(s, silver_prefix=f"{unique}/silver-reference")
    job.run(spark, reference, argparse.Namespace(**{**vars(args), "keys": keys}))
    for table in ("flights_clean", "flights_quarantine"):
        assert _rows(spark, s, table) == _rows(spark, reference, table), table
