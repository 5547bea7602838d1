"""Explicit schemas for the silver layer: what it reads from bronze and what it writes.

Reading bronze with an explicit schema (never inference) keeps a malformed or surprising object
from changing the shape of a batch. The output schemas are the contract of
``docs/data-contracts.md``; column order is the order of the tables there, so a Delta table, a
Postgres table and a test can all be compared column by column. Every column is nullable as far
as Spark is concerned: the transformations guarantee the keys are present (rows without them are
quarantined), and the tables enforce it with their keys and constraints.
"""

from __future__ import annotations

from pyspark.sql import types as T

#: Keys of an FR24 live-feed body that are not flights.
NON_FLIGHT_KEYS: tuple[str, ...] = ("full_count", "version", "stats")

#: The 19 positions of an FR24 flight array, named as the silver columns they become.
#: Index 10 (the position unix time) is kept as ``position_time`` text until it is typed into
#: ``observed_at``.
FEED_FIELDS: tuple[str, ...] = (
    "icao_24bit",
    "latitude",
    "longitude",
    "heading",
    "altitude_ft",
    "ground_speed_kt",
    "squawk",
    "radar",
    "aircraft_type",
    "registration",
    "position_time",
    "origin_iata",
    "destination_iata",
    "flight_number",
    "on_ground",
    "vertical_speed_fpm",
    "callsign",
    "glider",
    "airline_icao",
)
FEED_ARRAY_LENGTH = len(FEED_FIELDS)

# `request` is kept as its JSON text: silver never reads it, and a string field accepts any JSON
# value, so an unexpected request shape cannot make the envelope unreadable.
RESPONSE_SCHEMA = T.StructType(
    [
        T.StructField("index", T.IntegerType()),
        T.StructField("request", T.StringType()),
        T.StructField("status", T.IntegerType()),
        T.StructField("sha256", T.StringType()),
        T.StructField("body_encoding", T.StringType()),
        T.StructField("body", T.StringType()),
    ]
)

#: Schema for ``spark.read.schema(ENVELOPE_SCHEMA).json(paths)``. Times stay strings here and
#: are typed by :func:`lakehouse.silver.parse.explode_responses`, so the result never depends on
#: reader options such as ``timestampFormat``.
ENVELOPE_SCHEMA = T.StructType(
    [
        T.StructField("envelope_version", T.IntegerType()),
        T.StructField("source", T.StringType()),
        T.StructField("snapshot_time", T.StringType()),
        T.StructField("fetched_at", T.StringType()),
        T.StructField(
            "client",
            T.StructType(
                [
                    T.StructField("package", T.StringType()),
                    T.StructField("version", T.StringType()),
                ]
            ),
        ),
        T.StructField("responses", T.ArrayType(RESPONSE_SCHEMA)),
    ]
)

FLIGHTS_CLEAN_SCHEMA = T.StructType(
    [
        T.StructField("flight_id", T.StringType()),
        T.StructField("observed_at", T.TimestampType()),
        T.StructField("observed_date", T.DateType()),
        T.StructField("icao_24bit", T.StringType()),
        T.StructField("latitude", T.DoubleType()),
        T.StructField("longitude", T.DoubleType()),
        T.StructField("heading", T.IntegerType()),
        T.StructField("altitude_ft", T.IntegerType()),
        T.StructField("ground_speed_kt", T.IntegerType()),
        T.StructField("squawk", T.StringType()),
        T.StructField("radar", T.StringType()),
        T.StructField("aircraft_type", T.StringType()),
        T.StructField("registration", T.StringType()),
        T.StructField("origin_iata", T.StringType()),
        T.StructField("destination_iata", T.StringType()),
        T.StructField("flight_number", T.StringType()),
        T.StructField("on_ground", T.IntegerType()),
        T.StructField("vertical_speed_fpm", T.IntegerType()),
        T.StructField("callsign", T.StringType()),
        T.StructField("glider", T.IntegerType()),
        T.StructField("airline_icao", T.StringType()),
        T.StructField("origin_airport_name", T.StringType()),
        T.StructField("origin_country", T.StringType()),
        T.StructField("destination_airport_name", T.StringType()),
        T.StructField("destination_country", T.StringType()),
        T.StructField("route_distance_km", T.DoubleType()),
        T.StructField("heading_out_of_range", T.BooleanType()),
        T.StructField("altitude_out_of_range", T.BooleanType()),
        T.StructField("ground_speed_out_of_range", T.BooleanType()),
        T.StructField("bronze_key", T.StringType()),
        T.StructField("snapshot_time", T.TimestampType()),
        T.StructField("ingested_at", T.TimestampType()),
        T.StructField("silver_batch_id", T.StringType()),
    ]
)

#: Quarantine reasons, in the order the rules are checked: a row gets the first that applies.
QUARANTINE_REASONS: tuple[str, ...] = (
    "not_an_array",
    "wrong_length",
    "missing_flight_id",
    "missing_observed_at",
    "invalid_latitude",
    "invalid_longitude",
)

FLIGHTS_QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField("bronze_key", T.StringType()),
        T.StructField("snapshot_time", T.TimestampType()),
        T.StructField("response_index", T.IntegerType()),
        T.StructField("entry_key", T.StringType()),
        T.StructField("reason", T.StringType()),
        T.StructField("raw_value", T.StringType()),
        T.StructField("flight_id", T.StringType()),
        T.StructField("ingested_at", T.TimestampType()),
        T.StructField("silver_batch_id", T.StringType()),
        T.StructField("bronze_date", T.DateType()),
    ]
)

DIM_AIRPORT_SCHEMA = T.StructType(
    [
        T.StructField("iata", T.StringType()),
        T.StructField("icao", T.StringType()),
        T.StructField("name", T.StringType()),
        T.StructField("city", T.StringType()),
        T.StructField("country", T.StringType()),
        T.StructField("latitude", T.DoubleType()),
        T.StructField("longitude", T.DoubleType()),
        T.StructField("tz", T.StringType()),
    ]
)

DIM_AIRLINE_SCHEMA = T.StructType(
    [
        T.StructField("icao", T.StringType()),
        T.StructField("iata", T.StringType()),
        T.StructField("name", T.StringType()),
        T.StructField("country", T.StringType()),
    ]
)
