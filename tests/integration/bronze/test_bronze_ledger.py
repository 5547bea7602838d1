"""The ledger on the real Postgres: idempotent inserts and silver's status moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lakehouse.bronze.ledger import (
    LedgerEntry,
    LedgerError,
    RowCounts,
    get_rows,
    keys_between,
    known_keys,
    mark_failed,
    mark_processed,
    mark_processing,
    pending_objects,
    record_objects,
    unprocessed_among,
)

pytestmark = pytest.mark.integration

T0 = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)


def entry(minutes: int, **changes) -> LedgerEntry:
    t = T0 + timedelta(minutes=minutes)
    values = {
        "key": f"bronze/{t:%Y/%m/%d}/flights_{t:%Y%m%d_%H%M}.json",
        "snapshot_time": t,
        "fetched_at": t + timedelta(seconds=3, milliseconds=120),
        "source": "simulator",
        "flight_count": 1000 + minutes,
        "byte_size": 50000 + minutes,
        "sha256": f"{minutes % 10**6:064x}",
    }
    return LedgerEntry(**{**values, **changes})


def row(conn, key: str):
    (found,) = get_rows([key], conn=conn)
    return found


def test_record_objects_writes_landed_rows_with_every_bronze_field(ledger_tx):
    e = entry(0)
    assert record_objects([e], conn=ledger_tx) == [e.key]
    r = row(ledger_tx, e.key)
    assert (r.snapshot_time, r.fetched_at, r.source) == (e.snapshot_time, e.fetched_at, e.source)
    assert (r.flight_count, r.byte_size, r.sha256) == (1000, 50000, e.sha256)
    assert (r.status, r.attempts, r.error, r.processed_at, r.silver_version) == (
        "landed",
        0,
        None,
        None,
        None,
    )


def test_record_objects_keeps_the_first_row_for_a_key(ledger_tx):
    first = entry(0)
    record_objects([first], conn=ledger_tx)
    assert record_objects([entry(0, sha256="f" * 64, flight_count=1)], conn=ledger_tx) == []
    assert row(ledger_tx, first.key).sha256 == first.sha256


def test_record_objects_accepts_unknown_fetch_time_and_source_and_zero_flights(ledger_tx):
    e = entry(15, fetched_at=None, source=None, flight_count=0)
    record_objects([e], conn=ledger_tx)
    r = row(ledger_tx, e.key)
    assert (r.fetched_at, r.source, r.flight_count) == (None, None, 0)


def test_known_keys_returns_only_keys_in_the_ledger(ledger_tx):
    record_objects([entry(0)], conn=ledger_tx)
    assert known_keys([entry(0).key, entry(15).key], conn=ledger_tx) == {entry(0).key}
    assert known_keys([], conn=ledger_tx) == set()


def test_pending_objects_are_landed_or_failed_oldest_first(ledger_tx):
    record_objects([entry(m) for m in (30, 0, 15, 45)], conn=ledger_tx)
    mark_processing([entry(15).key], "b1", conn=ledger_tx)
    mark_processed({entry(15).key: RowCounts(1, 1, 0, 0)}, "b1", 7, conn=ledger_tx)
    mark_processing([entry(45).key], "b1", conn=ledger_tx)
    mark_failed([entry(45).key], "boom; rerun", conn=ledger_tx)
    pending = pending_objects(limit=10, conn=ledger_tx)
    assert [p.key for p in pending] == [entry(0).key, entry(30).key, entry(45).key]
    assert [p.key for p in pending_objects(limit=2, conn=ledger_tx)] == [
        entry(0).key,
        entry(30).key,
    ]


def test_pending_objects_skips_rows_that_used_up_their_attempts(ledger_tx):
    record_objects([entry(0), entry(15)], conn=ledger_tx)
    for _ in range(3):
        mark_processing([entry(0).key], "b", conn=ledger_tx)
        mark_failed([entry(0).key], "bad body", conn=ledger_tx)
    assert [p.key for p in pending_objects(limit=5, max_attempts=3, conn=ledger_tx)] == [
        entry(15).key
    ]
    assert len(pending_objects(limit=5, max_attempts=4, conn=ledger_tx)) == 2


def test_pending_objects_reclaims_processing_rows_only_when_stale(ledger_tx):
    record_objects([entry(0), entry(15)], conn=ledger_tx)
    mark_processing([entry(0).key, entry(15).key], "crashed", conn=ledger_tx)
    ledger_tx.execute(
        "UPDATE meta.bronze_objects SET updated_at = now() - interval '2 hours' WHERE key = %s",
        (entry(0).key,),
    )
    assert pending_objects(limit=5, conn=ledger_tx) == []
    stale = pending_objects(limit=5, stale_after=timedelta(hours=1), conn=ledger_tx)
    assert [p.key for p in stale] == [entry(0).key]


def test_pending_objects_rejects_a_zero_limit(ledger_tx):
    with pytest.raises(ValueError, match="limit"):
        pending_objects(limit=0, conn=ledger_tx)


def test_mark_processing_claims_for_the_batch_and_counts_attempts(ledger_tx):
    record_objects([entry(0), entry(15)], conn=ledger_tx)
    mark_processing([entry(0).key], "b1", conn=ledger_tx)
    mark_failed([entry(0).key], "spark died; rerun", conn=ledger_tx)
    claimed = mark_processing(
        [entry(15).key, entry(0).key, "bronze/unknown.json"], "b2", conn=ledger_tx
    )
    assert claimed == [entry(0).key, entry(15).key]
    r = row(ledger_tx, entry(0).key)
    assert (r.status, r.silver_batch_id, r.attempts, r.error) == ("processing", "b2", 2, None)


def test_mark_processing_leaves_processed_rows_unless_reprocessing(ledger_tx):
    record_objects([entry(0)], conn=ledger_tx)
    mark_processing([entry(0).key], "b1", conn=ledger_tx)
    mark_processed({entry(0).key: RowCounts(3, 2, 1, 0)}, "b1", 4, conn=ledger_tx)
    assert mark_processing([entry(0).key], "b2", conn=ledger_tx) == []
    assert mark_processing([entry(0).key], "b2", reprocess=True, conn=ledger_tx) == [entry(0).key]


def test_mark_processed_records_accounting_version_and_time(ledger_tx):
    record_objects([entry(0), entry(15)], conn=ledger_tx)
    mark_processing([entry(0).key, entry(15).key], "b1", conn=ledger_tx)
    closed = mark_processed(
        {entry(0).key: RowCounts(10, 7, 2, 1), entry(15).key: RowCounts(0, 0, 0, 0)},
        "b1",
        12,
        conn=ledger_tx,
    )
    assert closed == [entry(0).key, entry(15).key]
    r = row(ledger_tx, entry(0).key)
    assert (r.status, r.silver_version, r.silver_batch_id) == ("processed", 12, "b1")
    assert (r.raw_rows, r.clean_rows, r.quarantined_rows, r.duplicate_rows) == (10, 7, 2, 1)
    assert r.processed_at is not None
    empty = row(ledger_tx, entry(15).key)
    assert (empty.raw_rows, empty.clean_rows) == (0, 0)


def test_mark_processed_accepts_a_batch_that_committed_no_version(ledger_tx):
    record_objects([entry(0)], conn=ledger_tx)
    mark_processing([entry(0).key], "b1", conn=ledger_tx)
    mark_processed({entry(0).key: RowCounts(2, 0, 2, 0)}, "b1", None, conn=ledger_tx)
    r = row(ledger_tx, entry(0).key)
    assert (r.status, r.silver_version, r.quarantined_rows) == ("processed", None, 2)


def test_mark_processed_refuses_rows_another_batch_holds_and_changes_nothing(ledger_tx):
    record_objects([entry(0), entry(15)], conn=ledger_tx)
    mark_processing([entry(0).key], "b1", conn=ledger_tx)
    mark_processing([entry(15).key], "b2", conn=ledger_tx)
    with pytest.raises(LedgerError, match=entry(15).key):
        mark_processed(
            {entry(0).key: RowCounts(1, 1, 0, 0), entry(15).key: RowCounts(1, 1, 0, 0)},
            "b1",
            3,
            conn=ledger_tx,
        )
    assert [r.status for r in get_rows([entry(0).key, entry(15).key], conn=ledger_tx)] == [
        "processing",
        "processing",
    ]


def test_mark_failed_records_the_error_but_never_touches_processed_rows(ledger_tx):
    record_objects([entry(0), entry(15)], conn=ledger_tx)
    mark_processing([entry(0).key, entry(15).key], "b1", conn=ledger_tx)
    mark_processed({entry(0).key: RowCounts(1, 1, 0, 0)}, "b1", 1, conn=ledger_tx)
    failed = mark_failed(
        [entry(0).key, entry(15).key], "GE suite failed; see Data Docs", conn=ledger_tx
    )
    assert failed == [entry(15).key]
    assert row(ledger_tx, entry(0).key).status == "processed"
    r = row(ledger_tx, entry(15).key)
    assert (r.status, r.error) == ("failed", "GE suite failed; see Data Docs")


def test_mark_failed_for_a_batch_leaves_rows_a_newer_batch_claimed(ledger_tx):
    record_objects([entry(0)], conn=ledger_tx)
    mark_processing([entry(0).key], "old", conn=ledger_tx)
    mark_processing([entry(0).key], "new", conn=ledger_tx)
    assert mark_failed([entry(0).key], "late report", batch_id="old", conn=ledger_tx) == []
    assert row(ledger_tx, entry(0).key).status == "processing"


def test_mark_failed_truncates_a_huge_error(ledger_tx):
    record_objects([entry(0)], conn=ledger_tx)
    mark_failed([entry(0).key], "x" * 10_000, conn=ledger_tx)
    assert len(row(ledger_tx, entry(0).key).error) == 4000


def test_ledger_functions_commit_on_their_own_connection(bronze_settings, pg, unique_prefix):
    e = entry(0, key=f"{unique_prefix}/bronze/2025/09/20/flights_20250920_1200.json")
    assert record_objects([e], settings=bronze_settings) == [e.key]
    (status,) = pg.execute(
        "SELECT status FROM meta.bronze_objects WHERE key = %s", (e.key,)
    ).fetchone()
    assert status == "landed"


def test_unprocessed_among_counts_unknown_keys_as_work(ledger_tx):
    record_objects([entry(0), entry(15), entry(30)], conn=ledger_tx)
    mark_processing([entry(15).key], "b1", conn=ledger_tx)
    mark_processed({entry(15).key: RowCounts(1, 1, 0, 0)}, "b1", 1, conn=ledger_tx)
    mark_processing([entry(30).key], "b1", conn=ledger_tx)
    keys = [entry(30).key, entry(15).key, entry(0).key, "bronze/not/yet/recorded.json"]
    assert unprocessed_among(None, keys, conn=ledger_tx) == sorted(
        [entry(0).key, entry(30).key, "bronze/not/yet/recorded.json"]
    )
    assert unprocessed_among(None, [], conn=ledger_tx) == []


def test_keys_between_takes_from_inclusive_to_exclusive_utc_days_in_any_status(ledger_tx):
    # 23:45 on the 19th, midnight and 23:45 on the 20th, midnight on the 21st
    minutes = (-735, -720, 705, 720)
    record_objects([entry(m) for m in minutes], conn=ledger_tx)
    mark_processing([entry(-720).key], "b1", conn=ledger_tx)
    mark_processed({entry(-720).key: RowCounts(0, 0, 0, 0)}, "b1", 1, conn=ledger_tx)
    day = date(2025, 9, 20)
    assert keys_between(None, day, date(2025, 9, 21), conn=ledger_tx) == [
        entry(-720).key,
        entry(705).key,
    ]
    assert keys_between(None, None, day, conn=ledger_tx) == [entry(-735).key]
    assert keys_between(None, date(2025, 9, 21), None, conn=ledger_tx) == [entry(720).key]
    assert keys_between(None, None, None, conn=ledger_tx) == [entry(m).key for m in minutes]
