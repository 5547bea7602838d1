"""Silver Delta tables -> Postgres, exactly once, driven by the Delta change data feed.

Per table, one sync is::

    last synced version (meta.sync_state)  ->  change feed last+1 .. latest   (or a full snapshot
    on the first sync, after a rebuild of the Delta table, or with ``full=True``)
    ->  final change per primary key       ->  JDBC append into silver.<table>_staging,
                                               tagged with this sync's id
    ->  ONE Postgres transaction: delete, upsert (INSERT ... ON CONFLICT DO UPDATE), drain this
        sync's staging rows, move meta.sync_state from the old version to the new one, commit.

Why it is exactly once: the rows and the version they bring Postgres to commit together, so a
crash anywhere leaves Postgres before the sync or after it, never between; the next run starts
from the version Postgres actually holds. Staging rows of a crashed run carry another sync id and
are never applied; the next run deletes them before it stages its own. A session advisory lock
lets one sync per table run at a time, and the state update is guarded by the previous version,
so a sync that lost a race rolls back instead of applying twice.

Why the statements are composed here rather than kept in ``.sql`` files: they are the same three
statements for every table, built from the column lists of :mod:`lakehouse.silver.schema` (the
contract shared by Delta and Postgres) with ``psycopg.sql.Identifier``; per-table files would be
copies of each other that drift from the schema.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from delta.tables import DeltaTable
from psycopg import sql
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lakehouse.db.connect import connect
from lakehouse.settings import Settings, get_settings
from lakehouse.silver.merge import DIM_AIRLINE, DIM_AIRPORT, FLIGHTS_CLEAN, TableSpec

log = logging.getLogger(__name__)

#: The tables synced, dimensions first so a flight never references an airport Postgres lacks.
SYNCED_TABLES: tuple[TableSpec, ...] = (DIM_AIRPORT, DIM_AIRLINE, FLIGHTS_CLEAN)
_SPECS = {spec.name: spec for spec in SYNCED_TABLES}

#: Rows per JDBC batch; with ``reWriteBatchedInserts`` the driver sends them as multi-row INSERTs.
JDBC_BATCH_SIZE = 10_000
#: Upper bound on concurrent JDBC connections landing one change set: Postgres, not Spark, is the
#: limit, and a few busy backends saturate it.
JDBC_MAX_WRITERS = 8

_CDF_META = ("_change_type", "_commit_version", "_commit_timestamp")


class SyncError(RuntimeError):
    """The sync cannot proceed; the message says what to do next."""


class SyncConflict(SyncError):
    """Postgres' sync position moved while this sync ran; nothing was applied."""


@dataclass(frozen=True)
class SyncResult:
    table: str
    from_version: int | None  # None: Postgres held no version of this table before
    to_version: int
    rows_upserted: int  # keys whose final change was an insert or update
    rows_deleted: int  # keys whose final change was a delete (or absent from a snapshot reload)
    seconds: float
    mode: str = "changes"  # changes | snapshot | none

    def __str__(self) -> str:
        start = "-" if self.from_version is None else self.from_version
        return (
            f"{self.table} v{start}->v{self.to_version} ({self.mode}): "
            f"{self.rows_upserted} upserted, {self.rows_deleted} deleted in {self.seconds:.1f}s"
        )


@dataclass(frozen=True)
class _State:
    version: int
    table_id: str | None


# --- Spark side ------------------------------------------------------------------------------


def final_change_per_key(changes: DataFrame, key: Sequence[str]) -> DataFrame:
    """Collapse a change feed to one row per key: its state after the last commit read.

    Pre-images are dropped. The latest ``_commit_version`` wins; within one commit an insert or
    post-image beats a delete, because a commit that deletes and inserts the same key (an
    overwrite, a delete-then-reinsert) leaves the inserted row. Two surviving rows for one key
    can only come from a table that breaks its own key; they are both kept so the upsert fails
    loudly instead of picking one silently. Output: the input's data columns plus
    ``change_type`` (``upsert`` or ``delete``).
    """
    is_delete = F.col("_change_type") == F.lit("delete")
    latest_first = Window.partitionBy(*key).orderBy(
        F.col("_commit_version").desc(), is_delete.asc()
    )
    return (
        changes.where(F.col("_change_type") != F.lit("update_preimage"))
        .withColumn("_rank", F.rank().over(latest_first))
        .where(F.col("_rank") == 1)
        .withColumn("change_type", F.when(is_delete, "delete").otherwise("upsert"))
        .drop("_rank", *_CDF_META)
    )


def _contract_columns(spec: TableSpec) -> list[Column]:
    return [F.col(f.name) for f in spec.schema.fields]


def jdbc_writers(spark: SparkSession) -> int:
    """Concurrent JDBC connections for one change set: one per core, up to the cap."""
    return min(JDBC_MAX_WRITERS, max(1, spark.sparkContext.defaultParallelism))


def read_changes(
    spark: SparkSession, settings: Settings, spec: TableSpec, start: int, end: int
) -> DataFrame:
    """The final change per key between two versions (both inclusive), contract columns only.

    Lazy: a feed that is missing for part of the range fails when the result is written (see
    :func:`_missing_feed`).
    """
    feed = (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", start)
        .option("endingVersion", end)
        .load(settings.silver_table_uri(spec.name))
    )
    # Hash-partitioning by key here is the shuffle the collapse needs anyway; fixing its width
    # also gives the JDBC write one evenly loaded partition per writer (AQE would otherwise
    # coalesce a small change set into a single partition, and a single connection).
    data = feed.select(*_contract_columns(spec), *_CDF_META).repartition(
        jdbc_writers(spark), *spec.key
    )
    return final_change_per_key(data, spec.key)


#: Delta's error conditions for a change feed that was never recorded or whose files are gone.
_MISSING_FEED_CONDITIONS = (
    "DELTA_MISSING_CHANGE_DATA",
    "DELTA_CHANGE_DATA_FILE_NOT_FOUND",
    "DELTA_CHANGE_TABLE_FEED_DISABLED",
)


def _missing_feed(exc: Exception, uri: str, start: int, end: int, table: str) -> SyncError | None:
    """A SyncError saying how to recover, if ``exc`` is Delta reporting an unreadable feed."""
    text = str(exc)
    condition = next((c for c in _MISSING_FEED_CONDITIONS if c in text), None)
    if condition is None:
        return None
    return SyncError(
        f"the change data feed of {uri} cannot be read for versions {start}..{end} "
        f"({condition}: never enabled there, or its files were vacuumed). Nothing was applied. "
        f"Reload the table from a snapshot: `python -m lakehouse.silver.sync --table {table} "
        "--full` (or sync_table(..., full=True))."
    )


def read_snapshot(
    spark: SparkSession, settings: Settings, spec: TableSpec, version: int
) -> DataFrame:
    """The whole table at ``version``, as upserts."""
    table = (
        spark.read.format("delta")
        .option("versionAsOf", version)
        .load(settings.silver_table_uri(spec.name))
    )
    return table.select(*_contract_columns(spec)).withColumn("change_type", F.lit("upsert"))


def write_staging(changes: DataFrame, settings: Settings, spec: TableSpec, sync_id: str) -> None:
    """Land a change set in the table's staging table over JDBC, tagged with ``sync_id``.

    Each Spark task writes its rows in one transaction; a retried task therefore never leaves a
    partial copy behind, and in the rare case that a committed task is retried the duplicate
    keys make the upsert fail loudly (and the next run starts over with a new sync id).
    """
    writers = jdbc_writers(changes.sparkSession)
    (
        changes.withColumn("sync_id", F.lit(sync_id))
        .write.format("jdbc")
        .mode("append")
        .option("url", settings.jdbc_url())
        .option("driver", "org.postgresql.Driver")
        .option("dbtable", f"silver.{spec.name}_staging")  # from the fixed registry above
        .option("user", settings.pg_writer_user)
        .option("password", settings.require("pg_writer_password"))
        .option("batchsize", JDBC_BATCH_SIZE)
        .option("numPartitions", writers)  # more partitions than this are coalesced, no shuffle
        .option("reWriteBatchedInserts", "true")
        .save()
    )


def _stage(
    spark: SparkSession,
    settings: Settings,
    spec: TableSpec,
    sync_id: str,
    *,
    start: int | None,
    end: int,
) -> None:
    """Land the change set up to version ``end`` in staging: the feed from ``start``, or (when
    ``start`` is None) the whole table as a snapshot."""
    if start is None:
        write_staging(read_snapshot(spark, settings, spec, end), settings, spec, sync_id)
        return
    try:
        write_staging(read_changes(spark, settings, spec, start, end), settings, spec, sync_id)
    except Exception as exc:
        uri = settings.silver_table_uri(spec.name)
        error = _missing_feed(exc, uri, start, end, spec.name)
        if error is None:
            raise
        raise error from exc


def _delta_state(spark: SparkSession, settings: Settings, spec: TableSpec) -> _State:
    uri = settings.silver_table_uri(spec.name)
    if not DeltaTable.isDeltaTable(spark, uri):
        raise SyncError(
            f"no Delta table at {uri}; run the silver job first (it creates the silver tables)"
        )
    table = DeltaTable.forPath(spark, uri)
    version = int(table.history(1).select("version").collect()[0]["version"])
    table_id = str(table.detail().select("id").collect()[0]["id"])
    return _State(version, table_id)


# --- Postgres side ---------------------------------------------------------------------------


def _target(spec: TableSpec) -> sql.Identifier:
    return sql.Identifier("silver", spec.name)


def _staging(spec: TableSpec) -> sql.Identifier:
    return sql.Identifier("silver", f"{spec.name}_staging")


def _columns(names: Sequence[str], prefix: str | None = None) -> sql.Composable:
    if prefix is None:
        return sql.SQL(", ").join(sql.Identifier(n) for n in names)
    return sql.SQL(", ").join(sql.Identifier(prefix, n) for n in names)


def _key_match(spec: TableSpec, left: str, right: str) -> sql.Composable:
    return sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier(left, k), sql.Identifier(right, k))
        for k in spec.key
    )


def _upsert_sql(spec: TableSpec) -> sql.Composed:
    """One set-based upsert from staging; rows that would not change are not rewritten.

    Skipping identical rows keeps a replayed change set (e.g. a snapshot reload over current
    data) from firing update triggers and dirtying downstream change logs.
    """
    names = [f.name for f in spec.schema.fields]
    values = [n for n in names if n not in spec.key]
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(n), sql.Identifier(n)) for n in values
    )
    return sql.SQL(
        "INSERT INTO {target} AS t ({cols}) "
        "SELECT {cols} FROM {staging} "
        "WHERE sync_id = %(sync_id)s AND change_type = 'upsert' "
        "ON CONFLICT ({keys}) DO UPDATE SET {assignments} "
        "WHERE ({old}) IS DISTINCT FROM ({new})"
    ).format(
        target=_target(spec),
        staging=_staging(spec),
        cols=_columns(names),
        keys=_columns(spec.key),
        assignments=assignments,
        old=_columns(values, "t"),
        new=_columns(values, "excluded"),
    )


def _delete_sql(spec: TableSpec) -> sql.Composed:
    return sql.SQL(
        "DELETE FROM {target} AS t USING {staging} AS s "
        "WHERE s.sync_id = %(sync_id)s AND s.change_type = 'delete' AND {match}"
    ).format(target=_target(spec), staging=_staging(spec), match=_key_match(spec, "t", "s"))


def _delete_absent_sql(spec: TableSpec) -> sql.Composed:
    """For a snapshot reload: rows Postgres holds that the snapshot does not."""
    return sql.SQL(
        "DELETE FROM {target} AS t WHERE NOT EXISTS ("
        "SELECT 1 FROM {staging} AS s WHERE s.sync_id = %(sync_id)s AND {match})"
    ).format(target=_target(spec), staging=_staging(spec), match=_key_match(spec, "t", "s"))


def _drain_sql(spec: TableSpec) -> sql.Composed:
    return sql.SQL(
        "WITH drained AS (DELETE FROM {staging} WHERE sync_id = %(sync_id)s RETURNING change_type) "
        "SELECT count(*) FILTER (WHERE change_type = 'upsert'), "
        "count(*) FILTER (WHERE change_type = 'delete') FROM drained"
    ).format(staging=_staging(spec))


def _lock_table(conn: psycopg.Connection, table: str) -> None:
    """One sync per table at a time (a session lock: released when the connection closes)."""
    got = conn.execute(
        "SELECT pg_try_advisory_lock(hashtextextended('lakehouse.silver.sync:' || %s, 0))",
        (table,),
    ).fetchone()
    if not got or not got[0]:
        raise SyncError(
            f"another sync of {table} is running (advisory lock held); let it finish, then retry"
        )


def _read_state(conn: psycopg.Connection, table: str) -> _State | None:
    row = conn.execute(
        "SELECT delta_version, delta_table_id FROM meta.sync_state WHERE table_name = %s",
        (table,),
    ).fetchone()
    return None if row is None else _State(int(row[0]), row[1])


def _clear_staging(conn: psycopg.Connection, spec: TableSpec) -> None:
    """Drop leftovers of crashed runs; safe because this connection holds the table's lock."""
    conn.execute(sql.SQL("TRUNCATE {}").format(_staging(spec)))


def _apply_staged(
    conn: psycopg.Connection, spec: TableSpec, sync_id: str, *, snapshot: bool
) -> tuple[int, int]:
    """Apply this sync's staged rows to the target; return (upsert rows, delete rows) staged."""
    params = {"sync_id": sync_id}
    absent = conn.execute(_delete_absent_sql(spec), params).rowcount if snapshot else 0
    deleted = conn.execute(_delete_sql(spec), params).rowcount
    written = conn.execute(_upsert_sql(spec), params).rowcount
    row = conn.execute(_drain_sql(spec), params).fetchone()
    upserts, deletes = (int(row[0]), int(row[1])) if row else (0, 0)
    log.info(
        "%s: %d upsert and %d delete change(s) staged; %d row(s) inserted or changed, "
        "%d deleted, %d removed as absent from the snapshot",
        spec.name,
        upserts,
        deletes,
        written,
        deleted,
        absent,
    )
    return upserts, deletes + absent


def _record_version(
    conn: psycopg.Connection,
    table: str,
    previous: _State | None,
    new: _State,
    rows_upserted: int,
    rows_deleted: int,
    seconds: float,
) -> None:
    """Move the sync position, but only from the version this sync started from."""
    if previous is None:
        cur = conn.execute(
            "INSERT INTO meta.sync_state (table_name, delta_version, delta_table_id, "
            "rows_upserted, rows_deleted, seconds, synced_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (table_name) DO NOTHING",
            (table, new.version, new.table_id, rows_upserted, rows_deleted, seconds),
        )
    else:
        cur = conn.execute(
            "UPDATE meta.sync_state SET delta_version = %s, delta_table_id = %s, "
            "rows_upserted = %s, rows_deleted = %s, seconds = %s, synced_at = now() "
            "WHERE table_name = %s AND delta_version = %s "
            "AND delta_table_id IS NOT DISTINCT FROM %s",
            (
                new.version,
                new.table_id,
                rows_upserted,
                rows_deleted,
                seconds,
                table,
                previous.version,
                previous.table_id,
            ),
        )
    if cur.rowcount != 1:
        raise SyncConflict(
            f"meta.sync_state for {table} is no longer at version "
            f"{previous.version if previous else '(none)'}: another sync or a manual change "
            "moved it. Nothing was applied; run the sync again."
        )


def _commit(
    conn: psycopg.Connection,
    spec: TableSpec,
    sync_id: str,
    *,
    snapshot: bool,
    previous: _State | None,
    new: _State,
    started: float,
) -> tuple[int, int]:
    """Everything Postgres sees of a sync, in one transaction."""
    with conn.transaction():
        upserts, deletes = _apply_staged(conn, spec, sync_id, snapshot=snapshot)
        _record_version(
            conn, spec.name, previous, new, upserts, deletes, time.monotonic() - started
        )
    return upserts, deletes


# --- the sync --------------------------------------------------------------------------------


def sync_table(
    spark: SparkSession, settings: Settings, table: str, *, full: bool = False
) -> SyncResult:
    """Bring ``silver.<table>`` in Postgres to the Delta table's latest version.

    ``full`` reloads a snapshot even when the change feed could be used: for a feed that is
    unavailable, or to repair a Postgres table edited by hand.
    """
    if table not in _SPECS:
        raise SyncError(f"unknown table {table!r}; the sync knows {sorted(_SPECS)}")
    spec = _SPECS[table]
    started = time.monotonic()
    with connect("writer", settings, autocommit=True) as conn:
        _lock_table(conn, table)
        previous = _read_state(conn, table)
        latest = _delta_state(spark, settings, spec)

        snapshot = full or previous is None
        if previous is not None and previous.table_id not in (None, latest.table_id):
            log.warning(
                "%s: the Delta table was recreated (id %s, Postgres synced %s): reloading a "
                "full snapshot",
                table,
                latest.table_id,
                previous.table_id,
            )
            snapshot = True
        elif previous is not None and not snapshot:
            if latest.version < previous.version:
                raise SyncError(
                    f"{table}: Delta is at version {latest.version} but Postgres has synced "
                    f"version {previous.version} of the same table; check LAKEHOUSE_BUCKET / "
                    f"LAKEHOUSE_SILVER_PREFIX, or reload with --full"
                )
            if latest.version == previous.version:
                seconds = time.monotonic() - started
                log.info("%s: already at version %d, nothing to sync", table, latest.version)
                return SyncResult(table, previous.version, previous.version, 0, 0, seconds, "none")

        sync_id = uuid.uuid4().hex
        _clear_staging(conn, spec)
        start = None if snapshot or previous is None else previous.version + 1
        _stage(spark, settings, spec, sync_id, start=start, end=latest.version)
        staged_at = time.monotonic()

        upserts, deletes = _commit(
            conn,
            spec,
            sync_id,
            snapshot=snapshot,
            previous=previous,
            new=latest,
            started=started,
        )
    seconds = time.monotonic() - started
    result = SyncResult(
        table,
        None if previous is None else previous.version,
        latest.version,
        upserts,
        deletes,
        seconds,
        "snapshot" if snapshot else "changes",
    )
    rate = (upserts + deletes) / max(staged_at - started, 1e-9)
    log.info(
        "synced %s; staged at %.0f rows/s, committed in %.1fs",
        result,
        rate,
        time.monotonic() - staged_at,
    )
    return result


def sync_all(
    spark: SparkSession,
    settings: Settings,
    tables: Sequence[str] | None = None,
    *,
    full: bool = False,
) -> list[SyncResult]:
    """Sync every silver table Postgres holds (or ``tables``), each in its own transaction."""
    names = list(tables) if tables else [spec.name for spec in SYNCED_TABLES]
    return [sync_table(spark, settings, name, full=full) for name in names]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lakehouse/silver/sync.py",
        description=(
            "Copy the silver Delta tables into Postgres (silver.flights_clean, dim_airport, "
            "dim_airline) from their change data feed since the last synced version, exactly "
            "once: rows and version commit in one transaction."
        ),
    )
    p.add_argument(
        "--table",
        dest="tables",
        action="append",
        choices=sorted(_SPECS),
        help="sync only this table (repeatable; default: all)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="reload a full snapshot instead of reading the change feed (repairs Postgres)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    from lakehouse.spark import build_session

    spark = build_session("lakehouse-silver-sync", settings=settings)
    try:
        for result in sync_all(spark, settings, args.tables, full=args.full):
            print(result)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
