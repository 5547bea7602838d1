"""A small silver lake for the sync tests: Delta tables with the production schemas, built in the
JVM (``spark.range``) so 100k rows cost seconds, and full-content readers for Delta and Postgres.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

UTC = dt.UTC
T0 = dt.datetime(2025, 9, 22, 6, 0, tzinfo=UTC)

SYNC_TABLES = (
    "meta.sync_state",
    "silver.flights_clean",
    "silver.dim_airport",
    "silver.dim_airline",
    "silver.flights_clean_staging",
    "silver.dim_airport_staging",
    "silver.dim_airline_staging",
)


def flights(spark, start: int, end: int, altitude: int = 35_000):
    """flights_clean rows for ids [start, end): every column set, some nullable ones null."""
    from pyspark.sql import functions as F

    from lakehouse.silver.merge import FLIGHTS_CLEAN

    i = F.col("id")
    at = F.timestamp_seconds(F.lit(int(T0.timestamp())) + i * 3)
    every = {
        "flight_id": F.format_string("%08x", i),
        "observed_at": at,
        "observed_date": F.to_date(at),
        "icao_24bit": F.when(i % 7 == 0, None).otherwise(F.format_string("%06X", i)),
        "latitude": (i % 180 - 90).cast("double") + F.lit(0.125),
        "longitude": (i % 360 - 180).cast("double"),
        "heading": (i % 361).cast("int"),
        "altitude_ft": F.when(i % 11 == 0, None).otherwise(F.lit(altitude)),
        "ground_speed_kt": (i % 600).cast("int"),
        "origin_iata": F.when(i % 5 == 0, None).otherwise(F.lit("AMS")),
        "destination_iata": F.lit("DUB"),
        "on_ground": (i % 2).cast("int"),
        "callsign": F.format_string("CS%d", i),
        "airline_icao": F.lit("RYR"),
        "route_distance_km": F.lit(749.53),
        "heading_out_of_range": F.lit(False),
        "altitude_out_of_range": i % 11 == 0,
        "ground_speed_out_of_range": F.lit(False),
        "bronze_key": F.lit("bronze/2025/09/22/flights_20250922_0600.json"),
        "snapshot_time": at,
        "ingested_at": at + F.expr("INTERVAL 41 SECONDS"),
        "silver_batch_id": F.lit("batch-1"),
    }
    return spark.range(start, end).select(
        *[every.get(f.name, F.lit(None)).cast(f.dataType).alias(f.name)
          for f in FLIGHTS_CLEAN.schema.fields]
    )  # fmt: skip


AIRPORTS = [
    ("AMS", "EHAM", "Schiphol", "Amsterdam", "Netherlands", 52.31, 4.76, "Europe/Amsterdam"),
    ("DUB", "EIDW", "Dublin", "Dublin", "Ireland", 53.42, -6.27, None),
]
AIRLINES = [("RYR", "FR", "Ryanair", "Ireland"), ("KLM", "KL", "KLM", None)]


def _utc(value: Any) -> Any:
    # PySpark gives naive local timestamps, psycopg aware ones in the session zone
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC)
    return value


def delta_rows(spark, settings, spec, version: int | None = None) -> Counter:
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    df = reader.load(settings.silver_table_uri(spec.name)).select(
        *[f.name for f in spec.schema.fields]
    )
    return Counter(tuple(_utc(v) for v in row) for row in df.toLocalIterator())


def pg_rows(pg, spec) -> Counter:
    columns = ", ".join(f.name for f in spec.schema.fields)
    rows = pg.execute(f"SELECT {columns} FROM silver.{spec.name}").fetchall()
    return Counter(tuple(_utc(v) for v in row) for row in rows)


def sync_state(pg) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in pg.execute(
            "SELECT table_name, delta_version, delta_table_id, synced_at FROM meta.sync_state"
        ).fetchall()
    }


def latest_version(spark, settings, spec) -> int:
    from delta.tables import DeltaTable

    table = DeltaTable.forPath(spark, settings.silver_table_uri(spec.name))
    return int(table.history(1).collect()[0]["version"])
