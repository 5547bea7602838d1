"""The bronze envelope: bodies kept byte for byte, one line, verifiable, keyed by UTC minute."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lakehouse.bronze.envelope import (
    EnvelopeError,
    RawResponse,
    Snapshot,
    build_envelope,
    count_body_flights,
    count_flights,
    parse_envelope,
    snapshot_key,
)

NOON = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
FETCHED = datetime(2025, 9, 20, 12, 0, 3, 123456, tzinfo=UTC)
URL = "https://data-cloud.flightradar24.com/zones/fcgi/feed.js"
# Key order, number spelling (1.50, 1e3) and a newline that a JSON round trip would change.
BODY = (
    b'{"full_count":2,"version":4,"3a1b2c4d":["4CA7B5",53.4213,-6.2701,280,0,0,"","F-EIDW2",'
    b'"A320","EI-DVM",1758369600,"DUB","LHR","EI152",1,0,"EIN152",0,"EIN"],'
    b'"b00000ff":["",1.50,1e3,361,99999,0,"N/A","","","",1758369601,"","","",0,0,"",0,""],'
    b'"stats":{"total":{"ads-b":2}}}\n'
)
EMPTY_BODY = b'{"full_count":0,"version":4,"stats":{}}'
NOT_UTF8 = b"\xff\xfe\x00garbage"


def responses() -> list[RawResponse]:
    params = {"bounds": "90,45,-180,-135", "limit": "5000"}
    return [
        RawResponse(URL, params, 200, BODY),
        RawResponse(URL, {"bounds": "45,0,-180,-135"}, 200, EMPTY_BODY),
        RawResponse(URL, {}, 502, NOT_UTF8),
    ]


def build(items: list[RawResponse] | None = None) -> bytes:
    return build_envelope(
        "fr24", NOON, FETCHED, "FlightRadarAPI", "1.6.3", responses() if items is None else items
    )


def test_envelope_is_one_utf8_json_line_with_contract_fields() -> None:
    data = build()
    assert b"\n" not in data
    doc = json.loads(data.decode("utf-8"))
    assert list(doc) == [
        "envelope_version", "source", "snapshot_time", "fetched_at", "client", "responses",
    ]  # fmt: skip
    assert doc["envelope_version"] == 1
    assert doc["snapshot_time"] == "2025-09-20T12:00:00Z"
    assert doc["fetched_at"] == "2025-09-20T12:00:03.123Z"
    assert doc["client"] == {"package": "FlightRadarAPI", "version": "1.6.3"}
    first = doc["responses"][0]
    assert first["index"] == 0
    assert first["request"] == {
        "url": URL,
        "params": {"bounds": "90,45,-180,-135", "limit": "5000"},
    }
    assert first["status"] == 200


def test_body_is_embedded_unchanged_as_a_string_with_its_sha256() -> None:
    doc = json.loads(build())
    first = doc["responses"][0]
    assert first["body_encoding"] == "utf-8"
    assert first["body"].encode("utf-8") == BODY
    assert first["sha256"] == hashlib.sha256(BODY).hexdigest()


def test_non_utf8_body_is_base64_and_still_hashes_the_raw_bytes() -> None:
    third = json.loads(build())["responses"][2]
    assert third["body_encoding"] == "base64"
    assert third["status"] == 502
    assert third["sha256"] == hashlib.sha256(NOT_UTF8).hexdigest()


def test_round_trip_gives_back_bytes_and_identical_envelope() -> None:
    data = build()
    env = parse_envelope(data)
    assert env.responses == tuple(responses())
    assert (env.source, env.client_package, env.client_version) == (
        "fr24",
        "FlightRadarAPI",
        "1.6.3",
    )
    assert env.snapshot_time == NOON
    assert env.fetched_at == datetime(2025, 9, 20, 12, 0, 3, 123000, tzinfo=UTC)
    rebuilt = build_envelope(
        env.source, env.snapshot_time, env.fetched_at, env.client_package, env.client_version,
        env.responses,
    )  # fmt: skip
    assert rebuilt == data


def test_parse_rejects_a_body_that_does_not_match_its_sha256() -> None:
    doc = json.loads(build())
    doc["responses"][0]["body"] = doc["responses"][0]["body"].replace("EI152", "EI153")
    with pytest.raises(EnvelopeError, match="response 0: body does not match its sha256"):
        parse_envelope(json.dumps(doc).encode())


def test_parse_rejects_garbage_with_a_clear_error() -> None:
    with pytest.raises(EnvelopeError, match="not a JSON envelope"):
        parse_envelope(b'{"envelope_version":1,')
    with pytest.raises(EnvelopeError, match="does not follow the data contract"):
        parse_envelope(b'{"envelope_version":1}')


def test_empty_snapshot_is_a_valid_envelope() -> None:
    env = parse_envelope(build([]))
    assert env.responses == () and env.flight_count == 0


def test_unknown_source_and_parsed_bodies_are_refused() -> None:
    with pytest.raises(EnvelopeError, match="source='fr25'"):
        build_envelope("fr25", NOON, FETCHED, "x", "1", [])
    with pytest.raises(EnvelopeError, match="body must be bytes"):
        build([RawResponse(URL, {}, 200, {"full_count": 0})])  # type: ignore[arg-type]


def test_count_flights_counts_raw_rows_not_meta_keys() -> None:
    assert count_body_flights(BODY) == 2
    assert count_body_flights(EMPTY_BODY) == 0
    assert count_body_flights(NOT_UTF8) == 0
    assert count_body_flights(b"[1, 2, 3]") == 0
    # A flight seen by two tiles is two raw rows.
    assert count_flights([*responses(), RawResponse(URL, {}, 200, BODY)]) == 4


def test_snapshot_object_builds_its_envelope_and_key() -> None:
    snap = Snapshot("simulator", NOON, FETCHED, "lakehouse.simulator", "0.1.0", tuple(responses()))
    assert snap.key == "bronze/2025/09/20/flights_20250920_1200.json"
    assert snap.flight_count == 2
    assert parse_envelope(snap.to_envelope()).source == "simulator"


@pytest.mark.parametrize(
    ("when", "prefix", "key"),
    [
        (NOON, "bronze", "bronze/2025/09/20/flights_20250920_1200.json"),
        (
            datetime(2025, 12, 31, 23, 45, tzinfo=UTC),
            "bronze",
            "bronze/2025/12/31/flights_20251231_2345.json",
        ),
        (
            datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
            "raw/bronze/",
            "raw/bronze/2026/01/01/flights_20260101_0000.json",
        ),
        # Any zero-offset zone is UTC (Airflow hands out pendulum's UTC, not datetime.UTC).
        (
            datetime(2025, 3, 5, 7, 5, tzinfo=timezone(timedelta(0))),
            "bronze",
            "bronze/2025/03/05/flights_20250305_0705.json",
        ),
    ],
)
def test_snapshot_key_names_the_scheduled_utc_minute(when: datetime, prefix: str, key: str) -> None:
    assert snapshot_key(when, prefix) == key


def test_snapshot_key_rejects_naive_non_utc_and_off_minute_times() -> None:
    with pytest.raises(EnvelopeError, match="naive"):
        snapshot_key(datetime(2025, 9, 20, 12, 0))
    with pytest.raises(EnvelopeError, match="not UTC"):
        snapshot_key(datetime(2025, 9, 20, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    with pytest.raises(EnvelopeError, match="whole minute"):
        snapshot_key(datetime(2025, 9, 20, 12, 0, 30, tzinfo=UTC))
    with pytest.raises(EnvelopeError, match="naive"):
        build_envelope("fr24", NOON, datetime(2025, 9, 20, 12, 0, 3), "p", "v", [])
