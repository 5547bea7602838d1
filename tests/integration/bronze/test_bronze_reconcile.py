"""Reconcile: objects that landed without a ledger row get one, read from their own envelope."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from bronze_helpers import ledger_rows

from lakehouse.bronze.ingest import ingest_snapshot, land_snapshot
from lakehouse.bronze.reconcile import ReconcileError, reconcile, reconcile_interval
from lakehouse.bronze.writer import put_once, read_object

pytestmark = pytest.mark.integration

DAY = date(2025, 9, 20)


def at(day: int, h: int, m: int = 0) -> datetime:
    return datetime(2025, 9, day, h, m, tzinfo=UTC)


def test_reconcile_registers_landed_objects_missing_from_the_ledger(bronze_settings, s3, pg):
    s = bronze_settings
    recorded = ingest_snapshot(at(20, 11), settings=s, client=s3)  # landed and recorded
    crashed = [land_snapshot(t, settings=s, client=s3) for t in (at(19, 23, 45), at(20, 12))]

    result = reconcile([date(2025, 9, 19), DAY], settings=s, client=s3)

    assert result.listed == 3
    assert sorted(result.registered) == sorted(c.key for c in crashed)
    rows = ledger_rows(pg, s.bronze_prefix)
    assert set(rows) == {recorded.key, *(c.key for c in crashed)}
    for landed in crashed:
        data = read_object(s3, s.bucket, landed.key)
        row = rows[landed.key]
        assert (row.snapshot_time, row.fetched_at, row.source) == (
            landed.entry.snapshot_time,
            landed.entry.fetched_at,
            "simulator",
        )
        assert (row.flight_count, row.byte_size) == (landed.entry.flight_count, len(data))
        assert row.sha256 == hashlib.sha256(data).hexdigest()


def test_reconcile_twice_registers_nothing_the_second_time(bronze_settings, s3, pg):
    land_snapshot(at(20, 12), settings=bronze_settings, client=s3)
    assert len(reconcile([DAY], settings=bronze_settings, client=s3).registered) == 1
    before = ledger_rows(pg, bronze_settings.bronze_prefix)
    again = reconcile([DAY], settings=bronze_settings, client=s3)
    assert (again.listed, again.registered) == (1, [])
    assert ledger_rows(pg, bronze_settings.bronze_prefix) == before


def test_reconcile_looks_only_at_the_given_days_and_at_snapshot_names(bronze_settings, s3, pg):
    s = bronze_settings
    land_snapshot(at(21, 0), settings=s, client=s3)  # the next day: not asked for
    put_once(s3, s.bucket, f"{s.bronze_prefix}/2025/09/20/README.txt", b"not a snapshot")
    put_once(s3, s.bucket, f"{s.bronze_prefix}/2025/09/20/flights_20250920_1200.json.tmp", b"x")

    result = reconcile([DAY], settings=s, client=s3)

    assert (result.listed, result.registered, result.unreadable) == (0, [], {})
    assert ledger_rows(pg, s.bronze_prefix) == {}


def test_reconcile_of_an_empty_day_is_a_no_op(bronze_settings, s3):
    result = reconcile([DAY], settings=bronze_settings, client=s3)
    assert (result.listed, result.registered) == (0, [])


def test_reconcile_registers_the_good_objects_then_fails_loudly_on_a_corrupt_one(
    bronze_settings, s3, pg
):
    s = bronze_settings
    good = land_snapshot(at(20, 12), settings=s, client=s3)
    bad_key = f"{s.bronze_prefix}/2025/09/20/flights_20250920_1215.json"
    put_once(s3, s.bucket, bad_key, b'{"envelope_version":1,"responses":[')

    with pytest.raises(ReconcileError, match="flights_20250920_1215"):
        reconcile([DAY], settings=s, client=s3)

    assert set(ledger_rows(pg, s.bronze_prefix)) == {good.key}
    lenient = reconcile([DAY], settings=s, client=s3, strict=False)
    assert list(lenient.unreadable) == [bad_key]


def test_reconcile_interval_covers_the_run_day_and_the_day_before(
    bronze_settings, s3, pg, monkeypatch
):
    from lakehouse import settings as settings_module

    land_snapshot(at(19, 23, 45), settings=bronze_settings, client=s3)
    land_snapshot(at(20, 0, 0), settings=bronze_settings, client=s3)
    monkeypatch.setenv("LAKEHOUSE_BRONZE_PREFIX", bronze_settings.bronze_prefix)
    settings_module.get_settings.cache_clear()
    try:
        result = reconcile_interval(at(20, 0, 15))
    finally:
        monkeypatch.undo()
        settings_module.get_settings.cache_clear()
    assert result["days"] == ["2025-09-19", "2025-09-20"]
    assert len(result["registered"]) == 2
    assert len(ledger_rows(pg, bronze_settings.bronze_prefix)) == 2
