"""lakehouse.silver.clean: unknowns, typing, out-of-range flags and quarantine reasons."""

from __future__ import annotations

from datetime import date, datetime

from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.silver.clean import (
    clean_observations,
    null_out_of_range_values,
    split_valid_and_quarantined,
    to_flights_quarantine,
    with_flight_id,
    with_quarantine_reason,
    with_typed_fields,
    with_unknowns_as_null,
)
from lakehouse.silver.schema import FEED_FIELDS, FLIGHTS_QUARANTINE_SCHEMA

KEY = "bronze/2025/09/20/flights_20250920_1200.json"
SNAPSHOT = datetime(2025, 9, 20, 12, 0, 0)
FETCHED = datetime(2025, 9, 20, 12, 0, 7, 123000)

OBSERVATIONS_SCHEMA = T.StructType(
    [
        T.StructField("bronze_key", T.StringType()),
        T.StructField("snapshot_time", T.TimestampType()),
        T.StructField("ingested_at", T.TimestampType()),
        T.StructField("response_index", T.IntegerType()),
        T.StructField("entry_key", T.StringType()),
        T.StructField("raw_value", T.StringType()),
        T.StructField("value_is_array", T.BooleanType()),
        T.StructField("value_length", T.IntegerType()),
        *[T.StructField(name, T.StringType()) for name in FEED_FIELDS],
    ]
)

VALID = {
    "icao_24bit": "406A3B", "latitude": "51.4706", "longitude": "-0.461941", "heading": "285",
    "altitude_ft": "3500", "ground_speed_kt": "160", "squawk": "2231", "radar": "T-EGLL1",
    "aircraft_type": "A388", "registration": "G-XLEA", "position_time": "1758369600",
    "origin_iata": "LHR", "destination_iata": "JFK", "flight_number": "BA117", "on_ground": "0",
    "vertical_speed_fpm": "1856", "callsign": "BAW117", "glider": "0", "airline_icao": "BAW",
}  # fmt: skip


def observations(spark: SparkSession, *rows: dict) -> DataFrame:
    """Observation rows: a valid entry ``3a1b2c4d`` with the given fields overridden."""
    records = []
    for i, overrides in enumerate(rows):
        row = {
            "bronze_key": KEY, "snapshot_time": SNAPSHOT, "ingested_at": FETCHED,
            "response_index": 0, "entry_key": "3a1b2c4d", "raw_value": f"[{i}]",
            "value_is_array": True, "value_length": 19, **VALID, **overrides,
        }  # fmt: skip
        records.append(tuple(row[f.name] for f in OBSERVATIONS_SCHEMA))
    return spark.createDataFrame(records, OBSERVATIONS_SCHEMA)


def test_unknown_spellings_become_null_in_every_field(spark: SparkSession) -> None:
    df = observations(
        spark,
        {"callsign": "", "squawk": "N/A", "radar": " N/A ", "registration": None},
        {"callsign": "n/a", "squawk": "N/A1", "radar": " ", "registration": "-"},
    )
    out = with_unknowns_as_null(df).select("callsign", "squawk", "radar", "registration")
    expected = spark.createDataFrame(
        [(None, None, None, None), ("n/a", "N/A1", None, "-")],
        "callsign string, squawk string, radar string, registration string",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def _bounded(spark: SparkSession, field: str, values: list[str | None]) -> DataFrame:
    df = observations(spark, *[{field: v} for v in values])
    return df.transform(null_out_of_range_values).transform(with_typed_fields)


def test_clean_nulls_altitude_just_above_60000(spark: SparkSession) -> None:
    values = ["60000", "60000.4", "60001", "-2000", "-2000.5", "0", None]
    out = _bounded(spark, "altitude_ft", values).select("altitude_ft", "altitude_out_of_range")
    expected = spark.createDataFrame(
        [
            (60000, False),
            (None, True),
            (None, True),
            (-2000, False),
            (None, True),
            (0, False),
            (None, False),
        ],
        "altitude_ft int, altitude_out_of_range boolean",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_clean_nulls_heading_outside_0_to_360(spark: SparkSession) -> None:
    values = ["0", "360", "360.01", "-1", "359.6", None]
    out = _bounded(spark, "heading", values).select("heading", "heading_out_of_range")
    expected = spark.createDataFrame(
        [(0, False), (360, False), (None, True), (None, True), (360, False), (None, False)],
        "heading int, heading_out_of_range boolean",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_clean_nulls_ground_speed_outside_0_to_1200(spark: SparkSession) -> None:
    values = ["0", "1200", "1201", "-0.5", None]
    out = _bounded(spark, "ground_speed_kt", values).select(
        "ground_speed_kt", "ground_speed_out_of_range"
    )
    expected = spark.createDataFrame(
        [(0, False), (1200, False), (None, True), (None, True), (None, False)],
        "ground_speed_kt int, ground_speed_out_of_range boolean",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_clean_flags_hostile_numbers_instead_of_failing(spark: SparkSession) -> None:
    values = ["NaN", "Infinity", "-Infinity", "1.0E308", "abc", "", "N/A"]
    df = observations(spark, *[{"altitude_ft": v} for v in values])
    out = clean_observations(df).select("altitude_ft", "altitude_out_of_range")
    # Unknown spellings are absent values, not out-of-range ones: no flag.
    expected = spark.createDataFrame(
        [(None, True)] * 5 + [(None, False)] * 2, "altitude_ft int, altitude_out_of_range boolean"
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_typed_fields_round_floats_where_ints_are_expected(spark: SparkSession) -> None:
    df = observations(
        spark,
        {"vertical_speed_fpm": "-64.5", "altitude_ft": "35000.5"},
        {"vertical_speed_fpm": "2147483647", "altitude_ft": "1.2e4"},
        {"vertical_speed_fpm": "2147483648", "altitude_ft": "abc"},
        {"vertical_speed_fpm": "NaN", "altitude_ft": None},
    )
    out = df.transform(with_typed_fields).select("vertical_speed_fpm", "altitude_ft")
    expected = spark.createDataFrame(
        [(-65, 35001), (2147483647, 12000), (None, None), (None, None)],
        "vertical_speed_fpm int, altitude_ft int",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_typed_fields_read_position_time_as_utc_seconds(spark: SparkSession) -> None:
    values = [
        "1758369600", "1.7583696E9", "1758412799.5", "253402300799", "253402300800", "0", "-1",
        "NaN", "Infinity", "1e30", "12:00", None,
    ]  # fmt: skip
    df = observations(spark, *[{"position_time": v} for v in values])
    out = df.transform(with_typed_fields).select("observed_at", "observed_date")
    noon = datetime(2025, 9, 20, 12, 0, 0)
    expected = spark.createDataFrame(
        [
            (noon, date(2025, 9, 20)),
            (noon, date(2025, 9, 20)),
            (datetime(2025, 9, 20, 23, 59, 59, 500000), date(2025, 9, 20)),
            (datetime(9999, 12, 31, 23, 59, 59), date(9999, 12, 31)),
        ]
        + [(None, None)] * 8,
        "observed_at timestamp, observed_date date",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_observed_date_is_utc_whatever_the_session_time_zone(spark: SparkSession) -> None:
    df = observations(spark, {"position_time": "1758412799"}, {"position_time": "1758412800"})
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        rows = df.transform(with_typed_fields).select("observed_date").collect()
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)
    assert [r.observed_date for r in rows] == [date(2025, 9, 20), date(2025, 9, 21)]


def test_typed_fields_accept_only_zero_or_one_flags(spark: SparkSession) -> None:
    values = ["0", "1", "1.0", "2", "-1", "true", None]
    df = observations(spark, *[{"on_ground": v, "glider": v} for v in values])
    out = df.transform(with_typed_fields).select("on_ground", "glider")
    expected = spark.createDataFrame(
        [(0, 0), (1, 1), (1, 1), (None, None), (None, None), (None, None), (None, None)],
        "on_ground int, glider int",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_typed_fields_drop_non_finite_coordinates(spark: SparkSession) -> None:
    values = [("90", "-180"), ("NaN", "Infinity"), ("1e400", "x"), (None, None)]
    df = observations(spark, *[{"latitude": a, "longitude": b} for a, b in values])
    out = df.transform(with_typed_fields).select("latitude", "longitude")
    expected = spark.createDataFrame(
        [(90.0, -180.0), (None, None), (None, None), (None, None)],
        "latitude double, longitude double",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_flight_id_is_the_key_only_when_it_can_be_an_fr24_id(spark: SparkSession) -> None:
    keys = ["3a1b2c4d", "A" * 64, "A" * 65, "", "N/A", "3a1b 2c4d", "3a1b-2c4d", "é1"]
    df = observations(spark, *[{"entry_key": k} for k in keys])
    out = with_flight_id(df).select("flight_id")
    expected = spark.createDataFrame(
        [("3a1b2c4d",), ("A" * 64,)] + [(None,)] * 6, "flight_id string"
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_quarantine_reason_is_the_first_failing_rule(spark: SparkSession) -> None:
    df = observations(
        spark,
        {"value_is_array": False, "value_length": None, "entry_key": ""},
        {"value_length": 18, "entry_key": ""},
        {"value_length": 20},
        {"entry_key": "", "position_time": None, "latitude": "91"},
        {"position_time": "N/A", "latitude": "91"},
        {"latitude": "90.0001", "longitude": "200"},
        {"latitude": None},
        {"latitude": "NaN"},
        {"longitude": "-180.5"},
        {"longitude": ""},
        {"latitude": "-90", "longitude": "180"},
        {},
    )
    out = clean_observations(df).select("quarantine_reason")
    expected = spark.createDataFrame(
        [
            ("not_an_array",),
            ("wrong_length",),
            ("wrong_length",),
            ("missing_flight_id",),
            ("missing_observed_at",),
            ("invalid_latitude",),
            ("invalid_latitude",),
            ("invalid_latitude",),
            ("invalid_longitude",),
            ("invalid_longitude",),
            (None,),
            (None,),
        ],
        "quarantine_reason string",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_quarantine_reason_needs_typed_fields_and_flight_id(spark: SparkSession) -> None:
    df = observations(spark, {})
    typed = df.transform(with_typed_fields).transform(with_flight_id)
    out = with_quarantine_reason(typed).select("quarantine_reason")
    assert_df_equality(
        out, spark.createDataFrame([(None,)], "quarantine_reason string"), ignore_nullable=True
    )


def test_split_puts_every_row_on_exactly_one_side(spark: SparkSession) -> None:
    df = observations(
        spark, {"entry_key": "aa01"}, {"entry_key": "bb02", "latitude": None}, {"entry_key": ""}
    )
    valid, rejected = split_valid_and_quarantined(clean_observations(df))
    assert "quarantine_reason" not in valid.columns
    assert_df_equality(
        valid.select("entry_key"),
        spark.createDataFrame([("aa01",)], "entry_key string"),
        ignore_nullable=True,
    )
    assert_df_equality(
        rejected.select("entry_key", "quarantine_reason"),
        spark.createDataFrame(
            [("bb02", "invalid_latitude"), ("", "missing_flight_id")],
            "entry_key string, quarantine_reason string",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_to_flights_quarantine_keeps_raw_value_and_utc_bronze_date(spark: SparkSession) -> None:
    late = datetime(2025, 9, 20, 23, 59, 59)
    df = observations(
        spark,
        {"entry_key": "N/A", "raw_value": '["x"]', "value_length": 1, "snapshot_time": late},
        {"entry_key": "cc03", "raw_value": "null", "value_is_array": False, "value_length": None},
    )
    rejected = clean_observations(df).withColumn("silver_batch_id", F.lit("batch-1"))
    out = to_flights_quarantine(rejected)
    expected = spark.createDataFrame(
        [
            (
                KEY,
                late,
                0,
                "N/A",
                "wrong_length",
                '["x"]',
                None,
                FETCHED,
                "batch-1",
                date(2025, 9, 20),
            ),
            (
                KEY,
                SNAPSHOT,
                0,
                "cc03",
                "not_an_array",
                "null",
                "cc03",
                FETCHED,
                "batch-1",
                date(2025, 9, 20),
            ),
        ],
        FLIGHTS_QUARANTINE_SCHEMA,
    )
    assert_df_equality(out, expected, ignore_nullable=True)
