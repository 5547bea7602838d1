"""Land FR24's airport and airline lists in ``bronze/reference/``, or fall back to the seed.

When FlightRadar24 answers, each list becomes one envelope (one response, body as received)
at ``bronze/reference/YYYY/MM/DD/{airports,airlines}_YYYYMMDD_HHMM.json``, written once like
every bronze object. When it does not, nothing is written: the dimensions stay seeded from the
OpenFlights files shipped in the package, and the result says so and why. Either way the
caller learns which reference data silver will use.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lakehouse.bronze.envelope import RawResponse, Snapshot, require_utc, snapshot_key
from lakehouse.bronze.reference import ReferenceUnavailable, fetch_reference
from lakehouse.bronze.writer import list_keys, put_once
from lakehouse.s3 import s3_client
from lakehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: The lists in the order ``fetch_reference`` returns their responses.
REFERENCE_LISTS = ("airports", "airlines")
FR24 = "fr24"
SEED = "openflights-seed"


@dataclass(frozen=True)
class ReferenceLanding:
    """Which reference data is current after a refresh, and what this call wrote.

    ``origin`` is ``fr24`` (``keys`` name the objects, ``created`` whether this call wrote
    each) or ``openflights-seed`` (``keys`` empty, ``reason`` says why FR24 was not used).
    ``airports`` and ``airlines`` count the entries the chosen data holds.
    """

    origin: str
    airports: int
    airlines: int
    keys: dict[str, str] = field(default_factory=dict)
    created: dict[str, bool] = field(default_factory=dict)
    reason: str | None = None
    seconds: float = 0.0


def reference_prefix(settings: Settings) -> str:
    head = settings.bronze_prefix.strip("/")
    return f"{head}/reference/" if head else "reference/"


def reference_key(kind: str, snapshot_time: datetime, settings: Settings) -> str:
    """``bronze/reference/YYYY/MM/DD/<kind>_YYYYMMDD_HHMM.json``."""
    if kind not in REFERENCE_LISTS:
        raise ValueError(f"kind={kind!r}; expected one of {REFERENCE_LISTS}")
    name = snapshot_key(snapshot_time, prefix="").replace("flights_", f"{kind}_")
    return reference_prefix(settings) + name


def _count(kind: str, body: bytes) -> int:
    from FlightRadarAPI.parsers import parse_airlines_html, parse_airports_json

    return len(parse_airports_json(body) if kind == "airports" else parse_airlines_html(body))


def _seed_counts() -> tuple[int, int]:
    from lakehouse.reference.openflights import load_airlines, load_airports

    return len(load_airports()), len(load_airlines())


def land_reference(
    snapshot_time: datetime | None = None,
    *,
    settings: Settings | None = None,
    client: Any = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ReferenceLanding:
    """Fetch FR24's airports and airlines and land each once; the seed when FR24 is down.

    ``snapshot_time`` names the objects (the DAG's data interval; the current minute when left
    out, for an ad-hoc refresh). Only an unreachable or unusable FR24 falls back to the seed;
    an object-store failure raises, because then nothing is known about what landed.
    """
    s = settings or get_settings()
    if snapshot_time is None:
        snapshot_time = datetime.now(UTC).replace(second=0, microsecond=0)
    require_utc(snapshot_time)
    started = time.perf_counter()
    try:
        fetched = fetch_reference(s, snapshot_time, sleep=sleep)
    except ReferenceUnavailable as exc:
        airports, airlines = _seed_counts()
        log.warning(
            "reference: FR24 unavailable, keeping the shipped OpenFlights seed (%d airports, "
            "%d airlines): %s",
            airports,
            airlines,
            exc,
        )
        return ReferenceLanding(
            SEED, airports, airlines, reason=str(exc), seconds=time.perf_counter() - started
        )

    client = client or s3_client(s)
    keys: dict[str, str] = {}
    created: dict[str, bool] = {}
    counts: dict[str, int] = {}
    for kind, response in zip(REFERENCE_LISTS, fetched.responses, strict=True):
        key = reference_key(kind, snapshot_time, s)
        body = _one_response(fetched, response).to_envelope()
        keys[kind] = key
        created[kind] = put_once(client, s.bucket, key, body).created
        counts[kind] = _count(kind, response.body)
    result = ReferenceLanding(
        FR24,
        counts["airports"],
        counts["airlines"],
        keys,
        created,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "reference: FR24 lists landed: %d airports (%s), %d airlines (%s) in %.1fs",
        result.airports,
        keys["airports"],
        result.airlines,
        keys["airlines"],
        result.seconds,
    )
    return result


def _one_response(snapshot: Snapshot, response: RawResponse) -> Snapshot:
    return Snapshot(
        source=snapshot.source,
        snapshot_time=snapshot.snapshot_time,
        fetched_at=snapshot.fetched_at,
        client_package=snapshot.client_package,
        client_version=snapshot.client_version,
        responses=(response,),
    )


def latest_reference_keys(
    settings: Settings | None = None, *, client: Any = None
) -> dict[str, str]:
    """The newest landed object of each list (``{}`` when none ever landed: use the seed).

    Keys embed the snapshot time, so the newest is the greatest key of each kind.
    """
    s = settings or get_settings()
    client = client or s3_client(s)
    latest: dict[str, str] = {}
    for key in list_keys(client, s.bucket, reference_prefix(s)):
        name = key.rsplit("/", 1)[-1]
        kind = name.split("_", 1)[0]
        if kind in REFERENCE_LISTS and key > latest.get(kind, ""):
            latest[kind] = key
    return latest
