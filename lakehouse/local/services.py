"""Start, stop and report the local services as one unit."""

from __future__ import annotations

import logging
import time

from lakehouse.local import airflow, objectstore, postgres
from lakehouse.settings import Settings

log = logging.getLogger(__name__)


def up(settings: Settings, *, with_airflow_components: bool = False) -> dict[str, float]:
    """Bring everything up; returns the seconds each step took."""
    timings: dict[str, float] = {}
    for name, step in (
        ("postgres", lambda: postgres.start(settings)),
        ("objectstore", lambda: objectstore.start(settings)),
        ("airflow-db", lambda: airflow.init(settings)),
    ):
        t0 = time.monotonic()
        step()
        timings[name] = round(time.monotonic() - t0, 2)
    if with_airflow_components:
        t0 = time.monotonic()
        airflow.start(settings)
        timings["airflow"] = round(time.monotonic() - t0, 2)
    return timings


def down(settings: Settings) -> list[str]:
    stopped = [f"airflow {c}" for c in airflow.stop(settings)]
    if objectstore.stop(settings):
        stopped.append("objectstore")
    if postgres.stop(settings):
        stopped.append("postgres")
    return stopped


def status(settings: Settings) -> list[tuple[str, str, str]]:
    """(service, state, detail) rows."""
    rows = [
        (
            "postgres",
            "up" if postgres.is_running(settings) else "down",
            f"{settings.pg_host}:{settings.pg_port} data {settings.local_dir}/postgres",
        ),
        (
            "objectstore",
            "up" if objectstore.is_running(settings) else "down",
            f"{settings.s3_endpoint_url} bucket {settings.bucket} data "
            f"{settings.local_dir}/objectstore",
        ),
    ]
    for component, pid in airflow.running(settings).items():
        rows.append((f"airflow {component}", "up" if pid else "down", f"pid {pid}" if pid else ""))
    return rows
