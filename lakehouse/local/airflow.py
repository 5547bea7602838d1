"""Airflow 3 on this machine: home under .local/airflow, metadata in the local Postgres.

``airflow_env`` is the single place that turns lakehouse settings into Airflow's configuration
and its connections (``AIRFLOW_CONN_*``): the services, the demo, the CLI and the tests all use it,
so the DAGs see the same endpoints whichever way Airflow was started.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from lakehouse.local.process import pid_alive, port_open, spawn, wait_for
from lakehouse.local.process import stop as stop_pid
from lakehouse.settings import Settings, dotenv_values

log = logging.getLogger(__name__)

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def home(settings: Settings) -> Path:
    return Path(settings.airflow_home or Path(settings.local_dir) / "airflow")


def connections(settings: Settings) -> dict[str, str]:
    """Airflow connections as ``AIRFLOW_CONN_*`` values (JSON form)."""
    aws = {
        "conn_type": "aws",
        "login": settings.require("s3_access_key"),
        "password": settings.require("s3_secret_key"),
        "extra": {
            "endpoint_url": settings.s3_endpoint_url,
            "region_name": settings.s3_region,
            "config_kwargs": {"s3": {"addressing_style": "path"}},
        },
    }
    postgres = {
        "conn_type": "postgres",
        "host": settings.pg_host,
        "port": settings.pg_port,
        "schema": settings.pg_database,
        "login": settings.pg_writer_user,
        "password": settings.require("pg_writer_password"),
    }
    spark = {"conn_type": "spark", "host": settings.spark_master}
    return {
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws),
        "AIRFLOW_CONN_POSTGRES_LAKEHOUSE": json.dumps(postgres),
        "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps(spark),
    }


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment variables that configure Airflow for the local lakehouse."""
    airflow_home = home(settings)
    db_url = (
        f"postgresql+psycopg2://{settings.pg_airflow_user}:"
        f"{quote(settings.require('pg_airflow_password'), safe='')}@{settings.pg_host}:"
        f"{settings.pg_port}/{settings.pg_airflow_database}"
    )
    env = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": settings.dags_dir,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": (
            f"http://127.0.0.1:{settings.airflow_port}/execution/"
        ),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
        "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
        "AIRFLOW__API__PORT": str(settings.airflow_port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(airflow_home / "logs"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__TRIGGERER__DEFAULT_CAPACITY": "100",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "NO_PROXY": "*",
    }
    env.update(connections(settings))
    # Every component must sign and check API tokens with the same secrets.
    secrets = {**dotenv_values("AIRFLOW__API"), **os.environ}
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        if secrets.get(key):
            env[key] = secrets[key]
    return env


def _airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def init(settings: Settings) -> None:
    """Create Airflow's home and migrate its metadata database (idempotent)."""
    home(settings).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **airflow_env(settings)}
    subprocess.run(
        [_airflow_bin(), "db", "migrate"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    log.info("airflow metadata migrated (home %s)", home(settings))


def start(settings: Settings, components: tuple[str, ...] = COMPONENTS) -> None:
    """Start the Airflow components as background processes."""
    init(settings)
    env = {**os.environ, **airflow_env(settings)}
    run_dir = home(settings) / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    for component in components:
        pid_file = run_dir / f"{component}.pid"
        if pid_alive(pid_file):
            continue
        spawn([_airflow_bin(), component], run_dir / f"{component}.log", pid_file, env=env)
        log.info("started airflow %s", component)
    if "api-server" in components:
        wait_for(lambda: port_open("127.0.0.1", settings.airflow_port), "airflow api-server", 120)


def stop(settings: Settings) -> list[str]:
    stopped = []
    for component in COMPONENTS:
        if stop_pid(home(settings) / "run" / f"{component}.pid"):
            stopped.append(component)
    return stopped


def running(settings: Settings) -> dict[str, int | None]:
    return {c: pid_alive(home(settings) / "run" / f"{c}.pid") for c in COMPONENTS}
