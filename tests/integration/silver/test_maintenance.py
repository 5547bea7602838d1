"""Silver maintenance on a real Delta table on S3A: fewer files, same rows, history intact.

The table is built the way the silver job builds it, by small MERGEs, so every partition holds
one small file per write: two closed days, and one open day (the ``before`` boundary itself)
that compaction must leave alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BEFORE = dt.date(2025, 9, 21)  # partitions before this day are closed
RETENTION_MS = 168 * 3600 * 1000  # Delta's default deletedFileRetentionDuration


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=None)  # session time zone is UTC


def observation(flight_id, observed_at, snapshot, **values):
    """A flights_clean row: every column null unless given (a null row is just no values)."""
    from lakehouse.silver.schema import FLIGHTS_CLEAN_SCHEMA

    row = dict.fromkeys(FLIGHTS_CLEAN_SCHEMA.fieldNames())
    observed = _at(observed_at)
    row.update(
        flight_id=flight_id,
        observed_at=observed,
        observed_date=observed.date(),
        snapshot_time=_at(snapshot),
        bronze_key=f"bronze/{snapshot[:10].replace('-', '/')}/flights_{snapshot}.json",
        **values,
    )
    return row


#: One MERGE per list: the way silver batches arrive, each adding a small file per partition.
WRITES = [
    [
        observation("a1", "2025-09-19T10:00:00", "2025-09-19T10:00:00", latitude=51.5,
                    altitude_ft=3000),
        observation("b1", "2025-09-20T08:00:00", "2025-09-20T08:00:00", latitude=48.1,
                    callsign="BAW1"),
    ],
    [
        observation("a2", "2025-09-19T11:00:00", "2025-09-19T11:00:00", longitude=-0.45),
        observation("b2", "2025-09-20T09:00:00", "2025-09-20T09:00:00", heading=360),
    ],
    # a later bronze object revises a1: its file is rewritten, the old one becomes history
    [
        observation("a1", "2025-09-19T10:00:00", "2025-09-19T10:15:00", latitude=51.6,
                    altitude_ft=-2000),
    ],
    [
        observation("a3", "2025-09-19T23:59:59", "2025-09-20T00:00:00", ground_speed_kt=1200),
        observation("n1", "2025-09-20T12:00:00", "2025-09-20T12:00:00"),  # the null row
    ],
    # the boundary day: observed at its first instant, still open for the silver writer
    [observation("c1", "2025-09-21T00:00:00", "2025-09-21T00:00:00", latitude=-90.0)],
    [observation("c2", "2025-09-21T00:15:00", "2025-09-21T00:15:00", longitude=180.0)],
]  # fmt: skip


def _rows(df):
    return sorted(tuple(r) for r in df.collect())


def _files_per_partition(spark, path):
    from pyspark.sql import functions as F

    grouped = (
        spark.read.format("delta")
        .load(path)
        .groupBy("observed_date")
        .agg(F.countDistinct("_metadata.file_path").alias("files"))
        .collect()
    )
    return {row["observed_date"]: row["files"] for row in grouped}


@pytest.fixture(scope="module")
def built(spark, settings, services, tmp_path_factory):
    """The silver tables under a private prefix, flights_clean written in small MERGEs."""
    from lakehouse.silver import merge
    from lakehouse.silver.schema import FLIGHTS_CLEAN_SCHEMA

    s = dataclasses.replace(settings, silver_prefix=f"t-{uuid.uuid4().hex[:10]}/silver")
    merge.ensure_tables(spark, s)
    for rows in WRITES:
        batch = spark.createDataFrame(rows, FLIGHTS_CLEAN_SCHEMA)
        merge.merge_flights_clean(spark, s, batch, merge.batch_dates(batch, "observed_date"))
    return s


@pytest.fixture(scope="module")
def maintained(spark, built):
    """The state before maintenance, the maintenance results, and the state right after."""
    from lakehouse.silver import maintenance
    from lakehouse.silver.merge import DIM_AIRPORT, FLIGHTS_CLEAN, latest_version

    path = built.silver_table_uri("flights_clean")
    before = {
        "rows": _rows(spark.read.format("delta").load(path)),
        "v1": _rows(spark.read.format("delta").option("versionAsOf", 1).load(path)),
        "files": _files_per_partition(spark, path),
        "version": latest_version(spark, built, FLIGHTS_CLEAN),
    }
    spark.conf.set(maintenance.VACUUM_LOGGING, "true")
    try:
        # a partitioned table and an (empty) unpartitioned one; all four cost minutes more
        results = maintenance.run(spark, built, tables=[FLIGHTS_CLEAN, DIM_AIRPORT], before=BEFORE)
    finally:
        spark.conf.unset(maintenance.VACUUM_LOGGING)
    return before, {r.table: r for r in results}


def test_compaction_leaves_one_file_per_closed_partition(spark, built, maintained):
    before, results = maintained
    path = built.silver_table_uri("flights_clean")
    assert before["files"] == {
        dt.date(2025, 9, 19): 3,
        dt.date(2025, 9, 20): 3,
        dt.date(2025, 9, 21): 2,
    }
    assert _files_per_partition(spark, path) == {
        dt.date(2025, 9, 19): 1,
        dt.date(2025, 9, 20): 1,
        dt.date(2025, 9, 21): 2,  # the boundary day is open: untouched
    }
    clean = results["flights_clean"]
    assert (clean.files_before, clean.files_after) == (8, 4)
    assert (clean.files_compacted, clean.files_written) == (6, 2)
    assert clean.partition_filter == "observed_date < DATE'2025-09-21'"


def test_maintenance_changes_no_row(spark, built, maintained):
    before, _ = maintained
    after = _rows(spark.read.format("delta").load(built.silver_table_uri("flights_clean")))
    assert after == before["rows"]
    assert [r[0] for r in after] == ["a1", "a2", "a3", "b1", "b2", "c1", "c2", "n1"]
    null_row = next(r for r in after if r[0] == "n1")
    assert sum(v is None for v in null_row) == len(null_row) - 5  # only key and lineage set


def test_time_travel_to_an_old_version_still_works_right_after(spark, built, maintained):
    before, _ = maintained
    path = built.silver_table_uri("flights_clean")
    v1 = _rows(spark.read.format("delta").option("versionAsOf", 1).load(path))
    assert v1 == before["v1"]
    assert {r[0] for r in v1} == {"a1", "b1"}
    a1 = next(r for r in v1 if r[0] == "a1")
    assert a1[4] == 51.5, "version 1 must show a1 before its revision"


def test_vacuum_ran_with_the_safety_check_on_and_deleted_nothing_needed(spark, built, maintained):
    from delta.tables import DeltaTable

    before, results = maintained
    history = (
        DeltaTable.forPath(spark, built.silver_table_uri("flights_clean"))
        .history()
        .where(f"version > {before['version']}")
        .orderBy("version")
        .select("operation", "operationParameters", "operationMetrics")
        .collect()
    )
    assert [h["operation"] for h in history] == ["OPTIMIZE", "VACUUM START", "VACUUM END"]
    predicate = history[0]["operationParameters"]["predicate"]
    assert "observed_date <" in predicate and "2025-09-21" in predicate, predicate
    start = history[1]["operationParameters"]
    assert start["retentionCheckEnabled"] == "true"
    assert int(start["defaultRetentionMillis"]) == RETENTION_MS
    # the six compacted files were removed seconds ago: all inside the retention, all kept
    assert history[2]["operationMetrics"]["numDeletedFiles"] == "0"
    assert results["flights_clean"].files_vacuumed == 0


def test_an_empty_unpartitioned_table_is_maintained_whole(maintained):
    _, results = maintained
    assert set(results) == {"flights_clean", "dim_airport"}
    empty = results["dim_airport"]
    assert (empty.files_before, empty.files_after, empty.files_compacted) == (0, 0, 0)
    assert empty.partition_filter is None  # unpartitioned: compacted whole


def test_vacuum_with_zero_hours_is_refused_by_the_safety_check(spark, built, maintained):
    from delta.tables import DeltaTable

    path = built.silver_table_uri("flights_clean")
    with pytest.raises(Exception, match="DELTA_VACUUM_RETENTION_PERIOD_TOO_SHORT"):
        DeltaTable.forPath(spark, path).vacuum(0)
    # the small files version 1 needs are all still there
    v1 = spark.read.format("delta").option("versionAsOf", 1).load(path)
    assert {r[0] for r in _rows(v1)} == {"a1", "b1"}


@pytest.mark.parametrize("hours", [0, 167])
def test_a_retention_setting_below_a_week_is_refused(spark, built, maintained, hours):
    from lakehouse.silver import maintenance
    from lakehouse.silver.merge import FLIGHTS_CLEAN, latest_version

    version = latest_version(spark, built, FLIGHTS_CLEAN)
    short = dataclasses.replace(built, delta_vacuum_retention_hours=hours)
    with pytest.raises(ValueError, match="LAKEHOUSE_DELTA_VACUUM_RETENTION_HOURS"):
        maintenance.run(spark, short, tables=[FLIGHTS_CLEAN], before=BEFORE)
    assert latest_version(spark, built, FLIGHTS_CLEAN) == version


def test_a_longer_retention_setting_becomes_the_tables_retention(spark, built, maintained):
    from delta.tables import DeltaTable

    from lakehouse.silver import maintenance
    from lakehouse.silver.merge import DIM_AIRLINE

    longer = dataclasses.replace(built, delta_vacuum_retention_hours=336)  # the boundary: 168
    spark.conf.set(maintenance.VACUUM_LOGGING, "true")
    try:
        maintenance.run(spark, longer, tables=[DIM_AIRLINE], before=BEFORE)
    finally:
        spark.conf.unset(maintenance.VACUUM_LOGGING)
    table = DeltaTable.forPath(spark, built.silver_table_uri("dim_airline"))
    properties = table.detail().first()["properties"]
    assert properties["delta.deletedFileRetentionDuration"] == "interval 336 hours"
    start = table.history().where("operation = 'VACUUM START'").first()
    assert int(start["operationParameters"]["defaultRetentionMillis"]) == 2 * RETENTION_MS


def test_maintenance_refuses_a_session_with_the_retention_check_off(spark, built, maintained):
    from lakehouse.silver import maintenance
    from lakehouse.silver.merge import FLIGHTS_CLEAN, latest_version

    version = latest_version(spark, built, FLIGHTS_CLEAN)
    spark.conf.set(maintenance.RETENTION_CHECK, "false")
    try:
        with pytest.raises(maintenance.RetentionCheckDisabled):
            maintenance.run(spark, built, before=BEFORE)
    finally:
        spark.conf.unset(maintenance.RETENTION_CHECK)
    assert latest_version(spark, built, FLIGHTS_CLEAN) == version


def test_tables_not_created_yet_are_skipped(spark, settings, services):
    from lakehouse.silver import maintenance

    s = dataclasses.replace(settings, silver_prefix=f"t-{uuid.uuid4().hex[:10]}/silver")
    assert maintenance.run(spark, s, before=BEFORE) == []


@pytest.mark.parametrize(
    ("table", "before", "expected"),
    [
        ("flights_clean", dt.date(2025, 9, 21), "observed_date < DATE'2025-09-21'"),
        ("flights_quarantine", dt.date(2024, 2, 29), "bronze_date < DATE'2024-02-29'"),
        ("flights_clean", None, None),  # every partition
        ("dim_airline", dt.date(2025, 9, 21), None),  # unpartitioned
    ],
)
def test_closed_partitions_filter(table, before, expected):
    from lakehouse.silver.maintenance import closed_partitions
    from lakehouse.silver.merge import TABLES

    spec = next(t for t in TABLES if t.name == table)
    assert closed_partitions(spec, before) == expected


def test_closed_partitions_rejects_text():
    from lakehouse.silver.maintenance import closed_partitions
    from lakehouse.silver.merge import FLIGHTS_CLEAN

    with pytest.raises(TypeError):
        closed_partitions(FLIGHTS_CLEAN, "2025-09-21' OR true --")
