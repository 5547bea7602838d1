"""Ledger entries built from stored envelopes, and silver's accounting rule: pure."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from lakehouse.bronze.envelope import EnvelopeError, RawResponse, build_envelope
from lakehouse.bronze.ledger import LedgerEntry, RowCounts, entry_for_object

T = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
FETCHED = datetime(2025, 9, 20, 12, 0, 3, 120000, tzinfo=UTC)
BODY = b'{"full_count":2,"version":4,"3a1b2c4d":[],"b0c1":[]}'


def envelope(*bodies: bytes) -> bytes:
    responses = [RawResponse("u", {"bounds": "1,0,0,1"}, 200, b) for b in bodies]
    return build_envelope("simulator", T, FETCHED, "sim", "1", responses)


def test_entry_for_object_takes_times_source_and_rows_from_the_envelope():
    data = envelope(BODY, BODY)
    e = entry_for_object("bronze/k.json", data)
    assert (e.key, e.snapshot_time, e.fetched_at, e.source) == (
        "bronze/k.json",
        T,
        FETCHED,
        "simulator",
    )
    assert e.flight_count == 4  # a flight seen by two tiles is two raw rows
    assert (e.byte_size, e.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_entry_for_object_of_an_envelope_without_responses_has_no_flights():
    assert entry_for_object("k", envelope()).flight_count == 0


def test_entry_for_object_refuses_a_tampered_body():
    data = envelope(BODY).replace(b"3a1b2c4d", b"3a1b2c4e")
    with pytest.raises(EnvelopeError, match="sha256"):
        entry_for_object("k", data)


def test_entry_round_trips_through_its_json_form():
    e = entry_for_object("bronze/k.json", envelope(BODY))
    assert LedgerEntry.from_dict(e.to_dict()) == e
    assert e.to_dict()["snapshot_time"] == "2025-09-20T12:00:00Z"


def test_entry_round_trips_without_a_fetch_time():
    e = LedgerEntry("k", T, None, None, 0, 0, "0" * 64)
    assert LedgerEntry.from_dict(e.to_dict()) == e


def test_row_counts_accept_balanced_accounting_including_all_zero():
    assert RowCounts(10, 7, 2, 1).raw == 10
    assert RowCounts(0, 0, 0, 0).raw == 0


@pytest.mark.parametrize("counts", [(10, 7, 2, 0), (1, 2, 0, -1), (-1, -1, 0, 0)])
def test_row_counts_refuse_lost_or_negative_rows(counts):
    with pytest.raises(ValueError):
        RowCounts(*counts)
