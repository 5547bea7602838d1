"""The whole silver chain over two bronze envelopes written to disk and read with the schema.

Two snapshots 15 minutes apart; the noon one has two overlapping tiles (one base64 encoded), a
flagged value, and three rows for the quarantine. The 12:15 object repeats one observation, which
it must win. Every raw row is accounted for per bronze object.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime
from pathlib import Path

from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.silver.clean import (
    clean_observations,
    split_valid_and_quarantined,
    to_flights_quarantine,
)
from lakehouse.silver.dedupe import (
    count_duplicates_per_bronze_key,
    keep_top_ranked,
    with_dedupe_rank,
)
from lakehouse.silver.enrich import (
    to_flights_clean,
    with_airport_names,
    with_lineage,
    with_route_distance,
)
from lakehouse.silver.parse import bronze_key_from_path, explode_responses, flatten_observations
from lakehouse.silver.schema import (
    DIM_AIRPORT_SCHEMA,
    ENVELOPE_SCHEMA,
    FLIGHTS_CLEAN_SCHEMA,
    FLIGHTS_QUARANTINE_SCHEMA,
)

KEY_1200 = "bronze/2025/09/20/flights_20250920_1200.json"
KEY_1215 = "bronze/2025/09/20/flights_20250920_1215.json"
T0, T1, T_BB = 1758369600, 1758370500, 1758369590
BATCH = "batch-e2e"

AA01_NOON = [
    "406A3B", 51.4706, -0.461941, 285, 3500, 160, "2231", "T-EGLL1", "A388", "G-XLEA", T0,
    "LHR", "JFK", "BA117", 0, 1856, "BAW117", 0, "BAW",
]  # fmt: skip
AA01_RESEEN = [*AA01_NOON[:7], "T-EGLL2", *AA01_NOON[8:]]
AA01_LATER = [
    "406A3B", 51.6, -3.1, 280, 36000, 480, "2231", "T-EGLL2", "A388", "G-XLEA", T1,
    "LHR", "JFK", "BA117", 0, 0, "BAW117", 0, "BAW",
]  # fmt: skip
BB02 = [
    "A1B2C3", 40.64, -73.78, 361, 70000, 0, "", "F-KJFK1", "B738", "N12345", T_BB,
    "JFK", "", "", 1, 0, "", 0, "N/A",
]  # fmt: skip
NO_ID = [*AA01_NOON[:10], T0 + 1, *AA01_NOON[11:]]
DD04 = [*AA01_NOON[:1], 95.5, *AA01_NOON[2:]]


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def response(index: int, body: dict, encoding: str = "utf-8") -> dict:
    raw = json.dumps(body).encode()
    text = raw.decode() if encoding == "utf-8" else base64.b64encode(raw).decode()
    return {
        "index": index,
        "request": {"url": "https://data-cloud.example/zones/fcgi/feed.js", "params": {"gnd": 1}},
        "status": 200,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "body_encoding": encoding,
        "body": text,
    }


def write_envelope(root: Path, key: str, snapshot: str, fetched: str, responses: list) -> None:
    envelope = {
        "envelope_version": 1,
        "source": "simulator",
        "snapshot_time": snapshot,
        "fetched_at": fetched,
        "client": {"package": "simulator", "version": "0.1.0"},
        "responses": responses,
    }
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(envelope) + "\n", encoding="utf-8")


def run_chain(spark: SparkSession, root: Path, dim_airport: DataFrame) -> dict[str, DataFrame]:
    """The chain exactly as the silver job is meant to call it."""
    envelopes = (
        spark.read.schema(ENVELOPE_SCHEMA)
        .json([str(root / KEY_1200), str(root / KEY_1215)])
        .withColumn("bronze_key", bronze_key_from_path(F.col("_metadata.file_path")))
    )
    observations = envelopes.transform(explode_responses).transform(flatten_observations)
    checked = observations.transform(clean_observations).transform(with_lineage, BATCH)
    valid, rejected = split_valid_and_quarantined(checked)
    ranked = valid.transform(with_dedupe_rank)
    clean = (
        ranked.transform(keep_top_ranked)
        .transform(with_airport_names, dim_airport)
        .transform(with_route_distance, dim_airport)
        .transform(to_flights_clean)
    )
    return {
        "observations": observations,
        "clean": clean,
        "quarantine": rejected.transform(to_flights_quarantine),
        "duplicates": count_duplicates_per_bronze_key(ranked),
    }


def test_chain_from_envelope_files_to_clean_and_quarantine(
    spark: SparkSession, tmp_path: Path
) -> None:
    noon_tile_0 = {"full_count": 4, "version": 4, "stats": {"total": {"ads-b": 3}},
                   "aa01": AA01_NOON, "bb02": BB02, "cc03": "garbage", "": NO_ID}  # fmt: skip
    noon_tile_1 = {"full_count": 2, "version": 4, "aa01": AA01_NOON, "dd04": DD04}
    write_envelope(
        tmp_path, KEY_1200, "2025-09-20T12:00:00Z", "2025-09-20T12:00:07.123Z",
        [response(0, noon_tile_0), response(1, noon_tile_1, "base64")],
    )  # fmt: skip
    write_envelope(
        tmp_path, KEY_1215, "2025-09-20T12:15:00Z", "2025-09-20T12:15:05.000Z",
        [response(0, {"full_count": 2, "aa01": AA01_RESEEN, "aa02": AA01_LATER})],
    )  # fmt: skip
    # fmt: off
    dim_airport = spark.createDataFrame(
        [
            ("LHR", "EGLL", "London Heathrow Airport", "London", "United Kingdom", 51.4706,
             -0.461941, "Europe/London"),
            ("JFK", "KJFK", "John F Kennedy International Airport", "New York",
             "United States", 40.63980103, -73.77890015, "America/New_York"),
        ],
        DIM_AIRPORT_SCHEMA,
    )
    # fmt: on

    out = run_chain(spark, tmp_path, dim_airport)

    noon, quarter = datetime(2025, 9, 20, 12, 0), datetime(2025, 9, 20, 12, 15)
    fetched_noon = datetime(2025, 9, 20, 12, 0, 7, 123000)
    fetched_quarter = datetime(2025, 9, 20, 12, 15, 5)
    day = date(2025, 9, 20)
    lhr = ("London Heathrow Airport", "United Kingdom")
    jfk = ("John F Kennedy International Airport", "United States")
    lhr_jfk_km = 5539.651717070933
    # fmt: off
    expected_clean = spark.createDataFrame(
        [
            ("aa01", datetime(2025, 9, 20, 12, 0), day, "406A3B", 51.4706, -0.461941, 285, 3500,
             160, "2231", "T-EGLL2", "A388", "G-XLEA", "LHR", "JFK", "BA117", 0, 1856, "BAW117",
             0, "BAW", *lhr, *jfk, lhr_jfk_km, False, False, False, KEY_1215, quarter,
             fetched_quarter, BATCH),
            ("aa02", datetime(2025, 9, 20, 12, 15), day, "406A3B", 51.6, -3.1, 280, 36000, 480,
             "2231", "T-EGLL2", "A388", "G-XLEA", "LHR", "JFK", "BA117", 0, 0, "BAW117", 0,
             "BAW", *lhr, *jfk, lhr_jfk_km, False, False, False, KEY_1215, quarter,
             fetched_quarter, BATCH),
            ("bb02", datetime(2025, 9, 20, 11, 59, 50), day, "A1B2C3", 40.64, -73.78, None, None,
             0, None, "F-KJFK1", "B738", "N12345", "JFK", None, None, 1, 0, None, 0, None, *jfk,
             None, None, None, True, True, False, KEY_1200, noon, fetched_noon, BATCH),
        ],
        FLIGHTS_CLEAN_SCHEMA,
    )
    # fmt: on
    assert_df_equality(out["clean"], expected_clean, ignore_row_order=True, ignore_nullable=True)

    # fmt: off
    expected_quarantine = spark.createDataFrame(
        [
            (KEY_1200, noon, 0, "cc03", "not_an_array", '"garbage"', "cc03", fetched_noon,
             BATCH, day),
            (KEY_1200, noon, 0, "", "missing_flight_id", compact(NO_ID), None, fetched_noon,
             BATCH, day),
            (KEY_1200, noon, 1, "dd04", "invalid_latitude", compact(DD04), "dd04", fetched_noon,
             BATCH, day),
        ],
        FLIGHTS_QUARANTINE_SCHEMA,
    )
    # fmt: on
    assert_df_equality(
        out["quarantine"], expected_quarantine, ignore_row_order=True, ignore_nullable=True
    )

    # raw = clean + quarantined + duplicates, per bronze object.
    raw = out["observations"].groupBy("bronze_key").agg(F.count(F.lit(1)).alias("raw"))
    clean = out["clean"].groupBy("bronze_key").agg(F.count(F.lit(1)).alias("clean"))
    quarantined = (
        out["quarantine"].groupBy("bronze_key").agg(F.count(F.lit(1)).alias("quarantined"))
    )
    accounting = (
        raw.join(clean, "bronze_key", "left")
        .join(quarantined, "bronze_key", "left")
        .join(out["duplicates"], "bronze_key", "left")
        .fillna(0)
        .select("bronze_key", "raw", "clean", "quarantined", "duplicate_rows")
    )
    expected_accounting = spark.createDataFrame(
        [(KEY_1200, 6, 1, 3, 2), (KEY_1215, 2, 2, 0, 0)],
        "bronze_key string, raw long, clean long, quarantined long, duplicate_rows long",
    )
    assert_df_equality(accounting, expected_accounting, ignore_row_order=True, ignore_nullable=True)
