"""Snapshots from the simulator to the real object store and ledger, one at a time and by range."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from bronze_helpers import ledger_rows, stored_objects

from lakehouse.bronze.envelope import Snapshot, parse_envelope
from lakehouse.bronze.ingest import ingest_range, ingest_snapshot, land_snapshot
from lakehouse.bronze.source import SimulatorSource, SourceError
from lakehouse.bronze.writer import put_once, read_object

pytestmark = pytest.mark.integration

NOON = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)


class CountingSource(SimulatorSource):
    """The real simulator source, counting its fetches and failing the slots it is told to."""

    def __init__(self, settings, fail_at=()):
        super().__init__(settings)
        self.fetched: list[datetime] = []
        self.fail_at = set(fail_at)

    def fetch(self, snapshot_time: datetime) -> Snapshot:
        self.fetched.append(snapshot_time)
        if snapshot_time in self.fail_at:
            raise SourceError(f"feed unavailable at {snapshot_time:%H:%M}")
        return super().fetch(snapshot_time)


def test_snapshot_lands_at_its_scheduled_key_and_is_recorded(bronze_settings, s3, pg):
    outcome = ingest_snapshot(NOON, settings=bronze_settings, client=s3)

    key = f"{bronze_settings.bronze_prefix}/2025/09/20/flights_20250920_1200.json"
    assert (outcome.key, outcome.created, outcome.registered) == (key, True, True)
    data = read_object(s3, bronze_settings.bucket, key)
    envelope = parse_envelope(data)
    assert envelope.snapshot_time == NOON  # the schedule, not the clock...
    assert envelope.fetched_at > NOON + timedelta(days=30)  # ...which is only lineage
    row = ledger_rows(pg, bronze_settings.bronze_prefix)[key]
    assert (row.status, row.source, row.snapshot_time) == ("landed", "simulator", NOON)
    assert row.fetched_at == envelope.fetched_at
    assert (row.byte_size, row.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert row.flight_count == envelope.flight_count == outcome.flight_count > 0


def test_rerun_of_an_interval_reports_already_landed_without_fetching(bronze_settings, s3, pg):
    ingest_snapshot(NOON, settings=bronze_settings, client=s3)
    before = stored_objects(s3, bronze_settings.bucket, bronze_settings.bronze_prefix)
    source = CountingSource(bronze_settings)

    again = ingest_snapshot(NOON, settings=bronze_settings, source=source, client=s3)

    assert (again.created, again.registered, again.error) == (False, False, None)
    assert source.fetched == []
    assert stored_objects(s3, bronze_settings.bucket, bronze_settings.bronze_prefix) == before
    assert len(ledger_rows(pg, bronze_settings.bronze_prefix)) == 1


def test_a_writer_that_lands_first_wins_and_the_ledger_describes_its_object(bronze_settings, s3):
    key = f"{bronze_settings.bronze_prefix}/2025/09/20/flights_20250920_1200.json"

    class RacedSource(SimulatorSource):
        """Another run lands the same slot while this one is fetching."""

        def fetch(self, snapshot_time):
            snapshot = super().fetch(snapshot_time)
            earlier = dataclasses.replace(
                snapshot, fetched_at=datetime(2025, 9, 20, 12, 0, 1, tzinfo=UTC)
            )
            put_once(s3, bronze_settings.bucket, key, earlier.to_envelope())
            return snapshot

    landed = land_snapshot(
        NOON, settings=bronze_settings, source=RacedSource(bronze_settings), client=s3
    )

    stored = read_object(s3, bronze_settings.bucket, key)
    assert landed.created is False
    assert landed.entry.fetched_at == datetime(2025, 9, 20, 12, 0, 1, tzinfo=UTC)
    assert landed.entry.sha256 == hashlib.sha256(stored).hexdigest()


def test_range_lands_every_slot_from_inclusive_to_exclusive(bronze_settings, s3, pg):
    seen = []
    summary = ingest_range(
        NOON,
        NOON + timedelta(hours=1),
        settings=bronze_settings,
        client=s3,
        on_snapshot=lambda i, n, o: seen.append((i, n, o.snapshot_time)),
    )
    slots = [NOON + timedelta(minutes=m) for m in (0, 15, 30, 45)]
    assert seen == [(i, 4, t) for i, t in enumerate(slots, 1)]
    assert (summary.landed, summary.already_landed, summary.failed) == (4, 0, [])
    names = sorted(k.rsplit("/", 1)[1] for k in ledger_rows(pg, bronze_settings.bronze_prefix))
    assert names == [f"flights_20250920_12{m:02d}.json" for m in (0, 15, 30, 45)]


def test_range_keeps_going_past_a_failed_slot_and_reports_it(bronze_settings, s3, pg):
    bad = NOON + timedelta(minutes=15)
    source = CountingSource(bronze_settings, fail_at={bad})
    summary = ingest_range(
        NOON, NOON + timedelta(minutes=45), settings=bronze_settings, source=source, client=s3
    )
    assert [o.snapshot_time for o in summary.failed] == [bad]
    assert "feed unavailable at 12:15" in summary.failed[0].error
    assert summary.landed == 2 and not summary.stopped_early
    keys = stored_objects(s3, bronze_settings.bucket, bronze_settings.bronze_prefix)
    assert not any(k.endswith("_1215.json") for k in keys) and len(keys) == 2


def test_range_stops_after_three_failures_in_a_row(bronze_settings, s3):
    slots = [NOON + timedelta(minutes=15 * i) for i in range(5)]
    source = CountingSource(bronze_settings, fail_at=set(slots[:4]))
    summary = ingest_range(
        NOON, slots[-1] + timedelta(minutes=15), settings=bronze_settings, source=source, client=s3
    )
    assert summary.stopped_early is True
    assert source.fetched == slots[:3]


@pytest.mark.slow
def test_backfill_of_a_day_lands_96_objects_and_rows_and_a_rerun_changes_nothing(
    bronze_settings, s3, pg
):
    day, next_day = datetime(2025, 9, 20, tzinfo=UTC), datetime(2025, 9, 21, tzinfo=UTC)
    prefix = bronze_settings.bronze_prefix

    first = ingest_range(day, next_day, settings=bronze_settings, client=s3)

    objects = stored_objects(s3, bronze_settings.bucket, prefix)
    rows = ledger_rows(pg, prefix)
    assert (first.landed, first.registered, len(first.failed)) == (96, 96, 0)
    assert len(objects) == 96 and set(rows) == set(objects)
    assert min(objects).endswith("flights_20250920_0000.json")
    assert max(objects).endswith("flights_20250920_2345.json")
    assert all(rows[k].byte_size == objects[k]["Size"] for k in objects)
    assert sum(r.flight_count for r in rows.values()) == first.flights > 0

    second = ingest_range(day, next_day, settings=bronze_settings, client=s3)

    assert (second.landed, second.already_landed, second.registered) == (0, 96, 0)
    assert stored_objects(s3, bronze_settings.bucket, prefix) == objects
    assert ledger_rows(pg, prefix) == rows
