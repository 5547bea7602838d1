"""`make demo`: the real Airflow components drive all three DAGs over a few simulated hours.

The demo starts the scheduler, dag-processor, triggerer and api-server, backfills the bronze DAG
over the last few 15-minute slots (the simulator serves the traffic), lets the continuous silver
DAG pick the objects up through its S3 sensor, triggers the gold DAG, and prints what came out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from lakehouse.local import airflow
from lakehouse.settings import Settings

DAG_IDS = ("flights_bronze_ingest", "flights_silver_process", "flights_gold_aggregate")
SLOT = timedelta(minutes=15)


class DemoError(RuntimeError):
    pass


def say(message: str) -> None:
    print(f"[demo {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def _airflow(settings: Settings, *args: str, timeout: float = 300) -> str:
    env = {**os.environ, **airflow.airflow_env(settings)}
    binary = str(Path(sys.executable).with_name("airflow"))
    done = subprocess.run(
        [binary, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise DemoError(f"`airflow {' '.join(args)}` failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _wait(
    what: str, check: Callable[[], tuple[bool, str]], timeout: float, every: float = 5
) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        ok, progress = check()
        if progress != last:
            say(f"{what}: {progress}")
            last = progress
        if ok:
            return
        if time.monotonic() > deadline:
            raise DemoError(
                f"{what} did not finish within {timeout:.0f}s ({progress}). Look at the Airflow "
                "UI and the task logs (`lakehouse services status` shows where both are)."
            )
        time.sleep(every)


def _dag_rows(settings: Settings) -> dict[str, bool]:
    """dag_id -> is_paused for the demo's DAGs the dag-processor has registered.

    Read from Airflow's metadata database directly: the `airflow` CLI starts a whole interpreter
    per call, which takes tens of seconds on a busy two-core machine.
    """
    with psycopg.connect(settings.pg_conninfo("airflow")) as conn:
        rows = conn.execute(
            "SELECT dag_id, is_paused FROM dag WHERE dag_id = ANY(%s)", (list(DAG_IDS),)
        ).fetchall()
    return {dag_id: bool(paused) for dag_id, paused in rows}


def _dags_parsed(settings: Settings) -> tuple[bool, str]:
    try:
        found = _dag_rows(settings)
    except psycopg.Error:
        return False, "waiting for Airflow's metadata database"
    return len(found) == len(DAG_IDS), f"{len(found)}/{len(DAG_IDS)} DAGs parsed"


def _ledger_progress(
    settings: Settings, start: datetime, end: datetime
) -> tuple[int, int, int, bool]:
    """Objects of the window: landed, processed, failed, and whether Postgres has them all.

    The ledger says ``processed`` once Delta has committed; the job syncs Postgres right after,
    and gold reads Postgres, so the demo waits for the sync too.
    """
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'processed'), "
            "count(*) FILTER (WHERE status = 'failed'), "
            "coalesce(max(silver_version) <= (SELECT delta_version FROM meta.sync_state "
            "WHERE table_name = 'flights_clean'), false) "
            "FROM meta.bronze_objects WHERE snapshot_time >= %s AND snapshot_time < %s",
            (start, end),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), bool(row[3])


def _gold_refreshes(settings: Settings) -> int:
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        row = conn.execute("SELECT count(*) FROM meta.gold_refresh").fetchone()
    return int(row[0]) if row else 0


def run_demo(settings: Settings, *, hours: float = 2.0, timeout_s: float = 840) -> dict[str, Any]:
    started = time.monotonic()
    slots = int(hours * 4)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % 15)
    start = end - slots * SLOT

    say("starting Airflow: api-server, scheduler, dag-processor, triggerer")
    airflow.start(settings)
    _wait("parsing", lambda: _dags_parsed(settings), timeout=600)
    for dag_id, paused in _dag_rows(settings).items():
        if paused:
            _airflow(settings, "dags", "unpause", dag_id)

    say(f"backfilling bronze: {slots} snapshots {start:%Y-%m-%d %H:%M} .. {end - SLOT:%H:%M} UTC")
    _airflow(
        settings, "backfill", "create", "--dag-id", "flights_bronze_ingest",
        "--from-date", start.isoformat(), "--to-date", (end - SLOT).isoformat(),
        "--max-active-runs", "2", "--reprocess-behavior", "none",
    )  # fmt: skip

    def silver_done() -> tuple[bool, str]:
        landed, processed, failed, synced = _ledger_progress(settings, start, end)
        if failed:
            raise DemoError(f"{failed} bronze object(s) failed in silver; see `lakehouse status`")
        done = landed == slots and processed == slots
        return (
            done and synced,
            f"bronze landed {landed}/{slots}, silver processed {processed}/{slots}"
            + (", syncing to Postgres" if done and not synced else ""),
        )

    remaining = timeout_s - (time.monotonic() - started)
    _wait("bronze -> silver", silver_done, timeout=max(remaining - 120, 60))

    before = _gold_refreshes(settings)
    say("silver is fresh: triggering the gold DAG")
    _airflow(settings, "dags", "trigger", "flights_gold_aggregate")
    _wait(
        "gold",
        lambda: (_gold_refreshes(settings) > before, "waiting for the gold refresh"),
        timeout=max(timeout_s - (time.monotonic() - started), 60),
    )
    return {"start": start, "end": end, "slots": slots, "seconds": time.monotonic() - started}
