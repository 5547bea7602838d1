"""Where a bronze snapshot comes from: FlightRadar24 through FlightRadarAPI, or the simulator.

Both sources speak the same contract: ``fetch(snapshot_time) -> Snapshot``, the snapshot whole
or an exception, never a partial one. Both tile the globe the same way (``tiles.cover``) and
keep each tile's response body as raw bytes, so bronze holds what the feed said, not what a
client library made of it.

``Fr24Source`` drives the real FlightRadarAPI 1.6.3 code: its HTTP client (curl_cffi with
browser impersonation, content decoding, size limits), its endpoint table (``Core``) and its
feed parameters (``FlightTrackerConfig``). It does not call ``get_flights()``, because that
returns parsed ``Flight`` objects (dropping ids that start with a letter) and no raw body.
The endpoint base URLs come from settings and are patched into ``Core`` for the duration of a
fetch only, so the same package code can talk to FlightRadar24 or to the local server in
``fr24_server``. Retries, backoff and the per-snapshot time budget are ours: the package's
``RetryPolicy`` neither looks at HTTP statuses nor honours ``Retry-After``.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from operator import itemgetter
from typing import Any, Protocol, runtime_checkable

from lakehouse.bronze.envelope import RawResponse, Snapshot, require_utc
from lakehouse.bronze.simulator import CLIENT_PACKAGE as SIMULATOR_PACKAGE
from lakehouse.bronze.simulator import Simulator, get_simulator, simulator_version
from lakehouse.bronze.tiles import DEFAULT_MAX_DEPTH, FeedCounts, Tile, cover, feed_counts
from lakehouse.settings import Settings, SettingsError, get_settings

log = logging.getLogger(__name__)

FR24_PACKAGE = "FlightRadarAPI"
SIMULATOR_FEED_URL = "simulator:///zones/fcgi/feed.js"
STICKY_COOKIES = ("AWSALB", "AWSALBCORS")  # pin a session to one FR24 backend; shed on retry

# FlightRadarAPI's own defaults, which settings replace at fetch time.
_DEFAULT_BASES = {
    "fr24_data_live_url": "https://data-live.flightradar24.com",
    "fr24_data_cloud_url": "https://data-cloud.flightradar24.com",
    "fr24_api_url": "https://api.flightradar24.com",
    "fr24_base_url": "https://www.flightradar24.com",
}
_CORE_LOCK = threading.RLock()


class SourceError(RuntimeError):
    """A snapshot could not be produced; nothing was returned."""


class Fr24FetchError(SourceError):
    """A request failed for good: retries exhausted, or an error that retrying cannot fix."""


class SnapshotBudgetExceeded(SourceError):
    """The snapshot did not complete within ``fr24_snapshot_budget_s``."""


@runtime_checkable
class SnapshotSource(Protocol):
    """Anything that can produce one whole snapshot for a scheduled time."""

    name: str

    def fetch(self, snapshot_time: datetime) -> Snapshot: ...


def fr24_client_version() -> str:
    return metadata.version(FR24_PACKAGE)


@contextmanager
def fr24_endpoints(settings: Settings) -> Iterator[None]:
    """Point FlightRadarAPI's ``Core`` URLs at the settings' base URLs, then put them back.

    ``Core`` builds every endpoint URL from its base URLs when the class is created, so each
    derived attribute is rewritten, not just the bases. A lock keeps two fetches in one
    process from seeing each other's endpoints.
    """
    from FlightRadarAPI.core import Core

    # Longest first, so api.flightradar24.com is not mistaken for a prefix of something else.
    bases = sorted(_DEFAULT_BASES.items(), key=lambda kv: -len(kv[1]))
    with _CORE_LOCK:
        original = {k: v for k, v in vars(Core).items() if isinstance(v, str)}
        try:
            for attr, value in original.items():
                for setting, default in bases:
                    if value.startswith(default):
                        target = str(getattr(settings, setting)).rstrip("/")
                        setattr(Core, attr, target + value[len(default) :])
                        break
            yield
        finally:
            for attr, value in original.items():
                setattr(Core, attr, value)


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or junk."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclasses.dataclass
class FetchStats:
    """What one fetch cost, for logs and tests."""

    requests: int = 0
    retries: int = 0
    waited_s: float = 0.0


class Fr24Http:
    """FlightRadarAPI's HTTP client with our retry, backoff and budget policy.

    Retried: HTTP 429 (waiting at least ``Retry-After``), 5xx, Cloudflare blocks, network
    errors and timeouts, and 200 bodies that fail ``validate``. Not retried: other 4xx (a wrong
    URL or a blocked account does not heal in seconds) and oversized bodies.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
    ) -> None:
        from FlightRadarAPI.request import APIClient

        self.settings = settings
        self.client = APIClient()  # no package-level retry: ours sees statuses and headers
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.stats = FetchStats()

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter (0.5x to 1.5x) for the 0-based retry ``attempt``."""
        delay = min(self.backoff_max_s, self.backoff_base_s * 2**attempt)
        return delay * self._rng.uniform(0.5, 1.5)

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        deadline: float,
        validate: Callable[[bytes], object] | None = None,
    ) -> RawResponse:
        """One logical GET, retried until it yields a valid body, fails for good or time ends."""
        from curl_cffi.requests.exceptions import RequestException
        from FlightRadarAPI.errors import CloudflareError, DecompressionLimitError

        attempts = self.settings.fr24_max_retries + 1
        sent = dict(params or {})
        where = f"{url} {sent.get('bounds', '')}".strip()
        last = "no attempt made"
        for attempt in range(attempts):
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise SnapshotBudgetExceeded(
                    f"snapshot budget of {self.settings.fr24_snapshot_budget_s:g}s ran out "
                    f"before {where} succeeded (last: {last}); nothing was returned. The next "
                    "scheduled run retries; raise LAKEHOUSE_FR24_SNAPSHOT_BUDGET_S if the feed "
                    "is just slow"
                )
            timeout = min(self.settings.fr24_timeout_s, remaining)
            retry_after: float | None = None
            self.stats.requests += 1
            try:
                request = self.client.request(
                    url,
                    params=sent or None,
                    headers=dict(headers),
                    timeout=timeout,
                    allowed_error_codes=list(range(400, 600)),
                )
            except DecompressionLimitError as exc:
                raise Fr24FetchError(f"{where}: {exc}; not retried") from exc
            except (CloudflareError, RequestException) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                status = request.get_status_code()
                response = request.get_response_object()
                body = bytes(response.content)
                if status == 200:
                    try:
                        if validate is not None:
                            validate(body)
                    except ValueError as exc:
                        last = f"HTTP 200 with an unusable body ({exc})"
                    else:
                        return RawResponse(url, sent, status, body)
                elif status == 429:
                    retry_after = _retry_after_seconds(request.get_headers().get("Retry-After"))
                    last = f"HTTP 429 (Retry-After: {retry_after})"
                elif status >= 500 or (status == 403 and response.headers.get("cf-mitigated")):
                    last = f"HTTP {status}"
                else:
                    raise Fr24FetchError(
                        f"{where}: HTTP {status}, which retrying will not fix; check the "
                        "LAKEHOUSE_FR24_*_URL settings and that the endpoint still exists"
                    )
            if attempt == attempts - 1:
                break
            delay = self.backoff(attempt)
            if retry_after is not None:
                delay = max(delay, retry_after)
            left = deadline - self._clock()
            if delay >= left:
                raise SnapshotBudgetExceeded(
                    f"snapshot budget of {self.settings.fr24_snapshot_budget_s:g}s ran out at "
                    f"{where}: {last}; the next retry would wait {delay:.1f}s with "
                    f"{max(left, 0):.1f}s left. Nothing was returned; the next scheduled run "
                    "retries"
                )
            log.warning(
                "%s: %s; retry %d/%d in %.2fs", where, last, attempt + 1, attempts - 1, delay
            )
            for cookie in STICKY_COOKIES:
                self.client.delete_cookie(cookie)
            self.stats.retries += 1
            self.stats.waited_s += delay
            self._sleep(delay)
        raise Fr24FetchError(
            f"{where}: gave up after {attempts} attempts; last: {last}. FlightRadar24 may be "
            "down or rate-limiting: the next scheduled run retries (LAKEHOUSE_FR24_MAX_RETRIES "
            "sets the attempts)"
        )


def feed_params() -> dict[str, str]:
    """The live-feed query FlightRadarAPI's ``get_flights()`` sends, minus ``bounds``."""
    from FlightRadarAPI.flight_tracker_config import FlightTrackerConfig

    return {k: str(v) for k, v in dataclasses.asdict(FlightTrackerConfig()).items()}


class Fr24Source:
    """Live snapshots from FlightRadar24 (or any server speaking its format) via FlightRadarAPI."""

    name = "fr24"

    def __init__(
        self,
        settings: Settings,
        *,
        tiles: list[Tile] | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
    ) -> None:
        self.settings = settings
        self.tiles = tiles
        self.max_depth = max_depth
        self._http_options: dict[str, Any] = {
            "sleep": sleep,
            "clock": clock,
            "rng": rng,
            "backoff_base_s": backoff_base_s,
            "backoff_max_s": backoff_max_s,
        }
        self._clock = clock
        self.last_stats = FetchStats()

    def fetch(self, snapshot_time: datetime) -> Snapshot:
        """Every tile's raw body for one snapshot, or an exception (never a partial snapshot)."""
        require_utc(snapshot_time)
        started = self._clock()
        deadline = started + self.settings.fr24_snapshot_budget_s
        http = Fr24Http(self.settings, **self._http_options)
        self.last_stats = http.stats
        with fr24_endpoints(self.settings):
            from FlightRadarAPI.core import Core

            url = Core.real_time_flight_tracker_data_url
            headers = dict(Core.json_headers)
            base = feed_params()

            def fetch_tile(tile: Tile) -> RawResponse:
                params = {**base, "bounds": tile.bounds}
                return http.get(url, params, headers, deadline, validate=feed_counts)

            cap = self.settings.fr24_response_cap

            def counts(response: RawResponse) -> FeedCounts:
                return feed_counts(response.body, cap)

            leaves = cover(fetch_tile, counts, self.tiles, self.max_depth)
        snapshot = Snapshot(
            source=self.name,
            snapshot_time=snapshot_time,
            fetched_at=datetime.now(UTC),
            client_package=FR24_PACKAGE,
            client_version=fr24_client_version(),
            responses=tuple(response for _, response in leaves),
        )
        log.info(
            "fr24 snapshot %s: %d responses, %d raw rows, %d requests, %d retries, %.1fs",
            snapshot_time.isoformat(),
            len(snapshot.responses),
            snapshot.flight_count,
            http.stats.requests,
            http.stats.retries,
            self._clock() - started,
        )
        return snapshot


class SimulatorSource:
    """Snapshots from the in-process simulator, through the same tiling as the live feed."""

    name = "simulator"

    def __init__(
        self,
        settings: Settings,
        simulator: Simulator | None = None,
        *,
        tiles: list[Tile] | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self.settings = settings
        self.simulator = simulator or get_simulator(
            settings.simulator_seed, settings.simulator_peak_airborne
        )
        self.tiles = tiles
        self.max_depth = max_depth

    def fetch(self, snapshot_time: datetime) -> Snapshot:
        """The simulated world at the scheduled time itself: re-runs give identical bodies."""
        require_utc(snapshot_time)
        base = feed_params()
        cap = min(self.settings.fr24_response_cap, int(base.get("limit", "5000")))

        def fetch_tile(tile: Tile) -> tuple[RawResponse, FeedCounts]:
            body, counts = self.simulator.feed_response(snapshot_time, tile, cap)
            params = {**base, "bounds": tile.bounds}
            return RawResponse(SIMULATOR_FEED_URL, params, 200, body), counts

        # The simulator knows each body's counts, so nothing is parsed back.
        leaves = cover(fetch_tile, itemgetter(1), self.tiles, self.max_depth)
        return Snapshot(
            source=self.name,
            snapshot_time=snapshot_time,
            fetched_at=datetime.now(UTC),
            client_package=SIMULATOR_PACKAGE,
            client_version=simulator_version(),
            responses=tuple(response for _, (response, _) in leaves),
        )


def make_source(settings: Settings | None = None) -> SnapshotSource:
    """The source ``LAKEHOUSE_SOURCE`` names: ``simulator`` (default) or ``fr24``."""
    settings = settings or get_settings()
    if settings.source == "simulator":
        return SimulatorSource(settings)
    if settings.source == "fr24":
        return Fr24Source(settings)
    raise SettingsError(
        f"LAKEHOUSE_SOURCE={settings.source!r} is not a source; use 'simulator' or 'fr24'"
    )
