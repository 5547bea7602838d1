"""lakehouse.silver.enrich: airport lookups, route distance, lineage, final projection."""

from __future__ import annotations

import math
from datetime import date, datetime

from chispa import assert_approx_df_equality, assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from lakehouse.silver.enrich import (
    EARTH_MEAN_RADIUS_KM,
    to_flights_clean,
    with_airport_names,
    with_lineage,
    with_route_distance,
)
from lakehouse.silver.schema import DIM_AIRPORT_SCHEMA, FLIGHTS_CLEAN_SCHEMA


def dim_airport(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            (
                "LHR",
                "EGLL",
                "London Heathrow Airport",
                "London",
                "United Kingdom",
                51.4706,
                -0.461941,
                "Europe/London",
            ),
            (
                "JFK",
                "KJFK",
                "John F Kennedy International Airport",
                "New York",
                "United States",
                40.63980103,
                -73.77890015,
                "America/New_York",
            ),
            ("ZZA", None, "Null Island A", None, None, 0.0, 0.0, None),
            ("ZZB", None, "Null Island B", None, None, 0.0, 180.0, None),
            ("NOP", None, "No Position", None, "Nowhere", None, None, None),
        ],
        DIM_AIRPORT_SCHEMA,
    )


def routes(spark: SparkSession, *pairs: tuple[str | None, str | None]) -> DataFrame:
    return spark.createDataFrame(
        [(f"f{i}", o, d) for i, (o, d) in enumerate(pairs)],
        "flight_id string, origin_iata string, destination_iata string",
    )


def test_route_distance_lhr_jfk(spark: SparkSession) -> None:
    out = with_route_distance(routes(spark, ("LHR", "JFK"), ("JFK", "LHR")), dim_airport(spark))
    # Published spherical great-circle distance LHR-JFK: 5,539 km (3,442 mi).
    expected = spark.createDataFrame(
        [("f0", "LHR", "JFK", 5539.6517), ("f1", "JFK", "LHR", 5539.6517)],
        "flight_id string, origin_iata string, destination_iata string, route_distance_km double",
    )
    assert_approx_df_equality(out, expected, precision=1e-3, ignore_nullable=True)


def test_route_distance_is_zero_for_same_airport_and_half_circumference_antipodal(
    spark: SparkSession,
) -> None:
    out = with_route_distance(routes(spark, ("ZZA", "ZZA"), ("ZZA", "ZZB")), dim_airport(spark))
    expected = spark.createDataFrame(
        [("f0", "ZZA", "ZZA", 0.0), ("f1", "ZZA", "ZZB", math.pi * EARTH_MEAN_RADIUS_KM)],
        "flight_id string, origin_iata string, destination_iata string, route_distance_km double",
    )
    assert_approx_df_equality(out, expected, precision=1e-6, ignore_nullable=True)


def test_route_distance_is_null_when_either_end_is_unknown(spark: SparkSession) -> None:
    pairs = [(None, "JFK"), ("LHR", None), ("LHR", "XXX"), ("NOP", "JFK"), ("lhr", "JFK")]
    out = with_route_distance(routes(spark, *pairs), dim_airport(spark))
    expected = spark.createDataFrame(
        [(f"f{i}", o, d, None) for i, (o, d) in enumerate(pairs)],
        "flight_id string, origin_iata string, destination_iata string, route_distance_km double",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_airport_names_keep_rows_with_unknown_codes(spark: SparkSession) -> None:
    out = with_airport_names(
        routes(spark, ("LHR", "JFK"), (None, "LHR"), ("XXX", None)), dim_airport(spark)
    )
    expected = spark.createDataFrame(
        [
            (
                "f0",
                "LHR",
                "JFK",
                "London Heathrow Airport",
                "United Kingdom",
                "John F Kennedy International Airport",
                "United States",
            ),
            ("f1", None, "LHR", None, None, "London Heathrow Airport", "United Kingdom"),
            ("f2", "XXX", None, None, None, None, None),
        ],
        "flight_id string, origin_iata string, destination_iata string, "
        "origin_airport_name string, origin_country string, "
        "destination_airport_name string, destination_country string",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_with_lineage_adds_the_batch_id_to_every_row(spark: SparkSession) -> None:
    out = with_lineage(routes(spark, ("LHR", "JFK"), (None, None)), "batch-7").select(
        "flight_id", "silver_batch_id"
    )
    expected = spark.createDataFrame(
        [("f0", "batch-7"), ("f1", "batch-7")], "flight_id string, silver_batch_id string"
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_to_flights_clean_orders_and_types_the_contract_columns(spark: SparkSession) -> None:
    values = {
        f.name: None for f in FLIGHTS_CLEAN_SCHEMA
    } | {  # a row with the keys set and everything else unknown
        "flight_id": "aa01",
        "observed_at": datetime(2025, 9, 20, 12, 0),
        "observed_date": date(2025, 9, 20),
        "heading_out_of_range": False,
        "altitude_out_of_range": True,
        "ground_speed_out_of_range": False,
    }
    # Columns arrive in reverse order with an extra working column and a long heading.
    fields = [
        T.StructField(f.name, T.LongType() if f.name == "heading" else f.dataType)
        for f in reversed(FLIGHTS_CLEAN_SCHEMA.fields)
    ]
    shuffled = spark.createDataFrame(
        [(*[values[f.name] for f in fields], "scratch")],
        T.StructType([*fields, T.StructField("raw_value", T.StringType())]),
    )
    out = to_flights_clean(shuffled)
    expected = spark.createDataFrame(
        [tuple(values[f.name] for f in FLIGHTS_CLEAN_SCHEMA)], FLIGHTS_CLEAN_SCHEMA
    )
    assert_df_equality(out, expected, ignore_nullable=True)
