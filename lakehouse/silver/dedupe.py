"""Keeping one row per ``(flight_id, observed_at)`` within a batch.

The winner is decided by a total order on lineage alone (latest ``snapshot_time``, then greatest
``bronze_key``, then lowest ``response_index``, then smallest ``raw_value``), never by arrival
order, so the same inputs always give the same row whatever the partitioning. The MERGE into
``flights_clean`` must apply the same order across batches; since one bronze object always
yields the same winner, comparing ``(snapshot_time, bronze_key)`` with the target row is enough
there, and an equal pair means the same row again.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

OBSERVATION_KEY: tuple[str, ...] = ("flight_id", "observed_at")
DEDUPE_RANK = "dedupe_rank"


def winner_first() -> WindowSpec:
    """Rows of one observation key, the one the contract keeps first.

    A function, not a module constant: building a window needs an active Spark session.
    """
    return Window.partitionBy(*OBSERVATION_KEY).orderBy(
        F.col("snapshot_time").desc_nulls_last(),
        F.col("bronze_key").desc_nulls_last(),
        F.col("response_index").asc_nulls_last(),
        F.col("raw_value").asc_nulls_last(),
    )


def with_dedupe_rank(df: DataFrame) -> DataFrame:
    """``dedupe_rank``: 1 for the row that survives its key, 2.. for the duplicates it beats."""
    return df.withColumn(DEDUPE_RANK, F.row_number().over(winner_first()))


def keep_top_ranked(ranked: DataFrame) -> DataFrame:
    """The surviving rows of :func:`with_dedupe_rank`, without the rank column."""
    return ranked.where(F.col(DEDUPE_RANK) == 1).drop(DEDUPE_RANK)


def count_duplicates_per_bronze_key(ranked: DataFrame) -> DataFrame:
    """``(bronze_key, duplicate_rows)``: rows each object lost to dedupe, for the ledger.

    Only keys with at least one duplicate appear; treat a missing key as 0.
    """
    return (
        ranked.where(F.col(DEDUPE_RANK) > 1)
        .groupBy("bronze_key")
        .agg(F.count(F.lit(1)).alias("duplicate_rows"))
    )


def dedupe_observations(df: DataFrame) -> DataFrame:
    """One row per ``(flight_id, observed_at)``, chosen by the contract's order."""
    return df.transform(with_dedupe_rank).transform(keep_top_ranked)
