"""The real FlightRadarAPI code against the local FR24-format server: tiling, retries, budget."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from FlightRadarAPI import FlightRadar24API
from FlightRadarAPI.core import Core
from FlightRadarAPI.parsers import parse_airlines_html, parse_airports_json

from lakehouse.bronze.envelope import parse_envelope
from lakehouse.bronze.fr24_server import (
    FEED_PATH,
    Fr24Server,
    malformed,
    server_error,
    short_body,
    slow,
    too_many_requests,
)
from lakehouse.bronze.reference import ReferenceUnavailable, fetch_reference
from lakehouse.bronze.simulator import Simulator, get_simulator
from lakehouse.bronze.source import (
    Fr24FetchError,
    Fr24Source,
    SimulatorSource,
    SnapshotBudgetExceeded,
    SnapshotSource,
    fr24_endpoints,
    make_source,
)
from lakehouse.bronze.tiles import feed_counts
from lakehouse.settings import Settings, SettingsError

NOON = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
CAP = 300
META = ("full_count", "version", "stats")


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return get_simulator(5, 1500)


@pytest.fixture
def server(sim: Simulator) -> Iterator[Fr24Server]:
    with Fr24Server(sim, cap=CAP, time=NOON) as srv:
        yield srv


def settings_for(server: Fr24Server, **overrides: object) -> Settings:
    base = dataclasses.replace(
        Settings(),
        fr24_timeout_s=5.0,
        fr24_max_retries=3,
        fr24_snapshot_budget_s=60.0,
        fr24_response_cap=CAP,
    )
    return dataclasses.replace(server.settings(base), **overrides)  # type: ignore[arg-type]


class Sleeps:
    """Records the waits the source asks for instead of sleeping through them."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def source(server: Fr24Server, sleeps: Sleeps | None = None, **overrides: object) -> Fr24Source:
    return Fr24Source(
        settings_for(server, **overrides), sleep=sleeps or Sleeps(), backoff_base_s=0.01
    )


def flight_ids(bodies: list[bytes]) -> list[str]:
    return [k for b in bodies for k in json.loads(b) if k not in META]


def test_tiling_splits_and_covers_every_flight_the_server_knows(
    server: Fr24Server, sim: Simulator
) -> None:
    snap = source(server).fetch(NOON)
    ids = flight_ids([r.body for r in snap.responses])
    assert set(ids) == set(sim.flights_at(NOON).ids)
    assert all(feed_counts(r.body).complete for r in snap.responses)
    # Some tiles had to be split below the 45-degree grid; their parents were asked, then dropped.
    assert any("." in r.params["bounds"] for r in snap.responses)
    assert len(server.feed_requests()) > len(snap.responses)
    # What lands is the raw body with the request exactly as sent.
    first = snap.responses[0]
    assert first.url == f"{server.url}{FEED_PATH}" and first.status == 200
    assert first.params["bounds"] == "90,45,-180,-135" and first.params["limit"] == "5000"
    assert snap.client_package == "FlightRadarAPI" and snap.client_version == "1.6.3"
    assert parse_envelope(snap.to_envelope()).flight_count == len(ids)


def test_fr24_and_simulator_sources_share_the_tiling_path(
    server: Fr24Server, sim: Simulator
) -> None:
    via_http = source(server).fetch(NOON)
    in_process = SimulatorSource(settings_for(server), sim).fetch(NOON)
    assert [r.body for r in via_http.responses] == [r.body for r in in_process.responses]
    assert [r.params for r in via_http.responses] == [r.params for r in in_process.responses]
    assert in_process.client_package == "lakehouse.simulator"


def test_package_parser_drops_letter_ids_that_raw_bodies_keep(server: Fr24Server) -> None:
    snap = source(server).fetch(NOON)
    with fr24_endpoints(settings_for(server)):
        parsed = FlightRadar24API(timeout=5).get_flights(bounds="90,45,-45,0")
    body = next(r.body for r in snap.responses if r.params["bounds"] == "90,45,-45,0")
    raw_ids = flight_ids([body])
    assert any(i[0].isalpha() for i in raw_ids)
    assert {f.id for f in parsed} == {i for i in raw_ids if i[0].isdigit()}


def test_429_is_retried_after_retry_after(server: Fr24Server) -> None:
    server.enqueue(too_many_requests(retry_after=7))
    sleeps = Sleeps()
    src = source(server, sleeps)
    snap = src.fetch(NOON)
    assert sleeps.calls[0] >= 7.0
    assert [r.status for r in server.feed_requests()[:2]] == [429, 200]
    assert src.last_stats.retries == 1
    assert all(r.status == 200 for r in snap.responses)


def test_5xx_is_retried_with_growing_jittered_backoff(server: Fr24Server, sim: Simulator) -> None:
    server.enqueue(server_error(500), server_error(503))
    sleeps = Sleeps()
    snap = source(server, sleeps).fetch(NOON)
    first, second = sleeps.calls
    assert 0.005 <= first <= 0.015 and 0.01 <= second <= 0.03
    assert set(flight_ids([r.body for r in snap.responses])) == set(sim.flights_at(NOON).ids)


def test_gives_up_after_max_retries_and_returns_nothing(server: Fr24Server) -> None:
    server.enqueue(*(server_error(502) for _ in range(3)))
    with pytest.raises(Fr24FetchError, match="gave up after 3 attempts; last: HTTP 502"):
        source(server, fr24_max_retries=2).fetch(NOON)
    assert len(server.feed_requests()) == 3


def test_a_4xx_other_than_429_is_not_retried(server: Fr24Server) -> None:
    settings = settings_for(server, fr24_data_cloud_url=server.url + "/moved")
    with pytest.raises(Fr24FetchError, match="HTTP 404, which retrying will not fix"):
        Fr24Source(settings, sleep=Sleeps()).fetch(NOON)
    assert len(server.requests) == 1


def test_malformed_body_is_retried_and_never_lands(server: Fr24Server) -> None:
    server.enqueue(malformed())
    snap = source(server).fetch(NOON)
    assert server.feed_requests()[0].scripted
    assert all(feed_counts(r.body).complete for r in snap.responses)


def test_body_short_of_its_full_count_splits_that_tile(server: Fr24Server, sim: Simulator) -> None:
    server.enqueue(short_body(keep=0))  # the first base tile answers with no flights at all
    snap = source(server).fetch(NOON)
    bounds = [r.params["bounds"] for r in snap.responses]
    assert "90,45,-180,-135" not in bounds and "90,67.5,-180,-157.5" in bounds
    assert set(flight_ids([r.body for r in snap.responses])) == set(sim.flights_at(NOON).ids)


def test_timeout_is_retried(server: Fr24Server) -> None:
    server.enqueue(slow(3.0))
    src = source(server, fr24_timeout_s=0.5)
    snap = src.fetch(NOON)
    assert src.last_stats.retries == 1 and snap.responses


def test_budget_exhaustion_raises_and_returns_nothing(server: Fr24Server) -> None:
    server.enqueue(slow(5.0))
    started = time.monotonic()
    with pytest.raises(SnapshotBudgetExceeded, match=r"budget of 0\.6s ran out"):
        source(server, fr24_snapshot_budget_s=0.6, fr24_timeout_s=30.0).fetch(NOON)
    assert time.monotonic() - started < 3.0  # the request timeout shrank to the budget


def test_a_retry_wait_beyond_the_budget_fails_at_once(server: Fr24Server) -> None:
    server.enqueue(too_many_requests(retry_after=120))
    sleeps = Sleeps()
    with pytest.raises(SnapshotBudgetExceeded, match=r"would wait 120\.0s"):
        source(server, sleeps, fr24_snapshot_budget_s=30.0).fetch(NOON)
    assert sleeps.calls == []


def test_core_urls_are_restored_after_success_and_failure(server: Fr24Server) -> None:
    original = Core.real_time_flight_tracker_data_url
    source(server).fetch(NOON)
    assert Core.real_time_flight_tracker_data_url == original
    server.enqueue(server_error(500))
    with pytest.raises(Fr24FetchError):
        source(server, fr24_max_retries=0).fetch(NOON)
    assert Core.real_time_flight_tracker_data_url == original
    assert original.startswith("https://data-cloud.flightradar24.com")


def test_naive_snapshot_time_is_refused(server: Fr24Server) -> None:
    with pytest.raises(ValueError, match="naive"):
        source(server).fetch(datetime(2025, 9, 20, 12, 0))


def test_make_source_follows_settings() -> None:
    assert isinstance(make_source(Settings(source="fr24")), Fr24Source)
    sim_source = make_source(
        Settings(source="simulator", simulator_peak_airborne=1500, simulator_seed=5)
    )
    assert isinstance(sim_source, SimulatorSource) and isinstance(sim_source, SnapshotSource)
    with pytest.raises(SettingsError, match="LAKEHOUSE_SOURCE='fr23'"):
        make_source(Settings(source="fr23"))


def test_fetch_reference_returns_raw_lists_the_package_can_parse(server: Fr24Server) -> None:
    snap = fetch_reference(settings_for(server), NOON)
    airports, airlines = snap.responses
    assert airports.url.endswith("/_json/airports.php") and airlines.url.endswith("/data/airlines")
    parsed_airports = parse_airports_json(airports.body)
    assert len(parsed_airports) > 7000
    assert any(a.iata == "LHR" and a.country == "United Kingdom" for a in parsed_airports)
    parsed_airlines = parse_airlines_html(airlines.body)
    ba = next(a for a in parsed_airlines if a["ICAO"] == "BAW")
    assert ba["Name"] == "British Airways" and ba["IATA"] == "BA"
    # And the package's own calls work against the same endpoints.
    with fr24_endpoints(settings_for(server)):
        api = FlightRadar24API(timeout=10)
        assert len(api.get_airports()) == len(parsed_airports)
        assert len(api.get_airlines()) == len(parsed_airlines)


def test_fetch_reference_when_unreachable_raises_a_clear_error(sim: Simulator) -> None:
    with Fr24Server(sim) as gone:
        settings = settings_for(gone, fr24_max_retries=1)
    with pytest.raises(ReferenceUnavailable, match="OpenFlights"):
        fetch_reference(settings, NOON, sleep=lambda s: None, backoff_base_s=0.01)
