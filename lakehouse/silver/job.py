"""Silver job: bronze objects -> clean, deduplicated, validated Delta tables -> Postgres.

Run with spark-submit (see ``--help``). Each batch is write-audit-publish: the batch is built and
validated with Great Expectations *before* anything is written; only a batch whose critical
expectations pass is MERGEd into the Delta tables, and only then does the ledger call its objects
processed. A crash anywhere leaves the ledger saying ``processing`` for those objects, and the
next run simply processes them again: every write is idempotent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.bronze import ledger
from lakehouse.settings import Settings, get_settings
from lakehouse.silver import merge
from lakehouse.silver.clean import (
    clean_observations,
    split_valid_and_quarantined,
    to_flights_quarantine,
)
from lakehouse.silver.dedupe import DEDUPE_RANK, count_duplicates_per_bronze_key, with_dedupe_rank
from lakehouse.silver.dimensions import airline_dimension, airport_dimension, seed_fingerprint
from lakehouse.silver.enrich import (
    to_flights_clean,
    with_airport_names,
    with_lineage,
    with_route_distance,
)
from lakehouse.silver.parse import bronze_key_from_path, explode_responses, flatten_observations
from lakehouse.silver.schema import ENVELOPE_SCHEMA

log = logging.getLogger("lakehouse.silver.job")


class AccountingError(RuntimeError):
    """raw != clean + quarantined + duplicates for some object: a bug, never published."""


@dataclass
class ObjectCounts:
    raw_rows: int = 0
    clean_rows: int = 0
    quarantined_rows: int = 0
    duplicate_rows: int = 0


@dataclass
class BatchResult:
    batch_id: str
    keys: list[str]
    counts: dict[str, ObjectCounts]
    delta_version: int | None
    seconds: float
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def totals(self) -> ObjectCounts:
        total = ObjectCounts()
        for c in self.counts.values():
            total.raw_rows += c.raw_rows
            total.clean_rows += c.clean_rows
            total.quarantined_rows += c.quarantined_rows
            total.duplicate_rows += c.duplicate_rows
        return total


def new_batch_id(now: dt.datetime | None = None) -> str:
    """A unique, sortable label for lineage; it never decides where data goes."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


# --- edges: reading ---------------------------------------------------------------------------


#: Longest JSON string (an embedded response body) the envelope reader accepts, in characters.
#: Jackson's default, 20,000,000, made every envelope with a body over 20 MB "unreadable".
MAX_BODY_CHARS = 1_000_000_000


def read_envelopes(spark: SparkSession, settings: Settings, keys: Sequence[str]) -> DataFrame:
    paths = [f"s3a://{settings.bucket}/{key}" for key in keys]
    return (
        spark.read.schema(ENVELOPE_SCHEMA)
        .option("mode", "PERMISSIVE")
        .option("maxStringLen", MAX_BODY_CHARS)
        .json(paths)
        .withColumn(
            "bronze_key",
            bronze_key_from_path(F.col("_metadata.file_path"), settings.bronze_prefix),
        )
    )


def unreadable_objects(envelopes: DataFrame, keys: Sequence[str]) -> dict[str, str]:
    """Objects that did not parse as an envelope at all (truncated JSON, not an object, ...)."""
    readable = {
        row["bronze_key"]
        for row in envelopes.where(
            F.col("snapshot_time").isNotNull() & F.col("responses").isNotNull()
        )
        .select("bronze_key")
        .distinct()
        .collect()
    }
    return {
        key: "unreadable_envelope: the object is not a bronze envelope (truncated or corrupt "
        "JSON, missing snapshot_time/responses, or a body longer than "
        f"{MAX_BODY_CHARS:,} characters); inspect it with `aws s3 cp` and re-land it"
        for key in keys
        if key not in readable
    }


# --- the batch --------------------------------------------------------------------------------


SEED_PROPERTY = "lakehouse.seed.sha256"


def dimensions(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """Refresh the dimension tables from the seed when it changed; return them from Delta.

    The seed's fingerprint is kept as a table property, so a run whose seed is already loaded
    skips both MERGEs (a full scan of each dimension otherwise, on every run).
    """
    fingerprint = seed_fingerprint()
    for spec, rows in (
        (merge.DIM_AIRPORT, airport_dimension),
        (merge.DIM_AIRLINE, airline_dimension),
    ):
        if merge.table_property(spark, settings, spec, SEED_PROPERTY) == fingerprint:
            continue
        merge.merge_dimension(spark, settings, spec, rows(spark))
        merge.set_table_property(spark, settings, spec, SEED_PROPERTY, fingerprint)
    dim_airport = merge.read_table(spark, settings, merge.DIM_AIRPORT).cache()
    dim_airline = merge.read_table(spark, settings, merge.DIM_AIRLINE).cache()
    return dim_airport, dim_airline


def _per_key(df: DataFrame, column: str) -> dict[str, int]:
    return {row["bronze_key"]: int(row[column]) for row in df.collect()}


def account(
    keys: Sequence[str], checked: DataFrame, rejected: DataFrame, ranked: DataFrame
) -> dict[str, ObjectCounts]:
    """Per-object counts, each measured independently, and the identity checked."""
    raw = _per_key(checked.groupBy("bronze_key").agg(F.count(F.lit(1)).alias("n")), "n")
    quarantined = _per_key(rejected.groupBy("bronze_key").agg(F.count(F.lit(1)).alias("n")), "n")
    duplicates = _per_key(count_duplicates_per_bronze_key(ranked), "duplicate_rows")
    clean = _per_key(
        ranked.where(F.col(DEDUPE_RANK) == 1)
        .groupBy("bronze_key")
        .agg(F.count(F.lit(1)).alias("n")),
        "n",
    )
    counts = {}
    for key in keys:
        c = ObjectCounts(
            raw_rows=raw.get(key, 0),
            clean_rows=clean.get(key, 0),
            quarantined_rows=quarantined.get(key, 0),
            duplicate_rows=duplicates.get(key, 0),
        )
        if c.raw_rows != c.clean_rows + c.quarantined_rows + c.duplicate_rows:
            raise AccountingError(f"{key}: {c} does not add up; nothing was published")
        counts[key] = c
    return counts


def describe_failure(exc: BaseException, limit: int = 1000) -> str:
    """The ledger's error for a failed batch: what went wrong, then what to do next.

    A JVM failure reaches Python as a Py4J error whose text carries the whole Java stack trace
    (many kB); the ledger keeps 4,000 characters, so the advice at the end used to be cut off.
    Only the lines that say what happened are kept (no stack frames), bounded, before the advice.
    """
    lines = (line.strip() for line in str(exc).splitlines())
    said = " ".join(line for line in lines if line and not line.startswith(("at ", "...")))
    if len(said) > limit:
        said = said[: limit - 3] + "..."
    return (
        f"{type(exc).__name__}: {said.rstrip('.')}. Fix the cause, then rerun the silver job "
        "(it retries failed objects) or `lakehouse reprocess KEY`."
    )


def process_batch(
    spark: SparkSession,
    settings: Settings,
    keys: Sequence[str],
    dims: tuple[DataFrame, DataFrame],
    *,
    batch_id: str | None = None,
    reprocess: bool = False,
) -> BatchResult:
    """Build, validate and publish one batch of bronze objects."""
    from lakehouse.silver import quality

    batch_id = batch_id or new_batch_id()
    started = time.monotonic()
    keys = list(keys)
    claimed = ledger.mark_processing(keys, batch_id, reprocess=reprocess, settings=settings)
    skipped = sorted(set(keys) - set(claimed))
    if skipped:
        log.info("batch %s: %d object(s) not claimable (already processed?): %s",
                 batch_id, len(skipped), skipped[:3])  # fmt: skip
    keys = claimed
    if not keys:
        return BatchResult(batch_id, [], {}, None, 0.0)
    batch_frames: list[DataFrame] = []

    def cached(frame: DataFrame) -> DataFrame:
        batch_frames.append(frame.cache())
        return frame

    try:
        envelopes = cached(read_envelopes(spark, settings, keys))
        unreadable = unreadable_objects(envelopes, keys)
        if unreadable:
            ledger.mark_failed(
                list(unreadable),
                next(iter(unreadable.values())),
                batch_id=batch_id,
                settings=settings,
            )
            for key in unreadable:
                log.error("batch %s: %s is unreadable, marked failed", batch_id, key)
        keys = [k for k in keys if k not in unreadable]
        dim_airport, dim_airline = dims

        checked = cached(
            envelopes.where(F.col("bronze_key").isin(keys))
            .transform(explode_responses)
            .transform(flatten_observations)
            .transform(clean_observations)
            .transform(with_lineage, batch_id)
        )
        valid, rejected = split_valid_and_quarantined(checked)
        ranked = cached(valid.transform(with_dedupe_rank))
        counts = account(keys, checked, rejected, ranked)
        clean = cached(
            ranked.where(F.col(DEDUPE_RANK) == 1)
            .drop(DEDUPE_RANK)
            .transform(with_airport_names, dim_airport)
            .transform(with_route_distance, dim_airport)
            .transform(to_flights_clean)
        )
        quarantine = rejected.transform(to_flights_quarantine)
        clean_total = sum(c.clean_rows for c in counts.values())

        # audit: nothing is written unless the critical expectations pass
        result = quality.validate_batch(
            clean,
            settings=settings,
            batch_id=batch_id,
            expected_rows=clean_total,
            dim_airport_codes={r["iata"] for r in dim_airport.select("iata").collect()},
            dim_airline_codes={r["icao"] for r in dim_airline.select("icao").collect()},
        )
        if not result.passed:
            raise quality.QualityGateFailed(result)
        for warning in result.warnings:
            log.warning("batch %s: quality warning: %s", batch_id, warning)

        # publish
        version = merge.merge_flights_clean(
            spark, settings, clean, merge.batch_dates(clean, "observed_date")
        )
        merge.merge_quarantine(
            spark, settings, quarantine, merge.batch_dates(quarantine, "bronze_date")
        )
        if version is None:
            version = merge.latest_version(spark, settings, merge.FLIGHTS_CLEAN)
        ledger.mark_processed(
            {
                key: ledger.RowCounts(
                    raw=c.raw_rows,
                    clean=c.clean_rows,
                    quarantined=c.quarantined_rows,
                    duplicates=c.duplicate_rows,
                )
                for key, c in counts.items()
            },
            batch_id,
            version,
            settings=settings,
        )
        seconds = time.monotonic() - started
        res = BatchResult(batch_id, keys, counts, version, seconds, unreadable)
        t = res.totals
        log.info(
            "batch %s: %d objects, raw %d = clean %d + quarantined %d + duplicates %d; "
            "flights_clean v%s; %.1fs",
            batch_id, len(keys), t.raw_rows, t.clean_rows, t.quarantined_rows,
            t.duplicate_rows, version, seconds,
        )  # fmt: skip
        return res
    except Exception as exc:
        ledger.mark_failed(keys, describe_failure(exc), batch_id=batch_id, settings=settings)
        raise
    finally:
        # only this batch's frames: the dimensions stay cached for the next batch of the run
        for frame in batch_frames:
            frame.unpersist()


# --- selecting work ---------------------------------------------------------------------------


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def select_keys(settings: Settings, args: argparse.Namespace) -> list[str]:
    if args.keys:
        return list(args.keys)
    if args.date_from or args.date_to or args.full_refresh:
        return ledger.keys_between(settings, args.date_from, args.date_to)
    return [
        row.key
        for row in ledger.pending_objects(
            settings,
            limit=args.limit or 1_000_000,
            max_attempts=settings.silver_max_attempts,
            # one run at a time (max_active_runs=1): a row still `processing` when a run
            # starts belongs to a run that died
            stale_after=dt.timedelta(seconds=0),
        )
    ]


def run(spark: SparkSession, settings: Settings, args: argparse.Namespace) -> list[BatchResult]:
    from lakehouse.s3 import require_reachable
    from lakehouse.silver import quality

    require_reachable(settings)  # before anything is claimed: a clear error, not minutes of retries
    quality.open_context_in_background(settings)  # overlaps ~10 s of GX start-up with Delta's
    merge.ensure_tables(spark, settings)
    if args.full_refresh:
        log.warning("full refresh: emptying the silver tables, then reprocessing all of bronze")
        merge.drop_all(spark, settings)
    keys = select_keys(settings, args)
    if not keys:
        log.info("nothing to process")
    # explicit keys, ranges and full refreshes re-run objects already processed
    reprocess = bool(args.keys or args.date_from or args.date_to or args.full_refresh)
    results = []
    dims = dimensions(spark, settings)
    total_batches = (len(keys) + args.batch_size - 1) // args.batch_size
    for number, batch_keys in enumerate(chunks(keys, args.batch_size), start=1):
        log.info("batch %d/%d: %d object(s)", number, total_batches, len(batch_keys))
        results.append(process_batch(spark, settings, batch_keys, dims, reprocess=reprocess))
    if args.sync:
        from lakehouse.silver.sync import sync_all

        for res in sync_all(spark, settings):
            log.info("synced %s", res)
    return results


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lakehouse/silver/job.py",
        description=(
            "Turn bronze snapshots into the silver Delta tables (clean, deduplicated, validated) "
            "and sync them into Postgres. Without arguments: every bronze object the ledger "
            "shows as pending."
        ),
        epilog=(
            "examples:\n"
            "  spark-submit --properties-file $(lakehouse spark-conf) lakehouse/silver/job.py\n"
            "  ... job.py --from 2025-09-20 --to 2025-09-21      # backfill/reprocess a day\n"
            "  ... job.py --keys bronze/2025/09/20/flights_20250920_1200.json\n"
            "  ... job.py --full-refresh                         # rebuild silver from bronze"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    select = p.add_mutually_exclusive_group()
    select.add_argument("--keys", nargs="+", metavar="KEY", help="process these bronze keys")
    select.add_argument(
        "--full-refresh",
        action="store_true",
        help="empty the silver tables and rebuild them from every bronze object in the ledger",
    )
    p.add_argument("--from", dest="date_from", type=_date, help="snapshots on/after this date")
    p.add_argument("--to", dest="date_to", type=_date, help="snapshots before this date")
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="bronze objects per committed batch (default: LAKEHOUSE_SILVER_BATCH_SIZE)",
    )
    p.add_argument("--limit", type=int, default=None, help="at most this many pending objects")
    p.add_argument(
        "--no-sync", dest="sync", action="store_false", help="skip the Postgres sync at the end"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    if args.batch_size is None:
        args.batch_size = settings.silver_batch_size
    from lakehouse.spark import build_session

    spark = build_session("lakehouse-silver", settings=settings)
    try:
        run(spark, settings, args)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
