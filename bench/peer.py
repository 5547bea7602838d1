"""The peer: the same silver dedupe and counts, and gold's daily_flight_counts, in DuckDB.

Both engines read the same local copies of the bronze objects. Spark runs the project's own
transforms (parse, clean, dedupe); DuckDB runs the contract's rules written in SQL. Each gives
raw / clean / quarantined / duplicate counts and the daily_flight_counts rows, and the bench
refuses to report a ratio if the two disagree: a faster engine that computes something else
proves nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.settings import Settings

Counts = dict[str, int]
DailyRows = set[tuple[str, str, int, int, int]]


def download(settings: Settings, keys: Sequence[str], folder: Path) -> list[Path]:
    """Local copies of bronze objects, under their keys (so lineage parses the same way)."""
    from lakehouse.s3 import s3_client

    client = s3_client(settings)
    paths = []
    for key in keys:
        path = folder / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(settings.bucket, key, str(path))
        paths.append(path)
    return paths


# --- Spark -------------------------------------------------------------------------------------


def spark_silver(spark: SparkSession, settings: Settings, paths: Sequence[Path]) -> DataFrame:
    """The silver job's parse/clean/dedupe chain over local files, rank column kept."""
    from lakehouse.silver.clean import clean_observations
    from lakehouse.silver.dedupe import with_dedupe_rank
    from lakehouse.silver.parse import bronze_key_from_path, explode_responses, flatten_observations
    from lakehouse.silver.schema import ENVELOPE_SCHEMA

    envelopes = (
        spark.read.schema(ENVELOPE_SCHEMA)
        .option("mode", "PERMISSIVE")
        .json([p.resolve().as_uri() for p in paths])
        .withColumn(
            "bronze_key",
            bronze_key_from_path(F.col("_metadata.file_path"), settings.bronze_prefix),
        )
    )
    checked = (
        envelopes.transform(explode_responses).transform(flatten_observations)
        .transform(clean_observations)
    )  # fmt: skip
    valid = checked.where(F.col("quarantine_reason").isNull())
    rejected = checked.where(F.col("quarantine_reason").isNotNull()).select(
        F.lit(None).cast("string").alias("flight_id"),
        F.lit(None).cast("timestamp").alias("observed_at"),
        F.lit(None).cast("string").alias("origin_iata"),
        F.lit(None).cast("string").alias("destination_iata"),
        F.lit(-1).alias("dedupe_rank"),
    )
    ranked = valid.transform(with_dedupe_rank).select(
        "flight_id", "observed_at", "origin_iata", "destination_iata", "dedupe_rank"
    )
    return ranked.unionByName(rejected)


def spark_run(
    spark: SparkSession, settings: Settings, paths: Sequence[Path]
) -> tuple[Counts, DailyRows]:
    rows = spark_silver(spark, settings, paths).cache()
    try:
        c = rows.agg(
            F.count(F.lit(1)).alias("raw"),
            F.count_if(F.col("dedupe_rank") == 1).alias("clean"),
            F.count_if(F.col("dedupe_rank") == -1).alias("quarantined"),
            F.count_if(F.col("dedupe_rank") > 1).alias("duplicates"),
        ).first()
        assert c is not None
        counts = {k: int(c[k]) for k in ("raw", "clean", "quarantined", "duplicates")}
        rows.where(F.col("dedupe_rank") == 1).createOrReplaceTempView("bench_clean")
        daily = spark.sql(DAILY_FLIGHT_COUNTS_SQL.format(table="bench_clean")).collect()
    finally:
        rows.unpersist()
    return counts, {_daily_row(r) for r in daily}


# --- DuckDB ------------------------------------------------------------------------------------

#: gold.daily_flight_counts by the contract, over a table of clean rows; the same text runs in
#: Spark SQL and DuckDB.
DAILY_FLIGHT_COUNTS_SQL = """
WITH flights AS (
    SELECT flight_id,
           CAST(min(observed_at) AS DATE) AS flight_date,
           max_by(origin_iata, observed_at) FILTER (WHERE origin_iata IS NOT NULL) AS origin,
           max_by(destination_iata, observed_at)
               FILTER (WHERE destination_iata IS NOT NULL) AS destination
    FROM {table}
    GROUP BY flight_id
),
sides AS (
    SELECT origin AS airport_iata, flight_date, 1 AS dep, 0 AS arr FROM flights
    WHERE origin IS NOT NULL
    UNION ALL
    SELECT destination, flight_date, 0, 1 FROM flights WHERE destination IS NOT NULL
)
SELECT airport_iata, CAST(flight_date AS STRING) AS flight_date, sum(dep) AS departures,
       sum(arr) AS arrivals, sum(dep) + sum(arr) AS flights
FROM sides GROUP BY airport_iata, flight_date
"""

#: The contract's cleaning, quarantine and dedupe rules (see lakehouse/silver/clean.py) in SQL.
DUCKDB_SILVER_SQL = r"""
CREATE OR REPLACE TEMP TABLE bench_rows AS
WITH env AS (
    SELECT regexp_extract(filename, '({prefix}/\d{{4}}/\d{{2}}/\d{{2}}/[^/]+)$', 1) AS bronze_key,
           CAST(snapshot_time AS TIMESTAMP) AS snapshot_time,
           unnest(responses) AS r
    FROM read_json({files}, columns = {{snapshot_time: 'VARCHAR',
         responses: 'STRUCT("index" INTEGER, body VARCHAR)[]'}}, filename = true,
         maximum_object_size = 1073741824)
),
bodies AS (
    SELECT bronze_key, snapshot_time, r."index" AS response_index,
           json_transform(r.body, '"MAP(VARCHAR, JSON)"') AS entries
    FROM env
),
entries AS (
    SELECT bronze_key, snapshot_time, response_index,
           unnest(map_keys(entries)) AS entry_key, unnest(map_values(entries)) AS v
    FROM bodies
),
flat AS (
    SELECT *, json_type(v) = 'ARRAY' AS is_array,
           CASE WHEN json_type(v) = 'ARRAY' THEN json_array_length(v) END AS len,
           CASE WHEN json_type(v) = 'ARRAY' THEN CAST(v AS VARCHAR[]) END AS el
    FROM entries WHERE entry_key NOT IN ('full_count', 'version', 'stats')
),
typed AS (
    SELECT *,
        CASE WHEN trim(el[11]) NOT IN ('', 'N/A') THEN TRY_CAST(el[11] AS DECIMAL(18, 6)) END AS pt,
        TRY_CAST(CASE WHEN trim(el[2]) NOT IN ('', 'N/A') THEN el[2] END AS DOUBLE) AS lat,
        TRY_CAST(CASE WHEN trim(el[3]) NOT IN ('', 'N/A') THEN el[3] END AS DOUBLE) AS lon,
        CASE WHEN trim(el[12]) NOT IN ('', 'N/A') THEN el[12] END AS origin_iata,
        CASE WHEN trim(el[13]) NOT IN ('', 'N/A') THEN el[13] END AS destination_iata
    FROM flat
),
judged AS (
    SELECT *, make_timestamp(CAST(CAST(pt AS DECIMAL(24, 6)) * 1000000 AS BIGINT)) AS observed_at,
        NOT is_array OR len <> 19 OR NOT regexp_full_match(entry_key, '[0-9A-Za-z]{{1,64}}')
        OR pt IS NULL OR NOT (pt > 0 AND pt < 32503680000)
        OR lat IS NULL OR isnan(lat) OR isinf(lat) OR lat NOT BETWEEN -90 AND 90
        OR lon IS NULL OR isnan(lon) OR isinf(lon) OR lon NOT BETWEEN -180 AND 180
        AS quarantined
    FROM typed
)
SELECT entry_key AS flight_id, observed_at, origin_iata, destination_iata,
    CASE WHEN quarantined THEN -1 ELSE row_number() OVER (
        PARTITION BY quarantined, entry_key, observed_at
        ORDER BY snapshot_time DESC NULLS LAST, bronze_key DESC NULLS LAST,
                 response_index ASC NULLS LAST, CAST(v AS VARCHAR) ASC NULLS LAST)
    END AS dedupe_rank
FROM judged
"""


def duckdb_run(settings: Settings, paths: Sequence[Path]) -> tuple[Counts, DailyRows]:
    import duckdb

    files = "[" + ", ".join(f"'{p.resolve()}'" for p in paths) + "]"
    prefix = settings.bronze_prefix.strip("/").replace(".", r"\.")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(DUCKDB_SILVER_SQL.format(files=files, prefix=prefix))
        c = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE dedupe_rank = 1), "
            "count(*) FILTER (WHERE dedupe_rank = -1), count(*) FILTER (WHERE dedupe_rank > 1) "
            "FROM bench_rows"
        ).fetchone()
        assert c is not None
        con.execute(
            "CREATE TEMP VIEW bench_clean AS SELECT * FROM bench_rows WHERE dedupe_rank = 1"
        )
        daily = con.execute(DAILY_FLIGHT_COUNTS_SQL.format(table="bench_clean")).fetchall()
    finally:
        con.close()
    counts = dict(zip(("raw", "clean", "quarantined", "duplicates"), map(int, c), strict=True))
    return counts, {_daily_row(r) for r in daily}


def _daily_row(row: Any) -> tuple[str, str, int, int, int]:
    return (str(row[0]), str(row[1]), int(row[2]), int(row[3]), int(row[4]))


def compare(
    spark: SparkSession, settings: Settings, paths: Sequence[Path], label: str
) -> dict[str, Any]:
    """Time both engines on the same files; fail if their answers differ."""
    started = time.perf_counter()
    spark_counts, spark_daily = spark_run(spark, settings, paths)
    spark_s = time.perf_counter() - started
    started = time.perf_counter()
    duck_counts, duck_daily = duckdb_run(settings, paths)
    duck_s = time.perf_counter() - started
    if spark_counts != duck_counts or spark_daily != duck_daily:
        raise RuntimeError(
            f"bench peer ({label}): Spark and DuckDB disagree: counts {spark_counts} vs "
            f"{duck_counts}; daily rows only in Spark {sorted(spark_daily - duck_daily)[:3]}, "
            f"only in DuckDB {sorted(duck_daily - spark_daily)[:3]}"
        )
    return {
        "label": label,
        "snapshots": len(paths),
        "bytes": sum(p.stat().st_size for p in paths),
        **spark_counts,
        "daily_flight_counts_rows": len(spark_daily),
        "spark_s": round(spark_s, 3),
        "duckdb_s": round(duck_s, 3),
        "spark_over_duckdb": round(spark_s / duck_s, 2),
    }
