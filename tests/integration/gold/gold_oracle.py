"""An independent model of the gold contract in plain Python, to check the SQL against.

It shares nothing with the SQL: it reads the observations as Python objects and applies the
definitions in docs/metrics.md literally.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Obs:
    """One silver observation, reduced to the fields gold reads."""

    flight_id: str
    observed_at: datetime
    origin_iata: str | None = None
    destination_iata: str | None = None
    airline_icao: str | None = None
    ground_speed_kt: int | None = None
    on_ground: int | None = 0

    @property
    def key(self) -> tuple[str, datetime]:
        return (self.flight_id, self.observed_at)

    def but(self, **changes: object) -> Obs:
        return replace(self, **changes)  # type: ignore[arg-type]


def at(text: str) -> datetime:
    """'2025-09-20 23:50' -> aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def obs(flight_id: str, when: str, *args: object, **kwargs: object) -> Obs:
    return Obs(flight_id, at(when), *args, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Flight:
    flight_id: str
    flight_date: date
    origin_iata: str | None
    destination_iata: str | None
    airline_icao: str | None


def _latest_known(observations: list[Obs], attr: str) -> str | None:
    for o in sorted(observations, key=lambda o: o.observed_at, reverse=True):
        value = getattr(o, attr)
        if value is not None:
            return value
    return None


def flights(rows: list[Obs]) -> dict[str, Flight]:
    by_flight: dict[str, list[Obs]] = defaultdict(list)
    for o in rows:
        by_flight[o.flight_id].append(o)
    out = {}
    for flight_id, observations in by_flight.items():
        first = min(o.observed_at for o in observations)
        out[flight_id] = Flight(
            flight_id,
            first.astimezone(UTC).date(),
            _latest_known(observations, "origin_iata"),
            _latest_known(observations, "destination_iata"),
            _latest_known(observations, "airline_icao"),
        )
    return out


def daily_flight_counts(rows: list[Obs]) -> set[tuple]:
    departures: dict[tuple[str, date], set[str]] = defaultdict(set)
    arrivals: dict[tuple[str, date], set[str]] = defaultdict(set)
    for f in flights(rows).values():
        if f.origin_iata is not None:
            departures[(f.origin_iata, f.flight_date)].add(f.flight_id)
        if f.destination_iata is not None:
            arrivals[(f.destination_iata, f.flight_date)].add(f.flight_id)
    out = set()
    for airport, day in set(departures) | set(arrivals):
        dep, arr = len(departures[(airport, day)]), len(arrivals[(airport, day)])
        out.add((airport, day, dep, arr, dep + arr))
    return out


def average_speed_by_airline(rows: list[Obs]) -> set[tuple]:
    attribution = flights(rows)
    speeds: dict[tuple[str, date], list[int]] = defaultdict(list)
    flight_ids: dict[tuple[str, date], set[str]] = defaultdict(set)
    for o in rows:
        f = attribution[o.flight_id]
        if f.airline_icao is None or o.on_ground != 0 or o.ground_speed_kt is None:
            continue
        speeds[(f.airline_icao, f.flight_date)].append(o.ground_speed_kt)
        flight_ids[(f.airline_icao, f.flight_date)].add(o.flight_id)
    out = set()
    for (airline, day), values in speeds.items():
        mean = (Decimal(sum(values)) / Decimal(len(values))).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        out.add((airline, day, mean, len(values), len(flight_ids[(airline, day)])))
    return out


def busiest_routes(rows: list[Obs]) -> set[tuple]:
    per_route: dict[tuple[str, str, date], set[str]] = defaultdict(set)
    for f in flights(rows).values():
        if f.origin_iata is not None and f.destination_iata is not None:
            per_route[(f.origin_iata, f.destination_iata, f.flight_date)].add(f.flight_id)
    out = set()
    for day in {d for _, _, d in per_route}:
        routes = [(o, d, len(ids)) for (o, d, dd), ids in per_route.items() if dd == day]
        # Python compares str by code point, i.e. bytewise for these ASCII codes.
        routes.sort(key=lambda r: (-r[2], r[0], r[1]))
        for rank, (origin, destination, count) in enumerate(routes, start=1):
            out.add((origin, destination, day, count, rank))
    return out


def gold(rows: list[Obs]) -> dict[str, set[tuple]]:
    """Every gold table as a set of row tuples, in the tables' column order."""
    return {
        "flights": {
            (f.flight_id, f.flight_date, f.origin_iata, f.destination_iata, f.airline_icao)
            for f in flights(rows).values()
        },
        "daily_flight_counts": daily_flight_counts(rows),
        "average_speed_by_airline": average_speed_by_airline(rows),
        "busiest_routes": busiest_routes(rows),
    }
