"""The silver -> Postgres sync against real Delta tables on the object store and real Postgres.

Every test builds small Delta tables with the production schemas under its own bucket prefix,
syncs them, and compares Postgres with Delta (and with the rows written) in full, timestamps
normalised to UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from lakehouse.silver import sync
from lakehouse.silver.merge import DIM_AIRLINE, DIM_AIRPORT, FLIGHTS_CLEAN, TableSpec

pytestmark = [pytest.mark.integration, pytest.mark.slow]

UTC = dt.UTC
T0 = dt.datetime(2025, 9, 20, 12, 0, tzinfo=UTC)


class SimulatedCrash(RuntimeError):
    pass


# --- rows ------------------------------------------------------------------------------------


def observation(flight_id: str, observed_at: dt.datetime, **overrides: Any) -> tuple:
    """A flights_clean row in schema order: a plausible airborne observation unless overridden."""
    values: dict[str, Any] = {
        "flight_id": flight_id,
        "observed_at": observed_at,
        "observed_date": observed_at.astimezone(UTC).date(),
        "icao_24bit": "4CA7B1",
        "latitude": 52.3105,
        "longitude": 4.7683,
        "heading": 270,
        "altitude_ft": 35000,
        "ground_speed_kt": 450,
        "squawk": "7421",
        "radar": "T-EHAM12",
        "aircraft_type": "B738",
        "registration": "EI-DCL",
        "origin_iata": "AMS",
        "destination_iata": "DUB",
        "flight_number": "FR3153",
        "on_ground": 0,
        "vertical_speed_fpm": -64,
        "callsign": "RYR3153",
        "glider": 0,
        "airline_icao": "RYR",
        "origin_airport_name": "Amsterdam Airport Schiphol",
        "origin_country": "Netherlands",
        "destination_airport_name": "Dublin Airport",
        "destination_country": "Ireland",
        "route_distance_km": 749.53,
        "heading_out_of_range": False,
        "altitude_out_of_range": False,
        "ground_speed_out_of_range": False,
        "bronze_key": "bronze/2025/09/20/flights_20250920_1200.json",
        "snapshot_time": T0,
        "ingested_at": T0 + dt.timedelta(seconds=41, microseconds=250_000),
        "silver_batch_id": "batch-1",
    }
    unknown = set(overrides) - set(values)
    assert not unknown, f"not flights_clean columns: {unknown}"
    values.update(overrides)
    return tuple(values[f.name] for f in FLIGHTS_CLEAN.schema.fields)


def null_observation(flight_id: str, observed_at: dt.datetime) -> tuple:
    """Every nullable column null (the flags say the out-of-range values were nulled)."""
    nullable = {
        f.name: None
        for f in FLIGHTS_CLEAN.schema.fields
        if f.name
        not in {
            "flight_id",
            "observed_at",
            "observed_date",
            "latitude",
            "longitude",
            "heading_out_of_range",
            "altitude_out_of_range",
            "ground_speed_out_of_range",
            "bronze_key",
            "snapshot_time",
            "silver_batch_id",
        }
    }
    return observation(
        flight_id,
        observed_at,
        heading_out_of_range=True,
        altitude_out_of_range=True,
        ground_speed_out_of_range=True,
        **nullable,
    )


def boundary_observation(flight_id: str) -> tuple:
    """The last microsecond of a UTC day, on the edges of every range."""
    return observation(
        flight_id,
        dt.datetime(2025, 9, 20, 23, 59, 59, 999_999, tzinfo=UTC),
        latitude=90.0,
        longitude=-180.0,
        heading=360,
        altitude_ft=-2000,
        ground_speed_kt=0,
        on_ground=1,
        vertical_speed_fpm=0,
        route_distance_km=0.0,
    )


# --- Delta and Postgres access ---------------------------------------------------------------


def _utc(value: Any) -> Any:
    # PySpark hands timestamps back as naive local time, psycopg as aware session time.
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC)
    return value


def _normalised(rows: Iterator[Sequence[Any]] | list) -> Counter:
    return Counter(tuple(_utc(v) for v in row) for row in rows)


class Lake:
    """Small silver Delta tables under one test's prefix, changed the way the silver job does."""

    def __init__(self, spark: SparkSession, settings: Any) -> None:
        self.spark = spark
        self.settings = settings

    def uri(self, spec: TableSpec) -> str:
        return self.settings.silver_table_uri(spec.name)

    def frame(self, spec: TableSpec, rows: list[tuple]) -> DataFrame:
        return self.spark.createDataFrame(rows, spec.schema)

    def create(self, spec: TableSpec, rows: list[tuple]) -> None:
        writer = self.frame(spec, rows).write.format("delta")
        if spec.partition_by:
            writer = writer.partitionBy(*spec.partition_by)
        writer.save(self.uri(spec))

    def overwrite(self, spec: TableSpec, rows: list[tuple]) -> None:
        self.frame(spec, rows).write.format("delta").mode("overwrite").save(self.uri(spec))

    def merge(self, spec: TableSpec, rows: list[tuple]) -> None:
        on = " AND ".join(f"t.{k} = s.{k}" for k in spec.key)
        (
            DeltaTable.forPath(self.spark, self.uri(spec))
            .alias("t")
            .merge(self.frame(spec, rows).alias("s"), on)
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .execute()
        )

    def delete(self, spec: TableSpec, condition: str) -> None:
        DeltaTable.forPath(self.spark, self.uri(spec)).delete(condition)

    def version(self, spec: TableSpec) -> int:
        history = DeltaTable.forPath(self.spark, self.uri(spec)).history(1).collect()
        return int(history[0]["version"])

    def rows(self, spec: TableSpec) -> Counter:
        columns = [f.name for f in spec.schema.fields]
        df = self.spark.read.format("delta").load(self.uri(spec)).select(*columns)
        return _normalised(df.collect())


def pg_rows(pg: Any, spec: TableSpec, table: str | None = None) -> Counter:
    columns = ", ".join(f.name for f in spec.schema.fields)
    return _normalised(pg.execute(f"SELECT {columns} FROM silver.{table or spec.name}").fetchall())


def sync_state(pg: Any) -> list[tuple]:
    return pg.execute(
        "SELECT table_name, delta_version, delta_table_id, rows_upserted, rows_deleted, synced_at "
        "FROM meta.sync_state ORDER BY table_name"
    ).fetchall()


def staging(pg: Any, spec: TableSpec) -> Counter:
    return Counter(
        pg.execute(f"SELECT sync_id, change_type FROM silver.{spec.name}_staging").fetchall()
    )


def row_versions(pg: Any, spec: TableSpec) -> set[tuple]:
    """(key, xmin) per row: unchanged xmins prove a row was not rewritten."""
    keys = ", ".join(spec.key)
    return set(pg.execute(f"SELECT {keys}, xmin::text FROM silver.{spec.name}").fetchall())


# --- fixtures --------------------------------------------------------------------------------

SYNC_TABLES = (
    "meta.sync_state",
    "silver.flights_clean",
    "silver.dim_airport",
    "silver.dim_airline",
    "silver.flights_clean_staging",
    "silver.dim_airport_staging",
    "silver.dim_airline_staging",
)


@pytest.fixture
def lake_settings(settings: Any, services: None, pg: Any, unique_prefix: str) -> Iterator[Any]:
    """Settings whose silver tables live under this test's prefix; the sync's tables emptied."""
    from lakehouse.s3 import s3_client

    pg.execute("TRUNCATE " + ", ".join(SYNC_TABLES))
    scoped = dataclasses.replace(settings, silver_prefix=f"{unique_prefix}/silver")
    yield scoped
    _delete_prefix(s3_client(settings), settings.bucket, f"{unique_prefix}/")


def _delete_prefix(client: Any, bucket: str, prefix: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})


@pytest.fixture
def lake(spark: SparkSession, lake_settings: Any) -> Lake:
    return Lake(spark, lake_settings)


# --- the collapse of a change feed -----------------------------------------------------------

_FEED_SCHEMA = T.StructType(
    [
        T.StructField("icao", T.StringType()),
        T.StructField("name", T.StringType()),
        T.StructField("_change_type", T.StringType()),
        T.StructField("_commit_version", T.LongType()),
        T.StructField("_commit_timestamp", T.TimestampType()),
    ]
)


def test_final_change_per_key_keeps_the_last_commit_and_prefers_inserts_within_one(
    spark: SparkSession,
) -> None:
    at = dt.datetime(2025, 9, 20, tzinfo=UTC)
    feed = spark.createDataFrame(
        [
            ("UPD", "old", "insert", 1, at),
            ("UPD", "old", "update_preimage", 2, at),
            ("UPD", "new", "update_postimage", 2, at),
            ("GON", "gone", "insert", 1, at),
            ("GON", "gone", "delete", 2, at),
            ("RPL", "before", "delete", 3, at),  # one commit deletes and re-inserts the key
            ("RPL", "after", "insert", 3, at),
            ("BCK", "first", "delete", 2, at),  # deleted, then inserted again later
            ("BCK", "again", "insert", 3, at),
            ("NUL", None, "insert", 0, at),  # a null value column survives as null
        ],
        _FEED_SCHEMA,
    )
    expected = spark.createDataFrame(
        [
            ("UPD", "new", "upsert"),
            ("GON", "gone", "delete"),
            ("RPL", "after", "upsert"),
            ("BCK", "again", "upsert"),
            ("NUL", None, "upsert"),
        ],
        "icao string, name string, change_type string",
    )
    actual = sync.final_change_per_key(feed, ["icao"])
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


# --- syncs -----------------------------------------------------------------------------------


def test_initial_sync_loads_the_current_snapshot_with_exact_values(
    spark: SparkSession, lake: Lake, pg: Any
) -> None:
    written = [
        observation("3a1b2c4d", T0),
        null_observation("b7c8d9e0", T0 + dt.timedelta(minutes=15)),
        boundary_observation("c0ffee01"),
    ]
    lake.create(FLIGHTS_CLEAN, written[:2])
    lake.merge(FLIGHTS_CLEAN, written[2:])  # the snapshot is the latest version, not version 0

    result = sync.sync_table(spark, lake.settings, "flights_clean")

    assert (result.table, result.from_version, result.to_version) == ("flights_clean", None, 1)
    assert (result.rows_upserted, result.rows_deleted, result.mode) == (3, 0, "snapshot")
    assert pg_rows(pg, FLIGHTS_CLEAN) == _normalised(written)
    assert pg_rows(pg, FLIGHTS_CLEAN) == lake.rows(FLIGHTS_CLEAN)
    boundary = pg.execute(
        "SELECT observed_at, observed_date FROM silver.flights_clean WHERE flight_id = 'c0ffee01'"
    ).fetchone()
    assert boundary[0] == dt.datetime(2025, 9, 20, 23, 59, 59, 999_999, tzinfo=UTC)
    assert boundary[1] == dt.date(2025, 9, 20)
    [state] = sync_state(pg)
    assert state[:2] == ("flights_clean", 1) and state[2] and state[3:5] == (3, 0)
    assert staging(pg, FLIGHTS_CLEAN) == Counter()


def test_incremental_sync_applies_a_merge_of_updates_and_inserts(
    spark: SparkSession, lake: Lake, pg: Any
) -> None:
    lake.create(FLIGHTS_CLEAN, [observation("aaaa0001", T0), observation("aaaa0002", T0)])
    sync.sync_table(spark, lake.settings, "flights_clean")
    later = T0 + dt.timedelta(minutes=15)
    lake.merge(
        FLIGHTS_CLEAN,
        [
            observation("aaaa0002", T0, altitude_ft=36000, bronze_key="bronze/b.json"),
            observation("aaaa0003", later),
            null_observation("aaaa0004", later),
        ],
    )

    result = sync.sync_table(spark, lake.settings, "flights_clean")

    assert (result.from_version, result.to_version, result.mode) == (0, 1, "changes")
    assert (result.rows_upserted, result.rows_deleted) == (3, 0)
    assert pg_rows(pg, FLIGHTS_CLEAN) == _normalised(
        [
            observation("aaaa0001", T0),
            observation("aaaa0002", T0, altitude_ft=36000, bronze_key="bronze/b.json"),
            observation("aaaa0003", later),
            null_observation("aaaa0004", later),
        ]
    )
    assert pg_rows(pg, FLIGHTS_CLEAN) == lake.rows(FLIGHTS_CLEAN)
    assert sync_state(pg)[0][1] == 1


def test_delete_in_delta_is_deleted_in_postgres(spark: SparkSession, lake: Lake, pg: Any) -> None:
    kept, dropped = observation("dddd0001", T0), observation("dddd0002", T0)
    lake.create(FLIGHTS_CLEAN, [kept, dropped])
    sync.sync_table(spark, lake.settings, "flights_clean")
    lake.delete(FLIGHTS_CLEAN, "flight_id = 'dddd0002'")

    result = sync.sync_table(spark, lake.settings, "flights_clean")

    assert (result.rows_upserted, result.rows_deleted, result.to_version) == (0, 1, 1)
    assert pg_rows(pg, FLIGHTS_CLEAN) == _normalised([kept])


@pytest.mark.parametrize(
    "crash_in",
    [
        "_commit",  # after staging, before the transaction starts
        "_record_version",  # inside the transaction, after the upsert and delete ran
    ],
)
def test_crash_after_staging_leaves_postgres_unchanged_and_next_run_catches_up_exactly(
    spark: SparkSession, lake: Lake, pg: Any, monkeypatch: pytest.MonkeyPatch, crash_in: str
) -> None:
    lake.create(
        FLIGHTS_CLEAN,
        [observation("eeee0001", T0), observation("eeee0002", T0), observation("eeee0003", T0)],
    )
    sync.sync_table(spark, lake.settings, "flights_clean")
    later = T0 + dt.timedelta(minutes=15)
    lake.merge(
        FLIGHTS_CLEAN,
        [observation("eeee0002", T0, heading=180), null_observation("eeee0004", later)],
    )
    lake.delete(FLIGHTS_CLEAN, "flight_id = 'eeee0003'")
    rows_before, state_before = pg_rows(pg, FLIGHTS_CLEAN), sync_state(pg)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise SimulatedCrash(crash_in)

    monkeypatch.setattr(sync, crash_in, crash)
    with pytest.raises(SimulatedCrash):
        sync.sync_table(spark, lake.settings, "flights_clean")

    assert pg_rows(pg, FLIGHTS_CLEAN) == rows_before
    assert sync_state(pg) == state_before
    [crashed_sync_id] = {sync_id for sync_id, _ in staging(pg, FLIGHTS_CLEAN)}
    assert staging(pg, FLIGHTS_CLEAN) == Counter(
        {(crashed_sync_id, "upsert"): 2, (crashed_sync_id, "delete"): 1}
    )

    monkeypatch.undo()
    result = sync.sync_table(spark, lake.settings, "flights_clean")

    assert (result.from_version, result.to_version) == (0, 2)
    assert (result.rows_upserted, result.rows_deleted) == (2, 1)
    expected = _normalised(
        [
            observation("eeee0001", T0),
            observation("eeee0002", T0, heading=180),
            null_observation("eeee0004", later),
        ]
    )
    assert pg_rows(pg, FLIGHTS_CLEAN) == expected
    assert lake.rows(FLIGHTS_CLEAN) == expected
    assert sync_state(pg)[0][1] == 2
    assert staging(pg, FLIGHTS_CLEAN) == Counter()


def test_staged_rows_of_another_sync_are_never_applied(
    spark: SparkSession, lake: Lake, pg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.create(FLIGHTS_CLEAN, [observation("ffff0001", T0)])
    stale = observation("ffff0099", T0)
    columns = ", ".join(f.name for f in FLIGHTS_CLEAN.schema.fields)
    real_apply = sync._apply_staged

    def apply_with_a_stale_row_present(*args: Any, **kwargs: Any) -> tuple[int, int]:
        pg.execute(
            f"INSERT INTO silver.flights_clean_staging ({columns}, change_type, sync_id) "
            f"VALUES ({', '.join(['%s'] * len(stale))}, 'upsert', 'crashed-run')",
            stale,
        )
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(sync, "_apply_staged", apply_with_a_stale_row_present)
    result = sync.sync_table(spark, lake.settings, "flights_clean")

    assert result.rows_upserted == 1
    assert pg_rows(pg, FLIGHTS_CLEAN) == _normalised([observation("ffff0001", T0)])
    assert staging(pg, FLIGHTS_CLEAN) == Counter({("crashed-run", "upsert"): 1})

    monkeypatch.undo()
    lake.merge(FLIGHTS_CLEAN, [observation("ffff0002", T0)])
    sync.sync_table(spark, lake.settings, "flights_clean")  # starts by clearing leftovers
    assert staging(pg, FLIGHTS_CLEAN) == Counter()
    assert pg_rows(pg, FLIGHTS_CLEAN) == lake.rows(FLIGHTS_CLEAN)


def test_rerun_with_nothing_new_is_a_noop(spark: SparkSession, lake: Lake, pg: Any) -> None:
    lake.create(FLIGHTS_CLEAN, [observation("9a000001", T0), null_observation("9a000002", T0)])
    sync.sync_table(spark, lake.settings, "flights_clean")
    rows, versions, state = (
        pg_rows(pg, FLIGHTS_CLEAN),
        row_versions(pg, FLIGHTS_CLEAN),
        sync_state(pg),
    )

    result = sync.sync_table(spark, lake.settings, "flights_clean")

    assert (result.from_version, result.to_version, result.mode) == (0, 0, "none")
    assert (result.rows_upserted, result.rows_deleted) == (0, 0)
    assert pg_rows(pg, FLIGHTS_CLEAN) == rows
    assert row_versions(pg, FLIGHTS_CLEAN) == versions
    assert sync_state(pg) == state


def test_full_reload_of_unchanged_data_rewrites_no_row(
    spark: SparkSession, lake: Lake, pg: Any
) -> None:
    lake.create(FLIGHTS_CLEAN, [observation("9b000001", T0), null_observation("9b000002", T0)])
    sync.sync_table(spark, lake.settings, "flights_clean")
    versions = row_versions(pg, FLIGHTS_CLEAN)

    result = sync.sync_table(spark, lake.settings, "flights_clean", full=True)

    assert (result.mode, result.from_version, result.to_version) == ("snapshot", 0, 0)
    assert row_versions(pg, FLIGHTS_CLEAN) == versions


def test_a_recreated_delta_table_is_reloaded_and_stale_rows_removed(
    spark: SparkSession, lake: Lake, pg: Any
) -> None:
    from lakehouse.s3 import s3_client

    lake.create(FLIGHTS_CLEAN, [observation("9c000001", T0), observation("9c000002", T0)])
    lake.merge(FLIGHTS_CLEAN, [observation("9c000003", T0)])
    sync.sync_table(spark, lake.settings, "flights_clean")
    old_id = sync_state(pg)[0][2]
    # silver rebuilt from bronze: a new table whose versions restart at 0
    _delete_prefix(
        s3_client(lake.settings), lake.settings.bucket, f"{lake.settings.silver_prefix}/"
    )
    rebuilt = [observation("9c000002", T0, squawk="7000"), observation("9c000004", T0)]
    lake.create(FLIGHTS_CLEAN, rebuilt)

    result = sync.sync_table(spark, lake.settings, "flights_clean")

    assert (result.mode, result.from_version, result.to_version) == ("snapshot", 1, 0)
    assert (result.rows_upserted, result.rows_deleted) == (2, 2)
    assert pg_rows(pg, FLIGHTS_CLEAN) == _normalised(rebuilt)
    [state] = sync_state(pg)
    assert state[1] == 0 and state[2] != old_id


def test_a_sync_holding_the_table_lock_stops_a_second_one(
    spark: SparkSession, lake: Lake, pg: Any
) -> None:
    lake.create(FLIGHTS_CLEAN, [observation("9d000001", T0)])
    pg.execute(
        "SELECT pg_advisory_lock(hashtextextended('lakehouse.silver.sync:' || %s, 0))",
        ("flights_clean",),
    )
    try:
        with pytest.raises(sync.SyncError, match="another sync of flights_clean is running"):
            sync.sync_table(spark, lake.settings, "flights_clean")
    finally:
        pg.execute(
            "SELECT pg_advisory_unlock(hashtextextended('lakehouse.silver.sync:' || %s, 0))",
            ("flights_clean",),
        )
    assert pg_rows(pg, FLIGHTS_CLEAN) == Counter()
    assert sync_state(pg) == []


def test_a_moved_sync_position_rolls_the_sync_back(
    spark: SparkSession, lake: Lake, pg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake.create(FLIGHTS_CLEAN, [observation("9e000001", T0)])
    sync.sync_table(spark, lake.settings, "flights_clean")
    lake.merge(FLIGHTS_CLEAN, [observation("9e000002", T0)])
    rows_before = pg_rows(pg, FLIGHTS_CLEAN)
    real_apply = sync._apply_staged

    def apply_after_someone_moved_the_position(*args: Any, **kwargs: Any) -> tuple[int, int]:
        pg.execute(
            "UPDATE meta.sync_state SET delta_version = 7 WHERE table_name = 'flights_clean'"
        )
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(sync, "_apply_staged", apply_after_someone_moved_the_position)
    with pytest.raises(sync.SyncConflict):
        sync.sync_table(spark, lake.settings, "flights_clean")

    assert pg_rows(pg, FLIGHTS_CLEAN) == rows_before
    assert sync_state(pg)[0][1] == 7


def test_dimension_overwrite_syncs_changed_new_and_removed_keys(
    spark: SparkSession, lake: Lake, pg: Any
) -> None:
    schiphol = (
        "AMS",
        "EHAM",
        "Amsterdam Airport Schiphol",
        "Amsterdam",
        "Netherlands",
        52.308601,
        4.76389,
        "Europe/Amsterdam",
    )
    dublin = (
        "DUB",
        "EIDW",
        "Dublin Airport",
        "Dublin",
        "Ireland",
        53.421299,
        -6.27007,
        "Europe/Dublin",
    )
    unknown = ("ZZZ", None, None, None, None, None, None, None)
    lake.create(DIM_AIRPORT, [schiphol, dublin, unknown])
    lake.create(DIM_AIRLINE, [])  # an empty table syncs too
    first = sync.sync_all(spark, lake.settings, ["dim_airport", "dim_airline"])
    assert [(r.table, r.rows_upserted, r.to_version) for r in first] == [
        ("dim_airport", 3, 0),
        ("dim_airline", 0, 0),
    ]

    renamed_dublin = (*dublin[:2], "Dublin International", *dublin[3:])
    boundary = ("NZE", "NZNE", "Edge", "Edge", "Fiji", -90.0, 180.0, "Pacific/Fiji")
    lake.overwrite(DIM_AIRPORT, [schiphol, renamed_dublin, boundary])  # ZZZ removed
    lake.merge(DIM_AIRLINE, [("RYR", "FR", "Ryanair", "Ireland"), ("NUL", None, None, None)])

    results = sync.sync_all(spark, lake.settings, ["dim_airport", "dim_airline"])

    airport, airline = results
    assert (airport.from_version, airport.to_version, airport.mode) == (0, 1, "changes")
    assert (airport.rows_upserted, airport.rows_deleted) == (3, 1)
    assert pg_rows(pg, DIM_AIRPORT) == _normalised([schiphol, renamed_dublin, boundary])
    assert pg_rows(pg, DIM_AIRPORT) == lake.rows(DIM_AIRPORT)
    assert (airline.rows_upserted, airline.rows_deleted) == (2, 0)
    assert pg_rows(pg, DIM_AIRLINE) == lake.rows(DIM_AIRLINE)
    assert {row[0]: row[1] for row in sync_state(pg)} == {"dim_airline": 1, "dim_airport": 1}


def test_a_missing_delta_table_fails_with_what_to_do(
    spark: SparkSession, lake: Lake, pg: Any
) -> None:
    with pytest.raises(sync.SyncError, match="run the silver job first"):
        sync.sync_table(spark, lake.settings, "flights_clean")
    assert sync_state(pg) == []


def test_a_table_without_change_feed_fails_with_what_to_do_and_full_reload_repairs(
    spark: SparkSession, lake: Lake, pg: Any
) -> None:
    (
        lake.frame(FLIGHTS_CLEAN, [observation("9f000001", T0)])
        .write.format("delta")
        .option("delta.enableChangeDataFeed", "false")
        .save(lake.uri(FLIGHTS_CLEAN))
    )
    sync.sync_table(spark, lake.settings, "flights_clean")  # a snapshot needs no feed
    lake.merge(FLIGHTS_CLEAN, [observation("9f000001", T0, squawk="7700")])
    rows_before = pg_rows(pg, FLIGHTS_CLEAN)

    with pytest.raises(sync.SyncError, match="--full"):
        sync.sync_table(spark, lake.settings, "flights_clean")
    assert pg_rows(pg, FLIGHTS_CLEAN) == rows_before

    result = sync.sync_table(spark, lake.settings, "flights_clean", full=True)

    assert (result.mode, result.from_version, result.to_version) == ("snapshot", 0, 1)
    assert pg_rows(pg, FLIGHTS_CLEAN) == _normalised([observation("9f000001", T0, squawk="7700")])
