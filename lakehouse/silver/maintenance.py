"""Silver maintenance: compact the Delta tables' small files, then VACUUM what no version needs.

Every silver batch MERGEs a few hundred rows, so each partition collects one small file per batch
(96 a day at the 15-minute cadence); readers pay for each. OPTIMIZE rewrites them into few large
files in a commit that changes no data (``dataChange = false``: the change data feed and the
Postgres sync see nothing), and VACUUM then deletes files that no table version of the last
``LAKEHOUSE_DELTA_VACUUM_RETENTION_HOURS`` (default 168) still references.

Safety, and why this can run while the silver job writes:

* Only *closed* partitions are compacted: those before ``--before`` (the DAG passes the day before
  its run). The silver MERGE names its batch's dates as literals in its ON clause, so it reads and
  rewrites only those partitions; OPTIMIZE on other partitions then never conflicts with it.
  Unpartitioned tables (the dimensions) are compacted whole; a clash there is caught by Delta's
  optimistic concurrency, and the losing side fails cleanly and is retried.
* VACUUM's retention is the table property ``delta.deletedFileRetentionDuration``, which this
  job keeps equal to the setting (Delta 4 ignores a retention passed to VACUUM itself). It is
  never below Delta's default of 168 hours, the threshold of Delta's safety check, and the check
  stays on (``spark.databricks.delta.retentionDurationCheck.enabled``; the job refuses to run
  with it off): time travel within the retention, and readers or writers still running, keep
  their files.

    spark-submit --properties-file $(lakehouse spark-conf) lakehouse/silver/maintenance.py --help
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from lakehouse.settings import Settings, get_settings
from lakehouse.silver.merge import TABLES, TableSpec

log = logging.getLogger("lakehouse.silver.maintenance")

RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
VACUUM_LOGGING = "spark.databricks.delta.vacuum.logging.enabled"
RETENTION_PROPERTY = "delta.deletedFileRetentionDuration"
#: Delta's default ``delta.deletedFileRetentionDuration`` (1 week): the floor of the retention.
MIN_RETENTION_HOURS = 168


class RetentionCheckDisabled(RuntimeError):
    """The session would let VACUUM delete files that table versions still need."""


@dataclass(frozen=True)
class TableMaintenance:
    """What maintaining one table did; file counts are those of the current table version."""

    table: str
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int
    files_compacted: int  # small files OPTIMIZE replaced
    files_written: int  # the files that replaced them
    files_vacuumed: int | None  # None when Delta did not log the VACUUM (see VACUUM_LOGGING)
    partition_filter: str | None
    seconds: float


def closed_partitions(spec: TableSpec, before: dt.date | None) -> str | None:
    """The OPTIMIZE partition filter for ``spec``: its partitions strictly before ``before``.

    None means the whole table: unpartitioned tables, or ``before`` None (every partition; only
    while the silver writer is stopped). Built from a real date, never from free text.
    """
    if not spec.partition_by or before is None:
        return None
    if not isinstance(before, dt.date):
        raise TypeError(f"before={before!r} is not a date")
    (column,) = spec.partition_by  # silver is partitioned by one date column
    return f"{column} < DATE'{before.isoformat()}'"


def table_files(table: DeltaTable) -> tuple[int, int]:
    """(files, bytes) of the table's current version."""
    row = table.detail().select("numFiles", "sizeInBytes").first()
    return (int(row["numFiles"] or 0), int(row["sizeInBytes"] or 0)) if row else (0, 0)


def compact(table: DeltaTable, partition_filter: str | None) -> tuple[int, int]:
    """OPTIMIZE (bin-packing compaction); return (files removed, files added)."""
    builder = table.optimize()
    if partition_filter is not None:
        builder = builder.where(partition_filter)
    row = builder.executeCompaction().select("metrics.numFilesRemoved", "metrics.numFilesAdded")
    metrics = row.first()
    if metrics is None:
        return 0, 0
    return int(metrics["numFilesRemoved"] or 0), int(metrics["numFilesAdded"] or 0)


def require_retention_check(spark: SparkSession) -> None:
    """Refuse to VACUUM in a session where Delta's retention safety check was switched off."""
    if (spark.conf.get(RETENTION_CHECK, "true") or "true").strip().lower() == "false":
        raise RetentionCheckDisabled(
            f"{RETENTION_CHECK} is false in this session: VACUUM could delete files that time "
            "travel and running readers still need. Remove that setting and run again."
        )


def _version(table: DeltaTable) -> int:
    row = table.history(1).select("version").first()
    if row is None:
        raise RuntimeError("a Delta table without history: is the _delta_log readable?")
    return int(row["version"])


def require_safe_retention(hours: int) -> None:
    """Refuse a retention shorter than Delta's default, the threshold of its safety check."""
    if hours < MIN_RETENTION_HOURS:
        raise ValueError(
            f"VACUUM retention of {hours}h is below {MIN_RETENTION_HOURS}h, Delta's default "
            "delta.deletedFileRetentionDuration: files that time travel, running readers and "
            "writers still need could be deleted. Set LAKEHOUSE_DELTA_VACUUM_RETENTION_HOURS to "
            f"{MIN_RETENTION_HOURS} or more."
        )


def ensure_retention(spark: SparkSession, path: str, table: DeltaTable, hours: int) -> bool:
    """Make the table's ``delta.deletedFileRetentionDuration`` ``hours``; True if it changed.

    Delta 4 VACUUM takes its retention from this property (a retention given to VACUUM itself
    is ignored unless 0, see ``spark.databricks.delta.vacuum.retentionWindowIgnore.enabled``),
    and its safety check measures against it. Changing it is a metadata commit, which conflicts
    with any concurrent write, so it happens only when the setting changed.
    """
    require_safe_retention(hours)
    row = table.detail().select("properties").first()
    current = (row["properties"] or {}).get(RETENTION_PROPERTY) if row else None
    wanted = f"interval {int(hours)} hours"
    if current == wanted or (current is None and hours == MIN_RETENTION_HOURS):
        return False
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ('{RETENTION_PROPERTY}' = '{wanted}')")
    log.info("%s: %s %s -> %s", path, RETENTION_PROPERTY, current or "(default 1 week)", wanted)
    return True


def vacuum(spark: SparkSession, table: DeltaTable) -> int | None:
    """VACUUM with the table's own retention; return the files deleted, if Delta logged it.

    Delta refuses a retention below ``delta.deletedFileRetentionDuration`` as long as its check
    is on, which ``require_retention_check`` makes sure of.
    """
    require_retention_check(spark)
    before = _version(table)
    table.vacuum()
    end = (
        table.history(2)
        .where(f"version > {before} AND operation = 'VACUUM END'")
        .select("operationMetrics")
        .first()
    )
    if end is None or end["operationMetrics"] is None:
        return None
    return int(end["operationMetrics"].get("numDeletedFiles", 0))


def maintain_table(
    spark: SparkSession,
    settings: Settings,
    spec: TableSpec,
    *,
    before: dt.date | None,
    retention_hours: int,
) -> TableMaintenance | None:
    """Compact then vacuum one silver table; None when the table does not exist yet."""
    path = settings.silver_table_uri(spec.name)
    if not DeltaTable.isDeltaTable(spark, path):
        log.info("%s: no Delta table at %s yet, nothing to maintain", spec.name, path)
        return None
    started = time.monotonic()
    table = DeltaTable.forPath(spark, path)
    files_before, bytes_before = table_files(table)
    partition_filter = closed_partitions(spec, before)
    removed, added = compact(table, partition_filter)
    ensure_retention(spark, path, table, retention_hours)
    vacuumed = vacuum(spark, table)
    files_after, bytes_after = table_files(table)
    result = TableMaintenance(
        spec.name, files_before, files_after, bytes_before, bytes_after, removed, added,
        vacuumed, partition_filter, time.monotonic() - started,
    )  # fmt: skip
    log.info(
        "%s: %d files (%d bytes) -> %d files (%d bytes); OPTIMIZE %s replaced %d small files "
        "with %d; VACUUM (retain %dh) deleted %s files; %.1fs",
        spec.name, files_before, bytes_before, files_after, bytes_after,
        partition_filter or "(whole table)", removed, added, retention_hours,
        "an unlogged number of" if vacuumed is None else vacuumed, result.seconds,
    )  # fmt: skip
    return result


def run(
    spark: SparkSession,
    settings: Settings,
    *,
    tables: Sequence[TableSpec] = TABLES,
    before: dt.date | None,
    retention_hours: int | None = None,
) -> list[TableMaintenance]:
    """Maintain each table in turn; the first failure stops the run (the rest wait for a retry)."""
    hours = settings.delta_vacuum_retention_hours if retention_hours is None else retention_hours
    require_safe_retention(hours)
    require_retention_check(spark)
    results = []
    for spec in tables:
        done = maintain_table(spark, settings, spec, before=before, retention_hours=hours)
        if done is not None:
            results.append(done)
    return results


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def build_parser() -> argparse.ArgumentParser:
    names = [spec.name for spec in TABLES]
    p = argparse.ArgumentParser(
        prog="lakehouse/silver/maintenance.py",
        description=(
            "Compact (OPTIMIZE) the silver Delta tables' small files, then VACUUM files no "
            "version within the retention needs. Partitioned tables are compacted only in "
            "partitions before --before, which the silver job no longer writes."
        ),
        epilog=(
            "examples:\n"
            "  spark-submit --properties-file $(lakehouse spark-conf) "
            "lakehouse/silver/maintenance.py\n"
            "  ... maintenance.py --before 2025-09-20 --tables flights_clean\n"
            "  ... maintenance.py --all-partitions     # only while the silver DAG is paused"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument(
        "--before",
        type=_date,
        help="compact partitions strictly before this date (default: yesterday, UTC)",
    )
    when.add_argument(
        "--all-partitions",
        action="store_true",
        help="compact every partition; may conflict with a running silver job",
    )
    p.add_argument("--tables", nargs="+", choices=names, default=names, metavar="TABLE",
                   help=f"tables to maintain (default: all of {', '.join(names)})")  # fmt: skip
    p.add_argument(
        "--retention-hours",
        type=int,
        default=None,
        help="VACUUM retention, written to each table's delta.deletedFileRetentionDuration "
        f"(default: LAKEHOUSE_DELTA_VACUUM_RETENTION_HOURS; at least {MIN_RETENTION_HOURS})",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    if args.all_partitions:
        before = None
    else:
        before = args.before or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    from lakehouse.spark import build_session

    spark = build_session(
        "lakehouse-silver-maintenance",
        settings=settings,
        extra_conf={RETENTION_CHECK: "true", VACUUM_LOGGING: "true"},
    )
    try:
        results = run(
            spark,
            settings,
            tables=[spec for spec in TABLES if spec.name in args.tables],
            before=before,
            retention_hours=args.retention_hours,
        )
    finally:
        spark.stop()
    log.info(
        "maintenance done: %d table(s), %d -> %d files",
        len(results),
        sum(r.files_before for r in results),
        sum(r.files_after for r in results),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
