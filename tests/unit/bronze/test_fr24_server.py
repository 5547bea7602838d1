"""The local FR24-format server: bounds, caps, encodings, scripted faults and its command line."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lakehouse.bronze.fr24_server import (
    AIRPORTS_PATH,
    FEED_PATH,
    Fr24Server,
    ScriptedResponse,
    server_error,
    short_body,
    too_many_requests,
)
from lakehouse.bronze.simulator import Simulator, get_simulator

NOON = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return get_simulator(5, 1500)


@pytest.fixture
def server(sim: Simulator) -> Iterator[Fr24Server]:
    with Fr24Server(sim, cap=100, time=NOON) as srv:
        yield srv


def get(url: str, gzip_ok: bool = False) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def entries(body: bytes) -> dict[str, list[object]]:
    return {
        k: v for k, v in json.loads(body).items() if k not in ("full_count", "version", "stats")
    }


def test_feed_honours_bounds_and_counts_every_flight_inside(
    server: Fr24Server, sim: Simulator
) -> None:
    status, headers, body = get(f"{server.url}{FEED_PATH}?bounds=60,30,-20,40&limit=5000")
    assert status == 200 and headers["Content-Type"] == "application/json"
    traffic = sim.flights_at(NOON)
    inside = traffic.select(60, 30, -20, 40)
    doc = json.loads(body)
    assert doc["full_count"] == len(inside) > 100
    assert len(entries(body)) == 100  # the server's cap
    assert set(entries(body)) <= {traffic.ids[i] for i in inside}


def test_limit_parameter_lowers_the_cap(server: Fr24Server) -> None:
    _, _, body = get(f"{server.url}{FEED_PATH}?bounds=60,30,-20,40&limit=7")
    assert len(entries(body)) == 7


def test_feed_follows_the_clock_the_test_sets(server: Fr24Server) -> None:
    url = f"{server.url}{FEED_PATH}?bounds=90,-90,-180,180&limit=0"
    noon_count = json.loads(get(url)[2])["full_count"]
    server.time = datetime(2025, 9, 20, 3, 0, tzinfo=UTC)
    assert json.loads(get(url)[2])["full_count"] != noon_count


def test_gzip_only_when_asked(server: Fr24Server) -> None:
    url = f"{server.url}{FEED_PATH}?bounds=60,30,-20,40"
    _, plain_headers, plain = get(url)
    _, zipped_headers, zipped = get(url, gzip_ok=True)
    assert "Content-Encoding" not in plain_headers
    assert zipped_headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped) == plain


def test_unknown_path_is_404_and_bad_bounds_400(server: Fr24Server) -> None:
    assert get(f"{server.url}/nothing/here")[0] == 404
    assert get(f"{server.url}{FEED_PATH}?bounds=1,2,3")[0] == 400
    assert get(f"{server.url}{FEED_PATH}?bounds=")[0] == 400


def test_scripted_faults_are_served_in_order_then_normal_service(server: Fr24Server) -> None:
    server.enqueue(too_many_requests(retry_after=3), server_error(503), short_body(keep=2))
    url = f"{server.url}{FEED_PATH}?bounds=60,30,-20,40"
    status, headers, _ = get(url)
    assert (status, headers["Retry-After"]) == (429, "3")
    assert get(url)[0] == 503
    status, _, body = get(url)
    assert status == 200 and len(entries(body)) == 2 and json.loads(body)["full_count"] > 2
    assert len(entries(get(url)[2])) == 100
    assert [r.scripted for r in server.requests] == [True, True, True, False]
    assert server.pending() == 0


def test_a_script_waits_for_its_own_path(server: Fr24Server) -> None:
    server.enqueue(ScriptedResponse(500, path=AIRPORTS_PATH))
    assert get(f"{server.url}{FEED_PATH}?bounds=60,30,-20,40")[0] == 200
    assert get(f"{server.url}{AIRPORTS_PATH}")[0] == 500
    status, _, body = get(f"{server.url}{AIRPORTS_PATH}")
    assert status == 200 and len(json.loads(body)["rows"]) > 7000


def test_command_line_serves_the_feed() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lakehouse.bronze.fr24_server", "--port", "0",
         "--peak-airborne", "300", "--time", "2025-09-20T12:00:00Z"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" on ")[1].split(" ")[0]
        status, _, body = get(f"{url}{FEED_PATH}?bounds=90,-90,-180,180")
        assert status == 200 and json.loads(body)["full_count"] > 100
    finally:
        proc.terminate()
        proc.wait(timeout=10)
