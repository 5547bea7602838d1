"""A real HTTP server that speaks FlightRadar24's format, for tests and for the local stack.

FlightRadar24 is unreachable from where this project is built, so the FR24 path is proved
against this server instead: the unmodified FlightRadarAPI code talks HTTP to it exactly as it
would to FlightRadar24 (see ``Fr24Source`` and ``fr24_endpoints``). It serves

* ``/zones/fcgi/feed.js``: the live feed, from the simulator at a clock the caller controls,
  honouring ``bounds`` and capping each response (default 1,500 flights, like FR24) while
  ``full_count`` still counts every flight in the bounds;
* ``/_json/airports.php`` and ``/data/airlines``: what ``get_airports()`` and ``get_airlines()``
  read, built from the shipped OpenFlights files in FR24's JSON and HTML shapes.

Faults for reliability tests are scripted: ``enqueue()`` a ``ScriptedResponse`` (429 with
Retry-After, 5xx, a slow answer, a malformed body, a body short of its ``full_count``) and the
next request to that path gets it. Every request is logged in ``requests``.

Run it by hand with ``python -m lakehouse.bronze.fr24_server --port 8024``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import html
import json
import logging
import threading
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lakehouse.bronze.simulator import Simulator, get_simulator
from lakehouse.bronze.tiles import parse_bounds
from lakehouse.reference.openflights import load_airlines, load_airports, load_routes
from lakehouse.settings import Settings

log = logging.getLogger(__name__)

FEED_PATH = "/zones/fcgi/feed.js"
AIRPORTS_PATH = "/_json/airports.php"
AIRLINES_PATH = "/data/airlines"
DEFAULT_CAP = 1500


@dataclass(frozen=True)
class ScriptedResponse:
    """One scripted answer for the next request to ``path``.

    ``body=None`` means the normal body; ``keep_flights`` then cuts it to that many flights
    while keeping its ``full_count``. ``delay_s`` waits before answering (a slow server).
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay_s: float = 0.0
    keep_flights: int | None = None
    path: str = FEED_PATH


def too_many_requests(
    retry_after: float | str | None = 1, path: str = FEED_PATH
) -> ScriptedResponse:
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return ScriptedResponse(429, headers, b'{"error":"rate limited"}', path=path)


def server_error(status: int = 500, path: str = FEED_PATH) -> ScriptedResponse:
    return ScriptedResponse(status, {}, b"<html><body>upstream error</body></html>", path=path)


def slow(delay_s: float, path: str = FEED_PATH) -> ScriptedResponse:
    return ScriptedResponse(delay_s=delay_s, path=path)


def malformed(path: str = FEED_PATH) -> ScriptedResponse:
    return ScriptedResponse(200, {}, b'{"full_count":3,"version":4,"3a1b2c4d":["4CA', path=path)


def short_body(keep: int = 0, path: str = FEED_PATH) -> ScriptedResponse:
    return ScriptedResponse(keep_flights=keep, path=path)


@dataclass(frozen=True)
class LoggedRequest:
    path: str
    params: dict[str, str]
    status: int
    scripted: bool


@lru_cache(maxsize=1)
def airports_body() -> bytes:
    """FR24's ``airports.php`` shape (``{"version", "rows": [...]}``) from OpenFlights."""
    rows = [
        {
            "name": a.name or "",
            "iata": a.iata or "",
            "icao": a.icao or "",
            "lat": a.latitude,
            "lon": a.longitude,
            "country": a.country or "",
            "alt": a.altitude_ft if a.altitude_ft is not None else 0,
        }
        for a in load_airports()
        if a.iata or a.icao
    ]
    return json.dumps({"version": 1, "rows": rows}, ensure_ascii=False).encode("utf-8")


@lru_cache(maxsize=1)
def airlines_body() -> bytes:
    """FR24's airlines page: one table row per active airline with an ICAO code."""
    fleet = Counter(r.airline_id for r in load_routes() if r.airline_id is not None)
    lines = [
        "<!DOCTYPE html><html><head><title>Airlines</title></head><body>",
        '<table id="tbl-datatable"><thead><tr><th>#</th><th></th><th>Airline</th>'
        "<th>Code</th><th>Fleet</th></tr></thead><tbody>",
    ]
    number = 0
    for airline in load_airlines():
        icao = airline.icao or ""
        if not (airline.active and len(icao) == 3 and icao.isalnum() and airline.name):
            continue
        number += 1
        iata = airline.iata if airline.iata and len(airline.iata) == 2 else ""
        codes = f"{iata} / {icao}" if iata else icao
        slug = "-".join(x for x in (iata.lower(), icao.lower()) if x)
        name = html.escape(airline.name)
        lines.append(
            f'<tr><td>{number}</td><td class="logo"></td>'
            f'<td class="notranslate"><a href="/data/airlines/{slug}" title="{name}">{name}</a>'
            f'</td><td class="notranslate">{codes}</td>'
            f"<td>{fleet[airline.id] // 10 + 1} aircraft</td></tr>"
        )
    lines.append("</tbody></table></body></html>")
    return "\n".join(lines).encode("utf-8")


def _truncate(body: bytes, keep: int) -> bytes:
    doc = json.loads(body)
    out: dict[str, Any] = {}
    kept = 0
    for key, value in doc.items():
        if key in ("full_count", "version", "stats"):
            out[key] = value
        elif kept < keep:
            out[key] = value
            kept += 1
    return json.dumps(out, separators=(",", ":")).encode("utf-8")


class Fr24Server:
    """The server; a context manager that runs it on a daemon thread.

    ``time`` is the simulated instant the feed shows (an aware datetime); ``None`` follows the
    wall clock.
    """

    def __init__(
        self,
        simulator: Simulator | None = None,
        *,
        seed: int = 42,
        peak_airborne: int = 12_000,
        cap: int = DEFAULT_CAP,
        host: str = "127.0.0.1",
        port: int = 0,
        time: datetime | None = None,
        compress: bool = True,
    ) -> None:
        self.simulator = simulator or get_simulator(seed, peak_airborne)
        self.cap = cap
        self.time = time
        self.compress = compress
        self.requests: list[LoggedRequest] = []
        self._script: deque[ScriptedResponse] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False

    # ---- lifecycle ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Fr24Server:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fr24-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def __enter__(self) -> Fr24Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- test hooks ---------------------------------------------------------------------
    def settings(self, base: Settings | None = None) -> Settings:
        """``base`` with every FR24 base URL pointing here."""
        return dataclasses.replace(
            base or Settings(),
            fr24_data_live_url=self.url,
            fr24_data_cloud_url=self.url,
            fr24_api_url=self.url,
            fr24_base_url=self.url,
        )

    def enqueue(self, *responses: ScriptedResponse) -> None:
        """Answer the next requests to each response's path with these, in order."""
        with self._lock:
            self._script.extend(responses)

    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def feed_requests(self) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == FEED_PATH]

    def now(self) -> datetime:
        return self.time or datetime.now(UTC)

    # ---- serving ------------------------------------------------------------------------
    def _take_script(self, path: str) -> ScriptedResponse | None:
        with self._lock:
            for item in self._script:
                if item.path == path:
                    self._script.remove(item)
                    return item
        return None

    def _normal(self, path: str, params: dict[str, str]) -> tuple[int, str, bytes]:
        if path == FEED_PATH:
            try:
                bounds = parse_bounds(params["bounds"]) if "bounds" in params else None
                cap = min(self.cap, int(params.get("limit", self.cap)))
            except ValueError as exc:
                return 400, "application/json", json.dumps({"error": str(exc)}).encode()
            box = bounds or (90.0, -90.0, -180.0, 180.0)
            traffic = self.simulator.flights_at(self.now())
            return 200, "application/json", traffic.body(traffic.select(*box), cap)
        if path == AIRPORTS_PATH:
            return 200, "application/json", airports_body()
        if path == AIRLINES_PATH:
            return 200, "text/html; charset=utf-8", airlines_body()
        return 404, "text/html; charset=utf-8", b"<html><body>not found</body></html>"

    def _respond(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = parts.path
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        script = self._take_script(path)
        headers: dict[str, str] = {}
        if script is not None and script.delay_s and self._stopping.wait(script.delay_s):
            return  # shutting down
        if script is not None and (script.body is not None or script.status != 200):
            status, content_type, body = script.status, "application/json", script.body or b""
        else:
            status, content_type, body = self._normal(path, params)
            if script is not None and script.keep_flights is not None and status == 200:
                body = _truncate(body, script.keep_flights)
        if script is not None:
            headers.update(script.headers)
        with self._lock:
            self.requests.append(LoggedRequest(path, params, status, script is not None))
        accepted = handler.headers.get("Accept-Encoding", "")
        if self.compress and "gzip" in accepted and body:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "fr24-local/1"

            def do_GET(self) -> None:
                # A client that gave up (a timeout test) leaves nobody to answer.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server._respond(self)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("fr24-local: " + format, *args)

        return Handler


def main(argv: list[str] | None = None) -> int:
    """Serve the FR24-format feed until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m lakehouse.bronze.fr24_server",
        description="Local HTTP server speaking FlightRadar24's feed format from the simulator. "
        "Point LAKEHOUSE_FR24_*_URL at it and set LAKEHOUSE_SOURCE=fr24.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8024, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--peak-airborne", type=int, default=12_000)
    parser.add_argument("--cap", type=int, default=DEFAULT_CAP, help="flights per response")
    parser.add_argument(
        "--time", help="fixed simulated UTC time, e.g. 2025-09-20T12:00:00Z (default: now)"
    )
    args = parser.parse_args(argv)
    fixed = None
    if args.time:
        fixed = datetime.fromisoformat(args.time.replace("Z", "+00:00"))
        if fixed.tzinfo is None:
            parser.error("--time needs a UTC offset or a trailing Z")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = Fr24Server(
        seed=args.seed,
        peak_airborne=args.peak_airborne,
        cap=args.cap,
        host=args.host,
        port=args.port,
        time=fixed,
    )
    print(f"FR24-format feed on {server.url} (feed {FEED_PATH}); Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
