"""The snapshot grid of ranges and the CLI's reading of times: pure, no services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lakehouse.bronze.envelope import EnvelopeError
from lakehouse.bronze.ingest import (
    IngestOutcome,
    RangeSummary,
    format_progress,
    format_summary,
    interval_snapshot_time,
    parse_utc_arg,
    snapshot_slots,
)


def utc(h: int, m: int = 0, day: int = 20) -> datetime:
    return datetime(2025, 9, day, h, m, tzinfo=UTC)


def test_slots_include_from_and_exclude_to():
    assert snapshot_slots(utc(12), utc(13)) == [utc(12), utc(12, 15), utc(12, 30), utc(12, 45)]


def test_slots_start_at_the_next_grid_point_after_an_unaligned_from():
    assert snapshot_slots(utc(12, 7), utc(12, 31)) == [utc(12, 15), utc(12, 30)]


def test_slots_of_one_day_are_96_from_midnight_to_a_quarter_to():
    slots = snapshot_slots(utc(0), utc(0, day=21))
    assert (len(slots), slots[0], slots[-1]) == (96, utc(0), utc(23, 45))


def test_slots_of_an_empty_or_reversed_range_are_none():
    assert snapshot_slots(utc(12), utc(12)) == []
    assert snapshot_slots(utc(13), utc(12)) == []


def test_slots_refuse_times_with_a_non_utc_offset():
    cest = timezone(timedelta(hours=2))
    with pytest.raises(EnvelopeError, match="not UTC"):
        snapshot_slots(datetime(2025, 9, 20, 14, 0, tzinfo=cest), utc(13))


def test_slots_refuse_naive_times():
    with pytest.raises(EnvelopeError, match="naive"):
        snapshot_slots(datetime(2025, 9, 20, 12), utc(13))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-09-20T12:00Z", utc(12)),
        ("2025-09-20T14:00+02:00", utc(12)),
        ("2025-09-20", utc(0)),
        ("2025-09-20T23:45:00Z", utc(23, 45)),
    ],
)
def test_parse_utc_arg_reads_zulu_offsets_and_bare_dates(text, expected):
    value = parse_utc_arg(text)
    assert value == expected and value.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["2025-09-20T12:00", "yesterday", ""])
def test_parse_utc_arg_refuses_zoneless_or_junk(text):
    with pytest.raises(ValueError):
        parse_utc_arg(text)


def test_interval_snapshot_time_is_the_interval_start_on_the_minute():
    cest = timezone(timedelta(hours=2))
    manual = datetime(2025, 9, 20, 14, 7, 33, 120000, tzinfo=cest)
    assert interval_snapshot_time(manual) == utc(12, 7)
    assert interval_snapshot_time(utc(12)) == utc(12)


def test_progress_line_names_the_key_state_counts_and_seconds():
    o = IngestOutcome(
        utc(12),
        "bronze/k.json",
        created=True,
        registered=True,
        flight_count=13274,
        byte_size=2_128_757,
        fetch_s=0.8,
        write_s=0.1,
        ledger_s=0.02,
        seconds=0.95,
    )
    line = format_progress(3, 96, o)
    assert line.startswith("[ 3/96] bronze/k.json  landed")
    assert "13,274 flights" in line and "2.13 MB" in line and line.endswith("0.95s")


def test_progress_line_of_a_failed_snapshot_carries_the_error():
    o = IngestOutcome(utc(12), "bronze/k.json", error="Fr24FetchError: HTTP 404", seconds=1.5)
    assert "failed" in format_progress(1, 1, o) and "HTTP 404" in format_progress(1, 1, o)


def test_summary_counts_landed_already_landed_and_failed():
    outcomes = [
        IngestOutcome(
            utc(12), "a", created=True, registered=True, flight_count=10, byte_size=10**6
        ),
        IngestOutcome(utc(12, 15), "b", created=False, flight_count=7, byte_size=5),
        IngestOutcome(utc(12, 30), "c", error="boom"),
    ]
    summary = RangeSummary(utc(12), utc(12, 45), outcomes, seconds=3.0)
    assert (summary.landed, summary.already_landed, len(summary.failed)) == (1, 1, 1)
    assert (summary.flights, summary.bytes, summary.registered) == (10, 10**6, 1)
    text = format_summary(summary, "simulator")
    assert "3 snapshot(s)" in text and "1 landed, 1 already landed, 1 failed" in text
    assert "(1.00s per snapshot)" in text
