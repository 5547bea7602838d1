"""One typed settings object for the whole package, read from the environment.

Every variable carries the ``LAKEHOUSE_`` prefix. Defaults describe the local path (services on
loopback, Spark in local mode) so a laptop needs nothing but the generated ``.env`` with its
secrets. Secrets have no default: a missing one is a clear error naming the variable, never a
silent fallback to a password written in code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

PREFIX = "LAKEHOUSE_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


def _secret(name: str) -> str:
    return field(default="", metadata={"secret": True, "env": name})


@dataclass(frozen=True)
class Settings:
    # --- object store -------------------------------------------------------------------
    s3_endpoint_url: str = "http://127.0.0.1:7070"
    s3_region: str = "us-east-1"
    s3_access_key: str = _secret("S3_ACCESS_KEY")
    s3_secret_key: str = _secret("S3_SECRET_KEY")
    bucket: str = "flights-data"
    bronze_prefix: str = "bronze"
    silver_prefix: str = "silver"

    # --- postgres -----------------------------------------------------------------------
    pg_host: str = "127.0.0.1"
    pg_port: int = 55432
    pg_database: str = "lakehouse"
    pg_airflow_database: str = "airflow"
    pg_writer_user: str = "lakehouse_writer"
    pg_writer_password: str = _secret("PG_WRITER_PASSWORD")
    pg_reader_user: str = "lakehouse_reader"
    pg_reader_password: str = _secret("PG_READER_PASSWORD")
    pg_airflow_user: str = "airflow"
    pg_airflow_password: str = _secret("PG_AIRFLOW_PASSWORD")

    # --- ingestion ----------------------------------------------------------------------
    source: str = "simulator"  # simulator | fr24
    fr24_data_live_url: str = "https://data-live.flightradar24.com"
    fr24_data_cloud_url: str = "https://data-cloud.flightradar24.com"
    fr24_api_url: str = "https://api.flightradar24.com"
    fr24_base_url: str = "https://www.flightradar24.com"
    fr24_timeout_s: float = 20.0
    fr24_max_retries: int = 5
    fr24_snapshot_budget_s: float = 240.0
    fr24_response_cap: int = 1500
    simulator_seed: int = 42
    simulator_peak_airborne: int = 12000
    ingest_schedule: str = "*/15 * * * *"

    # --- spark / silver -----------------------------------------------------------------
    spark_master: str = "local[*]"
    jars_dir: str = str(PROJECT_ROOT / ".cache" / "jars")
    spark_conf_file: str = str(PROJECT_ROOT / "conf" / "spark-defaults.conf")
    silver_batch_size: int = 96
    silver_max_attempts: int = 3  # a bronze object failing this often stops being retried
    sensor_deferrable: bool = True  # S3 sensor waits in the triggerer (needs one running)
    expectations_dir: str = str(PROJECT_ROOT / "expectations")
    data_docs_dir: str = str(PROJECT_ROOT / ".local" / "data_docs")
    # VACUUM keeps files that any table version of the last N hours needs (time travel, readers
    # and writers still running). Delta refuses less than the table's
    # delta.deletedFileRetentionDuration (7 days): that check stays on.
    delta_vacuum_retention_hours: int = 168

    # --- gold ---------------------------------------------------------------------------
    # How far silver's latest observation may lag a gold run's data interval end before the gold
    # DAG waits for it and, after refreshing, fails its freshness check.
    gold_max_staleness_minutes: int = 60
    gold_schedule: str = "@hourly"

    # --- local runtime ------------------------------------------------------------------
    local_dir: str = str(PROJECT_ROOT / ".local")
    # Airflow's home (config, logs, pid files); empty means <local_dir>/airflow. The test suite
    # runs its own Airflow beside the demo's: another home, metadata database and port.
    airflow_home: str = ""
    airflow_port: int = 8080
    dags_dir: str = str(PROJECT_ROOT / "dags")

    # ------------------------------------------------------------------------------------
    @property
    def bronze_uri(self) -> str:
        return f"s3a://{self.bucket}/{self.bronze_prefix}"

    @property
    def silver_uri(self) -> str:
        return f"s3a://{self.bucket}/{self.silver_prefix}"

    def silver_table_uri(self, table: str) -> str:
        return f"{self.silver_uri}/{table}"

    def pg_conninfo(self, role: str = "writer", database: str | None = None) -> str:
        """libpq keyword/value string for psycopg; ``role`` is writer, reader or airflow."""
        user, password = self._pg_credentials(role)
        db = database or (self.pg_airflow_database if role == "airflow" else self.pg_database)
        return (
            f"host={self.pg_host} port={self.pg_port} dbname={db} "
            f"user={user} password={password} application_name=lakehouse"
        )

    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.pg_host}:{self.pg_port}/{self.pg_database}"

    def _pg_credentials(self, role: str) -> tuple[str, str]:
        pairs = {
            "writer": (self.pg_writer_user, "pg_writer_password"),
            "reader": (self.pg_reader_user, "pg_reader_password"),
            "airflow": (self.pg_airflow_user, "pg_airflow_password"),
        }
        if role not in pairs:
            raise SettingsError(f"unknown Postgres role {role!r}; use one of {sorted(pairs)}")
        user, secret_attr = pairs[role]
        return user, self.require(secret_attr)

    def require(self, attr: str) -> str:
        """Return a secret, or fail with the variable to set and how to get one."""
        value = getattr(self, attr)
        if not value:
            raise SettingsError(
                f"{PREFIX}{attr.upper()} is not set. Run `make env` to generate a local .env, "
                "then `set -a; . ./.env; set +a` (make targets load it for you)."
            )
        return str(value)

    def redacted(self) -> dict[str, object]:
        """The settings as a dict with secrets masked: safe to log."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.metadata.get("secret") and value else value
        return out

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default: the process environment over the local .env)."""
        env = {**_dotenv(), **os.environ} if environ is None else environ
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            kwargs[f.name] = _coerce(f.name, f.type, raw)
        return cls(**kwargs)  # type: ignore[arg-type]


def dotenv_values(prefix: str = PREFIX) -> dict[str, str]:
    """Variables of the project's generated .env whose name starts with ``prefix``.

    Lets a bare `lakehouse ...` work like a make target; the process environment always wins
    over these values.
    """
    path = PROJECT_ROOT / ".env"
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.startswith(prefix):
            out[key] = value
    return out


def _dotenv() -> dict[str, str]:
    return dotenv_values(PREFIX)


def _coerce(name: str, annotation: object, raw: str) -> object:
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "str")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from exc
    return raw


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings.from_env()
