"""lakehouse.silver.parse: envelopes -> responses -> one row per raw flight entry."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from chispa import assert_df_equality
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lakehouse.silver.parse import (
    bronze_key_from_path,
    explode_responses,
    filter_unreadable_responses,
    flatten_observations,
)
from lakehouse.silver.schema import ENVELOPE_SCHEMA, FEED_FIELDS

KEY = "bronze/2025/09/20/flights_20250920_1200.json"
SNAPSHOT = datetime(2025, 9, 20, 12, 0, 0)
FETCHED = datetime(2025, 9, 20, 12, 0, 7, 123000)

RESPONSES_SCHEMA = T.StructType(
    [
        T.StructField("bronze_key", T.StringType()),
        T.StructField("snapshot_time", T.TimestampType()),
        T.StructField("ingested_at", T.TimestampType()),
        T.StructField("response_index", T.IntegerType()),
        T.StructField("status", T.IntegerType()),
        T.StructField("body_text", T.StringType()),
    ]
)

LHR_JFK = [
    "406A3B", 51.4706, -0.461941, 285, 3500, 160, "2231", "T-EGLL1", "A388", "G-XLEA",
    1758369600, "LHR", "JFK", "BA117", 0, 1856, "BAW117", 0, "BAW",
]  # fmt: skip


def responses(spark: SparkSession, *bodies: str | None) -> object:
    rows = [(KEY, SNAPSHOT, FETCHED, i, 200, body) for i, body in enumerate(bodies)]
    return spark.createDataFrame(rows, RESPONSES_SCHEMA)


def fields_schema(*names: str) -> T.StructType:
    return T.StructType([T.StructField(n, T.StringType()) for n in names])


def test_flatten_reads_each_position_as_its_json_text(spark: SparkSession) -> None:
    body = json.dumps({"full_count": 1, "version": 4, "3a1b2c4d": LHR_JFK})
    out = flatten_observations(responses(spark, body)).select(*FEED_FIELDS)
    expected_values = [
        "406A3B", "51.4706", "-0.461941", "285", "3500", "160", "2231", "T-EGLL1", "A388",
        "G-XLEA", "1758369600", "LHR", "JFK", "BA117", "0", "1856", "BAW117", "0", "BAW",
    ]  # fmt: skip
    expected = spark.createDataFrame([tuple(expected_values)], fields_schema(*FEED_FIELDS))
    assert_df_equality(out, expected, ignore_nullable=True)


def test_flatten_keeps_numbers_empty_strings_and_nulls_apart(spark: SparkSession) -> None:
    # Positions 0-4: a string, an empty string, a JSON null, a float, a huge integer; the
    # exponent and NaN forms show that non-finite and big numbers arrive as text, not errors.
    entry = ["abc", "", None, 1.5, 10**25, 1e300, "N/A", [1, 2], {"a": 1}, True] + [0] * 9
    body = '{"ab12": ' + json.dumps(entry) + ', "cd34": [NaN' + ", 0" * 18 + "]}"
    out = flatten_observations(responses(spark, body)).select("entry_key", *FEED_FIELDS[:10])
    expected = spark.createDataFrame(
        [
            (
                "ab12",
                "abc",
                "",
                None,
                "1.5",
                "10000000000000000000000000",
                "1.0E300",
                "N/A",
                "[1,2]",
                '{"a":1}',
                "true",
            ),
            ("cd34", "NaN", "0", "0", "0", "0", "0", "0", "0", "0", "0"),
        ],
        fields_schema("entry_key", *FEED_FIELDS[:10]),
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_flatten_skips_full_count_version_and_stats(spark: SparkSession) -> None:
    body = json.dumps(
        {"full_count": 12, "version": 4, "stats": {"total": {"ads-b": 1}}, "3a1b2c4d": LHR_JFK}
    )
    out = flatten_observations(responses(spark, body)).select("entry_key")
    expected = spark.createDataFrame([("3a1b2c4d",)], "entry_key string")
    assert_df_equality(out, expected, ignore_nullable=True)


def test_flatten_keeps_non_arrays_and_wrong_lengths_with_flags(spark: SparkSession) -> None:
    body = json.dumps(
        {
            "good": LHR_JFK,
            "short": LHR_JFK[:18],
            "long": [*LHR_JFK, "extra"],
            "text": "[1, 2]",  # a string that looks like an array is still a string
            "object": {"a": 1},
            "nothing": None,
            "empty": [],
        }
    )
    out = flatten_observations(responses(spark, body)).select(
        "entry_key", "raw_value", "value_is_array", "value_length", "icao_24bit", "airline_icao"
    )
    schema = T.StructType(
        [
            T.StructField("entry_key", T.StringType()),
            T.StructField("raw_value", T.StringType()),
            T.StructField("value_is_array", T.BooleanType(), nullable=False),
            T.StructField("value_length", T.IntegerType()),
            T.StructField("icao_24bit", T.StringType()),
            T.StructField("airline_icao", T.StringType()),
        ]
    )
    good_text = json.dumps(LHR_JFK, separators=(",", ":"))
    short_text = json.dumps(LHR_JFK[:18], separators=(",", ":"))
    long_text = json.dumps([*LHR_JFK, "extra"], separators=(",", ":"))
    expected = spark.createDataFrame(
        [
            ("good", good_text, True, 19, "406A3B", "BAW"),
            ("short", short_text, True, 18, "406A3B", None),
            ("long", long_text, True, 20, "406A3B", "BAW"),
            ("text", '"[1, 2]"', False, None, None, None),
            ("object", '{"a":1}', False, None, None, None),
            ("nothing", "null", False, None, None, None),
            ("empty", "[]", True, 0, None, None),
        ],
        schema,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_flatten_keeps_lineage_on_every_row(spark: SparkSession) -> None:
    bodies = (json.dumps({"aa01": LHR_JFK}), json.dumps({"aa01": LHR_JFK, "bb02": LHR_JFK}))
    out = flatten_observations(responses(spark, *bodies)).select(
        "bronze_key", "snapshot_time", "ingested_at", "response_index", "entry_key"
    )
    schema = "bronze_key string, snapshot_time timestamp, ingested_at timestamp, " \
        "response_index int, entry_key string"  # fmt: skip
    expected = spark.createDataFrame(
        [
            (KEY, SNAPSHOT, FETCHED, 0, "aa01"),
            (KEY, SNAPSHOT, FETCHED, 1, "aa01"),
            (KEY, SNAPSHOT, FETCHED, 1, "bb02"),
        ],
        schema,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_flatten_yields_nothing_for_unreadable_bodies(spark: SparkSession) -> None:
    df = responses(spark, "<html>502 Bad Gateway</html>", None, '{"aa01": [1, 2', "[1, 2]", "{}")
    assert flatten_observations(df).count() == 0
    unreadable = filter_unreadable_responses(df).select("response_index")
    # "{}" is a readable body that simply has no flights.
    expected = spark.createDataFrame([(0,), (1,), (2,), (3,)], "response_index int")
    assert_df_equality(unreadable, expected, ignore_row_order=True, ignore_nullable=True)


def _envelope_row(responses_: list[dict]) -> dict:
    return {
        "envelope_version": 1,
        "source": "simulator",
        "snapshot_time": "2025-09-20T12:00:00Z",
        "fetched_at": "2025-09-20T12:00:07.123Z",
        "client": {"package": "simulator", "version": "0.1.0"},
        "responses": responses_,
    }


def _envelopes(spark: SparkSession, *envelopes: dict) -> object:
    text = spark.createDataFrame([(json.dumps(e),) for e in envelopes], "value string")
    return (
        spark.read.schema(ENVELOPE_SCHEMA)
        .json(text.rdd.map(lambda r: r.value))
        .withColumn("bronze_key", F.lit(KEY))
    )


def test_explode_responses_decodes_base64_bodies(spark: SparkSession) -> None:
    utf8 = '{"aa01": ["é"]}'
    invalid_utf8 = b'{"aa02": ["\xff"]}'
    bodies = [
        {"index": 0, "body_encoding": "utf-8", "body": utf8},
        {"index": 1, "body_encoding": "base64", "body": base64.b64encode(utf8.encode()).decode()},
        {"index": 2, "body_encoding": "base64", "body": base64.b64encode(invalid_utf8).decode()},
        {"index": 3, "body_encoding": "base64", "body": "!!not base64"},
        {"index": 4, "body_encoding": None, "body": None},
    ]
    out = explode_responses(_envelopes(spark, _envelope_row(bodies))).select(
        "response_index", "body_text"
    )
    expected = spark.createDataFrame(
        [(0, utf8), (1, utf8), (2, '{"aa02": ["\ufffd"]}'), (3, None), (4, None)],
        "response_index int, body_text string",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_explode_responses_types_lineage_and_falls_back_to_position(spark: SparkSession) -> None:
    bodies = [{"index": 7, "status": 200, "body": "{}"}, {"index": None, "status": 500}]
    out = explode_responses(_envelopes(spark, _envelope_row(bodies))).select(
        "bronze_key", "snapshot_time", "ingested_at", "response_index", "status"
    )
    expected = spark.createDataFrame(
        [(KEY, SNAPSHOT, FETCHED, 7, 200), (KEY, SNAPSHOT, FETCHED, 1, 500)],
        "bronze_key string, snapshot_time timestamp, ingested_at timestamp, "
        "response_index int, status int",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_explode_responses_nulls_unparsable_times(spark: SparkSession) -> None:
    envelope = _envelope_row([{"index": 0, "body": "{}"}])
    envelope.update(snapshot_time="not a time", fetched_at=None)
    out = explode_responses(_envelopes(spark, envelope)).select("snapshot_time", "ingested_at")
    expected = spark.createDataFrame(
        [(None, None)], "snapshot_time timestamp, ingested_at timestamp"
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_bronze_key_from_path_strips_scheme_bucket_and_parents(spark: SparkSession) -> None:
    paths = spark.createDataFrame(
        [
            ("s3a://flights-data/bronze/2025/09/20/flights_20250920_1200.json",),
            ("file:///tmp/pytest-1/lake/bronze/2025/12/31/flights_20251231_2345.json",),
            ("s3a://flights-data/elsewhere/flights_20250920_1200.json",),
            (None,),
        ],
        "path string",
    )
    out = paths.select(bronze_key_from_path(F.col("path")).alias("bronze_key"))
    expected = spark.createDataFrame(
        [
            ("bronze/2025/09/20/flights_20250920_1200.json",),
            ("bronze/2025/12/31/flights_20251231_2345.json",),
            ("",),
            (None,),
        ],
        "bronze_key string",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_bronze_key_from_path_honours_a_nested_prefix(spark: SparkSession) -> None:
    paths = spark.createDataFrame(
        [("s3a://b/raw/fr24/2025/09/20/flights_20250920_1200.json",)], "path string"
    )
    out = paths.select(bronze_key_from_path(F.col("path"), "raw/fr24/").alias("bronze_key"))
    expected = spark.createDataFrame(
        [("raw/fr24/2025/09/20/flights_20250920_1200.json",)], "bronze_key string"
    )
    assert_df_equality(out, expected, ignore_nullable=True)
