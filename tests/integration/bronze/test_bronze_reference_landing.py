"""Reference lists from FR24 (the local FR24 server) through FlightRadarAPI, else the seed."""

from __future__ import annotations

import dataclasses
import socket
from datetime import UTC, datetime

import pytest
from bronze_helpers import stored_objects
from FlightRadarAPI.parsers import parse_airlines_html, parse_airports_json

from lakehouse.bronze.envelope import parse_envelope
from lakehouse.bronze.fr24_server import Fr24Server, airlines_body, airports_body
from lakehouse.bronze.reference_landing import (
    FR24,
    SEED,
    land_reference,
    latest_reference_keys,
)
from lakehouse.bronze.writer import read_object
from lakehouse.reference.openflights import load_airlines, load_airports

pytestmark = pytest.mark.integration

NOON = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def fr24(bronze_settings):
    with Fr24Server(peak_airborne=300) as server:
        yield server, server.settings(bronze_settings)


def test_fr24_lists_land_as_one_envelope_each_under_bronze_reference(fr24, s3):
    server, s = fr24
    landing = land_reference(NOON, settings=s, client=s3)

    prefix = f"{s.bronze_prefix}/reference/2025/09/20"
    assert landing.origin == FR24 and landing.reason is None
    assert landing.keys == {
        "airports": f"{prefix}/airports_20250920_1200.json",
        "airlines": f"{prefix}/airlines_20250920_1200.json",
    }
    assert landing.created == {"airports": True, "airlines": True}
    for kind, body in (("airports", airports_body()), ("airlines", airlines_body())):
        envelope = parse_envelope(read_object(s3, s.bucket, landing.keys[kind]))
        assert (envelope.source, envelope.client_package) == ("fr24", "FlightRadarAPI")
        assert envelope.snapshot_time == NOON
        (response,) = envelope.responses
        assert response.body == body  # as the server sent it, byte for byte
        assert response.url.startswith(server.url)
    assert landing.airports == len(parse_airports_json(airports_body())) > 1000
    assert landing.airlines == len(parse_airlines_html(airlines_body())) > 100


def test_fr24_lists_are_never_replaced_by_a_rerun(fr24, s3):
    _, s = fr24
    land_reference(NOON, settings=s, client=s3)
    before = stored_objects(s3, s.bucket, f"{s.bronze_prefix}/reference/")
    again = land_reference(NOON, settings=s, client=s3)
    assert again.created == {"airports": False, "airlines": False}
    assert stored_objects(s3, s.bucket, f"{s.bronze_prefix}/reference/") == before


def test_latest_reference_keys_pick_the_newest_landing_of_each_list(fr24, s3):
    _, s = fr24
    assert latest_reference_keys(s, client=s3) == {}
    land_reference(NOON, settings=s, client=s3)
    newer = land_reference(datetime(2025, 9, 21, 0, 0, tzinfo=UTC), settings=s, client=s3)
    assert latest_reference_keys(s, client=s3) == newer.keys


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_fr24_falls_back_to_the_shipped_seed_and_lands_nothing(bronze_settings, s3):
    dead = f"http://127.0.0.1:{_closed_port()}"
    s = dataclasses.replace(
        bronze_settings,
        fr24_base_url=dead,
        fr24_api_url=dead,
        fr24_data_live_url=dead,
        fr24_data_cloud_url=dead,
        fr24_max_retries=1,
    )
    landing = land_reference(NOON, settings=s, client=s3, sleep=lambda _: None)

    assert landing.origin == SEED
    assert (landing.keys, landing.created) == ({}, {})
    assert "unavailable" in landing.reason and "OpenFlights" in landing.reason
    assert (landing.airports, landing.airlines) == (len(load_airports()), len(load_airlines()))
    assert stored_objects(s3, s.bucket, f"{s.bronze_prefix}/") == {}
