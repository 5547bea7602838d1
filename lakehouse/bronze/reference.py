"""Fetch FR24's airport and airline lists as raw bodies, for ``bronze/reference/``.

The dimensions are refreshed from FlightRadar24 when it is reachable and seeded from the
shipped OpenFlights files otherwise. Like the live feed, the lists land in bronze as received,
so this returns the raw bodies of the same requests FlightRadarAPI's ``get_airports()`` and
``get_airlines()`` make, after checking with the package's own parsers that they hold data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from lakehouse.bronze.envelope import RawResponse, Snapshot, require_utc
from lakehouse.bronze.source import (
    FR24_PACKAGE,
    Fr24Http,
    SourceError,
    fr24_client_version,
    fr24_endpoints,
)
from lakehouse.settings import Settings


class ReferenceUnavailable(SourceError):
    """FR24's airport or airline list could not be fetched or held no data."""


def _check_airports(body: bytes) -> None:
    from FlightRadarAPI.parsers import parse_airports_json

    if not parse_airports_json(body):
        raise ValueError("the airports body parses to no airport")


def _check_airlines(body: bytes) -> None:
    from FlightRadarAPI.parsers import parse_airlines_html

    if not parse_airlines_html(body):
        raise ValueError("the airlines page parses to no airline")


def fetch_reference(
    settings: Settings,
    snapshot_time: datetime | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    backoff_base_s: float = 0.5,
) -> Snapshot:
    """A snapshot whose responses are FR24's airports (index 0) and airlines (index 1) bodies.

    ``snapshot_time`` is the schedule's time (the DAG's data interval); left out, the current
    minute is used, which suits an ad-hoc refresh only. Raises ``ReferenceUnavailable`` with
    what to do next when FR24 cannot be reached or answers with something unusable.
    """
    if snapshot_time is None:
        snapshot_time = datetime.now(UTC).replace(second=0, microsecond=0)
    require_utc(snapshot_time)
    http = Fr24Http(settings, sleep=sleep, backoff_base_s=backoff_base_s)
    deadline = time.monotonic() + settings.fr24_snapshot_budget_s
    try:
        with fr24_endpoints(settings):
            from FlightRadarAPI.core import Core

            airports: RawResponse = http.get(
                Core.airports_json_url, None, Core.json_headers, deadline, _check_airports
            )
            airlines: RawResponse = http.get(
                Core.airlines_data_url, None, Core.html_headers, deadline, _check_airlines
            )
    except SourceError as exc:
        raise ReferenceUnavailable(
            f"FlightRadar24 reference lists unavailable ({exc}). Silver keeps the dimensions "
            "seeded from the shipped OpenFlights files; retry when "
            f"{settings.fr24_base_url} is reachable"
        ) from exc
    return Snapshot(
        source="fr24",
        snapshot_time=snapshot_time,
        fetched_at=datetime.now(UTC),
        client_package=FR24_PACKAGE,
        client_version=fr24_client_version(),
        responses=(airports, airlines),
    )
