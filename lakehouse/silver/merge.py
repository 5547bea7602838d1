"""Delta tables of the silver layer and the MERGEs that publish a batch into them.

Every write is a MERGE on the natural key whose ON clause names the batch's partitions as
literals, so Delta prunes to those partitions and a batch costs the same on day 1 and day 300.
An incoming observation replaces a stored one only when it comes from a later bronze object
(later ``snapshot_time``, then greater ``bronze_key``): re-processing any object, in any order,
converges to the same table.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.settings import Settings
from lakehouse.silver.schema import (
    DIM_AIRLINE_SCHEMA,
    DIM_AIRPORT_SCHEMA,
    FLIGHTS_CLEAN_SCHEMA,
    FLIGHTS_QUARANTINE_SCHEMA,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: T.StructType
    key: tuple[str, ...]
    partition_by: tuple[str, ...] = ()


FLIGHTS_CLEAN = TableSpec(
    "flights_clean", FLIGHTS_CLEAN_SCHEMA, ("flight_id", "observed_at"), ("observed_date",)
)
FLIGHTS_QUARANTINE = TableSpec(
    "flights_quarantine",
    FLIGHTS_QUARANTINE_SCHEMA,
    ("bronze_key", "response_index", "entry_key"),
    ("bronze_date",),
)
DIM_AIRPORT = TableSpec("dim_airport", DIM_AIRPORT_SCHEMA, ("iata",))
DIM_AIRLINE = TableSpec("dim_airline", DIM_AIRLINE_SCHEMA, ("icao",))
TABLES = (FLIGHTS_CLEAN, FLIGHTS_QUARANTINE, DIM_AIRPORT, DIM_AIRLINE)


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    """Create any missing silver table with its schema, partitioning and change data feed."""
    for spec in TABLES:
        builder = (
            DeltaTable.createIfNotExists(spark)
            .location(settings.silver_table_uri(spec.name))
            .addColumns(spec.schema)
            .property("delta.enableChangeDataFeed", "true")
            .property("delta.autoOptimize.optimizeWrite", "true")
        )
        if spec.partition_by:
            builder = builder.partitionedBy(*spec.partition_by)
        builder.execute()


def table(spark: SparkSession, settings: Settings, spec: TableSpec) -> DeltaTable:
    return DeltaTable.forPath(spark, settings.silver_table_uri(spec.name))


def latest_version(spark: SparkSession, settings: Settings, spec: TableSpec) -> int:
    history = table(spark, settings, spec).history(1).select("version").collect()
    return int(history[0]["version"])


def _date_literals(dates: Iterable[dt.date]) -> str:
    """``DATE'2025-09-20', ...`` from real date objects only: never from free text."""
    literals = []
    for day in sorted(set(dates)):
        if not isinstance(day, dt.date):
            raise TypeError(f"partition value {day!r} is not a date")
        literals.append(f"DATE'{day.isoformat()}'")
    return ", ".join(literals)


def batch_dates(df: DataFrame, column: str) -> list[dt.date]:
    return [row[0] for row in df.select(column).distinct().collect() if row[0] is not None]


def _key_condition(spec: TableSpec) -> str:
    return " AND ".join(f"t.{k} = s.{k}" for k in spec.key)


def merge_flights_clean(
    spark: SparkSession, settings: Settings, batch: DataFrame, dates: list[dt.date]
) -> int | None:
    """Upsert the batch's observations; return the new table version (None if no rows)."""
    if not dates:
        return None
    newer = (
        "s.snapshot_time > t.snapshot_time OR "
        "(s.snapshot_time = t.snapshot_time AND s.bronze_key > t.bronze_key)"
    )
    condition = f"t.observed_date IN ({_date_literals(dates)}) AND {_key_condition(FLIGHTS_CLEAN)}"
    (
        table(spark, settings, FLIGHTS_CLEAN)
        .alias("t")
        .merge(batch.alias("s"), condition)
        .whenMatchedUpdateAll(condition=newer)
        .whenNotMatchedInsertAll()
        .execute()
    )
    return latest_version(spark, settings, FLIGHTS_CLEAN)


def merge_quarantine(
    spark: SparkSession, settings: Settings, rejected: DataFrame, dates: list[dt.date]
) -> int | None:
    """Insert quarantined rows not yet recorded; a row's first recording is kept."""
    if not dates:
        return None
    condition = (
        f"t.bronze_date IN ({_date_literals(dates)}) AND {_key_condition(FLIGHTS_QUARANTINE)}"
    )
    (
        table(spark, settings, FLIGHTS_QUARANTINE)
        .alias("t")
        .merge(rejected.alias("s"), condition)
        .whenNotMatchedInsertAll()
        .execute()
    )
    return latest_version(spark, settings, FLIGHTS_QUARANTINE)


def merge_dimension(
    spark: SparkSession, settings: Settings, spec: TableSpec, rows: DataFrame
) -> int:
    """Make a dimension equal to ``rows``: insert new keys, update changed ones.

    Keys missing from ``rows`` stay: an airport that vanishes from a refresh keeps naming the
    observations that referenced it. Unchanged rows are not rewritten, so a refresh with no news
    adds no change-feed rows.
    """
    value_columns = [f.name for f in spec.schema.fields if f.name not in spec.key]
    changed = " OR ".join(f"NOT (t.{c} <=> s.{c})" for c in value_columns)
    (
        table(spark, settings, spec)
        .alias("t")
        .merge(rows.alias("s"), _key_condition(spec))
        .whenMatchedUpdateAll(condition=changed)
        .whenNotMatchedInsertAll()
        .execute()
    )
    return latest_version(spark, settings, spec)


def table_property(
    spark: SparkSession, settings: Settings, spec: TableSpec, name: str
) -> str | None:
    """A table property from the Delta log's metadata.

    ``SHOW TBLPROPERTIES`` reads the metadata action only; ``DeltaTable.detail()`` would also
    reconstruct the table's state to count its files (seconds per table on every run).
    """
    path = settings.silver_table_uri(spec.name)
    rows = spark.sql(f"SHOW TBLPROPERTIES delta.`{path}`").collect()
    return next((row["value"] for row in rows if row["key"] == name), None)


def set_table_property(
    spark: SparkSession, settings: Settings, spec: TableSpec, name: str, value: str
) -> None:
    if not all(c.isalnum() or c in "._-" for c in name + value):
        raise ValueError(f"refusing table property {name}={value!r}: unexpected characters")
    path = settings.silver_table_uri(spec.name)
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ('{name}' = '{value}')")


def read_table(spark: SparkSession, settings: Settings, spec: TableSpec) -> DataFrame:
    return spark.read.format("delta").load(settings.silver_table_uri(spec.name))


def drop_all(spark: SparkSession, settings: Settings) -> None:
    """Empty every silver table (a full refresh); history stays for time travel."""
    for spec in TABLES:
        if DeltaTable.isDeltaTable(spark, settings.silver_table_uri(spec.name)):
            table(spark, settings, spec).delete(F.lit(True))
