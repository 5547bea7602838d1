"""House rules for every DAG file, checked on a DagBag parsed in a sealed child process.

The scheduler parses ``dags/`` every few seconds, so parsing must open no connection. The child
points Postgres (and with it Airflow's metadata database and connections) and the object store at
a canary port, and replaces ``socket.socket.connect`` with one that records the address and
refuses. A Python client is caught by the patch; a C client (libpq, the JVM) by the canary, which
notes every connection it accepts. Either way the test fails, even when the DAG file swallowed
the error. The same parse answers the remaining rules (owner, tags, retries, doc_md), so none of
this needs the local services.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"

CHILD = r"""
import json, os, socket, sys

attempts = []

def refuse(self, address, *args, **kwargs):
    attempts.append(repr(address))
    raise ConnectionRefusedError(f"connection at DAG parse time: {address!r}")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse

from lakehouse.local.airflow import airflow_env
from lakehouse.settings import Settings

os.environ.update(airflow_env(Settings.from_env()))

from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])  # examples are off in airflow_env
dags = {
    dag_id: {
        "doc_md": dag.doc_md,
        "tags": sorted(dag.tags),
        "tasks": {
            t.task_id: {"owner": t.owner, "retries": t.retries, "type": t.task_type}
            for t in dag.tasks
        },
    }
    for dag_id, dag in bag.dags.items()
}
heavy = sorted(m for m in ("pyspark", "great_expectations", "delta") if m in sys.modules)
print(json.dumps({
    "attempts": attempts,
    "import_errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": dags,
    "heavy_imports": heavy,
}))
"""


@pytest.fixture(scope="module")
def canary() -> Iterator[tuple[int, list[str]]]:
    """A listening port that records and drops every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except TimeoutError:
                continue
            accepted.append(repr(peer))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def parse(folder: Path, port: int, accepted: list[str]) -> dict[str, Any]:
    """DagBag of ``folder`` parsed in the sealed child; what it found and every connection."""
    before = len(accepted)
    env = {
        **os.environ,
        "LAKEHOUSE_PG_HOST": "127.0.0.1",
        "LAKEHOUSE_PG_PORT": str(port),
        "LAKEHOUSE_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "LAKEHOUSE_SPARK_MASTER": f"spark://127.0.0.1:{port}",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["canary_connections"] = accepted[before:]
    return result


@pytest.fixture(scope="module")
def parsed(canary) -> dict[str, Any]:
    return parse(DAGS, *canary)


def test_parsing_the_dags_opens_no_connection(parsed):
    assert parsed["attempts"] == []
    assert parsed["canary_connections"] == []


def test_dagbag_has_no_import_errors(parsed):
    assert parsed["import_errors"] == {}


def test_every_dag_file_yields_a_dag(parsed):
    files = {p.stem for p in DAGS.glob("*.py") if not p.name.startswith("_")}
    assert files <= set(parsed["dags"]), "each file in dags/ defines the DAG named like the file"


def test_parsing_the_dags_imports_no_spark_or_great_expectations(parsed):
    assert parsed["heavy_imports"] == []


def test_every_dag_is_documented_tagged_owned_and_retried(parsed):
    assert parsed["dags"], "no DAG parsed"
    for dag_id, dag in parsed["dags"].items():
        assert dag["doc_md"], f"{dag_id}: set doc_md=__doc__"
        assert dag["tags"], f"{dag_id}: give it tags"
        for task_id, task in dag["tasks"].items():
            assert task["owner"] and task["owner"] != "airflow", f"{dag_id}.{task_id}: set owner"
            assert task["retries"] >= 1 or task["type"].endswith("Sensor"), (
                f"{dag_id}.{task_id}: set retries"
            )


def test_the_seal_catches_connections_a_dag_file_swallows(canary, tmp_path):
    (tmp_path / "leaky.py").write_text(
        "# an airflow dag file (DagBag's safe mode skips files without both words)\n"
        "import contextlib, urllib.request\n"
        "import psycopg\n"
        "from lakehouse.settings import get_settings\n"
        "with contextlib.suppress(Exception):\n"
        "    psycopg.connect(get_settings().pg_conninfo('writer'), connect_timeout=2)\n"
        "with contextlib.suppress(Exception):\n"
        "    urllib.request.urlopen(get_settings().s3_endpoint_url, timeout=2)\n"
    )
    leaky = parse(tmp_path, *canary)
    assert len(leaky["attempts"]) == 1, "the Python client (urllib) hit the patched connect"
    assert leaky["canary_connections"], "the C client (libpq) reached the canary port"
