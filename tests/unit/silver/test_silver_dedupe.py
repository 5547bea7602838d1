"""lakehouse.silver.dedupe: one row per (flight_id, observed_at) by the contract's order."""

from __future__ import annotations

from datetime import datetime

from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from lakehouse.silver.dedupe import (
    count_duplicates_per_bronze_key,
    dedupe_observations,
    with_dedupe_rank,
)

SCHEMA = (
    "flight_id string, observed_at timestamp, snapshot_time timestamp, bronze_key string, "
    "response_index int, raw_value string"
)
T0 = datetime(2025, 9, 20, 12, 0, 0)
NOON = datetime(2025, 9, 20, 12, 0, 0)
QUARTER = datetime(2025, 9, 20, 12, 15, 0)
KEY_NOON = "bronze/2025/09/20/flights_20250920_1200.json"
KEY_QUARTER = "bronze/2025/09/20/flights_20250920_1215.json"


def rows(spark: SparkSession, *data: tuple) -> DataFrame:
    return spark.createDataFrame(list(data), SCHEMA)


def test_dedupe_keeps_latest_bronze_object(spark: SparkSession) -> None:
    df = rows(
        spark,
        ("aa01", T0, NOON, KEY_NOON, 0, "[1]"),
        ("aa01", T0, QUARTER, KEY_QUARTER, 3, "[2]"),
        ("aa01", T0, None, "bronze/zzz.json", 0, "[0]"),  # no snapshot time never wins
    )
    expected = rows(spark, ("aa01", T0, QUARTER, KEY_QUARTER, 3, "[2]"))
    assert_df_equality(dedupe_observations(df), expected, ignore_nullable=True)


def test_dedupe_breaks_a_snapshot_tie_by_greatest_bronze_key(spark: SparkSession) -> None:
    df = rows(
        spark,
        ("aa01", T0, NOON, "bronze/a.json", 0, "[1]"),
        ("aa01", T0, NOON, "bronze/b.json", 1, "[2]"),
    )
    expected = rows(spark, ("aa01", T0, NOON, "bronze/b.json", 1, "[2]"))
    assert_df_equality(dedupe_observations(df), expected, ignore_nullable=True)


def test_dedupe_breaks_an_object_tie_by_lowest_response_index(spark: SparkSession) -> None:
    df = rows(
        spark,
        ("aa01", T0, NOON, KEY_NOON, 2, "[1]"),
        ("aa01", T0, NOON, KEY_NOON, 1, "[2]"),
        ("aa01", T0, NOON, KEY_NOON, None, "[0]"),
    )
    expected = rows(spark, ("aa01", T0, NOON, KEY_NOON, 1, "[2]"))
    assert_df_equality(dedupe_observations(df), expected, ignore_nullable=True)


def test_dedupe_breaks_a_response_tie_by_smallest_raw_value(spark: SparkSession) -> None:
    df = rows(
        spark,
        ("aa01", T0, NOON, KEY_NOON, 0, "[2]"),
        ("aa01", T0, NOON, KEY_NOON, 0, "[10]"),
    )
    expected = rows(spark, ("aa01", T0, NOON, KEY_NOON, 0, "[10]"))
    assert_df_equality(dedupe_observations(df), expected, ignore_nullable=True)


def test_dedupe_keeps_observations_one_microsecond_apart(spark: SparkSession) -> None:
    later = datetime(2025, 9, 20, 12, 0, 0, 1)
    df = rows(
        spark,
        ("aa01", T0, NOON, KEY_NOON, 0, "[1]"),
        ("aa01", later, NOON, KEY_NOON, 0, "[1]"),
        ("bb02", T0, NOON, KEY_NOON, 0, "[1]"),
    )
    assert_df_equality(dedupe_observations(df), df, ignore_row_order=True, ignore_nullable=True)


def test_dedupe_winner_does_not_depend_on_input_order(spark: SparkSession) -> None:
    data = [
        ("aa01", T0, NOON, KEY_NOON, 0, "[1]"),
        ("aa01", T0, QUARTER, KEY_QUARTER, 1, "[3]"),
        ("aa01", T0, QUARTER, KEY_QUARTER, 0, "[4]"),
    ]
    forward = dedupe_observations(rows(spark, *data))
    backward = dedupe_observations(rows(spark, *reversed(data)).repartition(2))
    expected = rows(spark, ("aa01", T0, QUARTER, KEY_QUARTER, 0, "[4]"))
    assert_df_equality(forward, expected, ignore_nullable=True)
    assert_df_equality(backward, expected, ignore_nullable=True)


def test_count_duplicates_per_bronze_key_counts_the_losers(spark: SparkSession) -> None:
    df = rows(
        spark,
        ("aa01", T0, NOON, KEY_NOON, 0, "[1]"),  # loses to the 12:15 object
        ("aa01", T0, QUARTER, KEY_QUARTER, 0, "[1]"),
        ("aa01", T0, QUARTER, KEY_QUARTER, 1, "[1]"),  # loses to response 0 of its object
        ("bb02", T0, NOON, KEY_NOON, 0, "[1]"),  # unique: no duplicate
    )
    out = count_duplicates_per_bronze_key(with_dedupe_rank(df))
    expected = spark.createDataFrame(
        [(KEY_NOON, 1), (KEY_QUARTER, 1)], "bronze_key string, duplicate_rows long"
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)
