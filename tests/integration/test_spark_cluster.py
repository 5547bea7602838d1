"""The same jobs on a real Spark standalone cluster: a master and a worker, a ``spark://`` URL.

Local mode runs driver and executors in one JVM, which hides whatever does not travel: jars the
executors never receive, Python code they cannot import, settings only the driver has. Here the
self-check and the silver job are submitted with ``spark-submit`` to a master and worker started
from the installed pyspark, exactly as the compose stack does it. The expected silver rows are
read from the bronze objects in plain Python, independently of the job's Spark code.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
START = datetime(2025, 9, 21, 10, 0, tzinfo=UTC)
FLIGHT_ID = re.compile(r"^[0-9A-Za-z]{1,64}$")
APP_ID = re.compile(r"app-\d{14}-\d{4}")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="module")
def cluster_settings(settings, tmp_path_factory):
    """Settings whose local folder is private: this module's cluster never meets anyone else's."""
    return dataclasses.replace(settings, local_dir=str(tmp_path_factory.mktemp("local")))


@pytest.fixture(scope="module")
def cluster(cluster_settings):
    from lakehouse.local import spark_cluster

    master, master_ui, worker, worker_ui = _free_ports(4)
    config = spark_cluster.start(
        cluster_settings,
        spark_cluster.ClusterConfig(
            master_port=master,
            master_webui_port=master_ui,
            worker_port=worker,
            worker_webui_port=worker_ui,
            worker_cores=1,
            worker_memory="1g",
        ),
    )
    yield config
    assert spark_cluster.stop(cluster_settings) == ["worker", "master"]


@pytest.fixture(scope="module")
def properties_file(cluster_settings) -> Path:
    from lakehouse.spark import render_properties_file

    return render_properties_file(cluster_settings)


@pytest.fixture
def landed(settings, services, tmp_path):
    """Two small simulated snapshots under a private prefix, with their ledger rows.

    Landed right before the submit (not once per module): the test database is shared, and a
    ledger row should not wait long for the job that claims it.
    """
    from lakehouse.bronze.ingest import ingest_range

    unique = f"t-{uuid.uuid4().hex[:10]}"
    s = dataclasses.replace(
        settings,
        bronze_prefix=f"{unique}/bronze",
        silver_prefix=f"{unique}/silver",
        simulator_peak_airborne=200,
        data_docs_dir=str(tmp_path / "docs"),
    )
    summary = ingest_range(START, START + timedelta(minutes=30), settings=s)
    assert summary.landed == 2
    return s, [o.key for o in summary.outcomes]


def spark_submit(cluster, properties_file: Path, app: str, args: list[str], env: dict[str, str],
                 log_file: Path) -> tuple[int, str]:  # fmt: skip
    """Run a real spark-submit against the cluster; return its exit code and its output."""
    python = str(VENV_BIN / "python")
    cmd = [
        str(VENV_BIN / "spark-submit"),
        "--master", cluster.master_url,
        "--properties-file", str(properties_file),
        "--driver-memory", "1g",
        "--executor-memory", "1g",
        "--total-executor-cores", "1",
        "--conf", f"spark.pyspark.python={python}",
        "--conf", f"spark.pyspark.driver.python={python}",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1",
        # one executor core: a few partitions, not Spark's and Delta's defaults of 8 and 50
        "--conf", "spark.sql.shuffle.partitions=2",
        "--conf", "spark.default.parallelism=2",
        "--conf", "spark.databricks.delta.snapshotPartitions=2",
        "--conf", "spark.ui.enabled=false",
        str(ROOT / app),
        *args,
    ]  # fmt: skip
    child_env = {**os.environ, "PYSPARK_PYTHON": python, "SPARK_LOCAL_IP": "127.0.0.1", **env}
    with log_file.open("w") as out:
        done = subprocess.run(
            cmd, env=child_env, stdout=out, stderr=subprocess.STDOUT, timeout=900, check=False
        )
    return done.returncode, log_file.read_text(errors="replace")


def ran_on_the_cluster(cluster, output: str) -> dict:
    """The master's record of the application the driver log names, or a failed assertion."""
    from lakehouse.local.spark_cluster import master_state

    ids = set(APP_ID.findall(output))
    assert ids, "the driver never registered an application with the standalone master"
    state = master_state(cluster)
    assert state is not None
    apps = [a for a in state["completedapps"] if a["id"] in ids]
    assert len(apps) == 1, f"master knows none of {ids}: {state['completedapps']}"
    assert apps[0]["state"] == "FINISHED"
    assert apps[0]["cores"] == 1, "the application should have held the worker's one core"
    return apps[0]


def test_the_cluster_listens_on_loopback_only(cluster):
    from lakehouse.local.spark_cluster import alive_workers, master_state

    state = master_state(cluster)
    assert state["status"] == "ALIVE"
    assert state["url"] == cluster.master_url
    workers = alive_workers(cluster)
    assert [w["host"] for w in workers] == ["127.0.0.1"]
    assert workers[0]["cores"] == 1 and workers[0]["memory"] == 1024
    for port in (cluster.master_port, cluster.master_webui_port, cluster.worker_webui_port):
        with pytest.raises(OSError):
            # nothing answers on a non-loopback address of this host
            socket.create_connection((_non_loopback_address(), port), timeout=1).close()


def _non_loopback_address() -> str:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent for a UDP connect
        address = probe.getsockname()[0]
    finally:
        probe.close()
    if address.startswith("127."):
        pytest.skip("this host has no non-loopback address to probe")
    return address


def test_selfcheck_writes_and_reads_delta_through_the_cluster(
    cluster, properties_file, settings, tmp_path
):
    path = f"s3a://{settings.bucket}/_selfcheck/cluster-{uuid.uuid4().hex[:10]}"
    code, output = spark_submit(
        cluster, properties_file, "lakehouse/selfcheck.py", [path], {}, tmp_path / "driver.log"
    )
    assert code == 0, output[-4000:]
    assert f"selfcheck: wrote and read back 2 rows at {path}" in output
    assert ran_on_the_cluster(cluster, output)["name"] == "lakehouse-selfcheck"


def expected_rows(s3, settings, keys):
    """{(flight_id, observed_at epoch): (latitude, longitude, bronze_key)} by the contract.

    Objects are read in snapshot order, so a later object's reading of a key replaces an earlier
    one (the latest bronze object wins).
    """

    def number(value):
        if value in ("", "N/A", None) or isinstance(value, bool):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    rows = {}
    for key in sorted(keys):
        envelope = json.loads(s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read())
        for response in envelope["responses"]:
            for flight_id, value in json.loads(response["body"]).items():
                if flight_id in ("full_count", "version", "stats"):
                    continue
                if not (
                    isinstance(value, list) and len(value) == 19 and FLIGHT_ID.match(flight_id)
                ):
                    continue
                seconds, lat, lon = number(value[10]), number(value[1]), number(value[2])
                if seconds is None or seconds <= 0 or lat is None or lon is None:
                    continue
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    rows[(flight_id, int(seconds))] = (lat, lon, key)
    return rows


def test_silver_job_runs_on_the_cluster(cluster, properties_file, landed, spark, pg, tmp_path):
    from lakehouse.s3 import s3_client
    from lakehouse.silver.merge import FLIGHTS_CLEAN, read_table

    s, keys = landed
    env = {
        "LAKEHOUSE_BRONZE_PREFIX": s.bronze_prefix,
        "LAKEHOUSE_SILVER_PREFIX": s.silver_prefix,
        "LAKEHOUSE_DATA_DOCS_DIR": s.data_docs_dir,
    }
    code, output = spark_submit(
        cluster,
        properties_file,
        "lakehouse/silver/job.py",
        ["--keys", *keys, "--no-sync"],
        env,
        tmp_path / "driver.log",
    )
    assert code == 0, output[-4000:]
    assert ran_on_the_cluster(cluster, output)["name"] == "lakehouse-silver"

    expected = expected_rows(s3_client(s), s, keys)
    assert len(expected) > 50, "the simulator should have produced a few hundred observations"
    got = {
        (r["flight_id"], int(r["observed_at"].replace(tzinfo=UTC).timestamp())): (
            r["latitude"], r["longitude"], r["bronze_key"]
        )
        for r in read_table(spark, s, FLIGHTS_CLEAN)
        .select("flight_id", "observed_at", "latitude", "longitude", "bronze_key")
        .collect()
    }  # fmt: skip
    assert got == expected

    ledger = pg.execute(
        "SELECT key, status, clean_rows, silver_version FROM meta.bronze_objects "
        "WHERE key = ANY(%s) ORDER BY key",
        (keys,),
    ).fetchall()
    assert [(k, status) for k, status, _, _ in ledger] == [(k, "processed") for k in sorted(keys)]
    assert all(version is not None for *_, version in ledger)
    assert sum(clean for _, _, clean, _ in ledger) == len(expected)
