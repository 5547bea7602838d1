"""Typed readers for the OpenFlights files shipped in ``lakehouse/reference/data``.

The files are the offline truth for airports, airlines, routes and aircraft types: the simulator
draws its traffic from them and silver seeds its dimensions from them when FlightRadar24 cannot
be reached. They are read with the ``csv`` module exactly as published (no header row, fields
quoted with ``"``) into NamedTuples, which are typed, immutable and cheap to build (the routes
file has 67k rows). OpenFlights writes ``\\N`` for a null and sometimes ``""`` for the same thing;
both become ``None`` here so that every consumer sees one spelling of "unknown". Any other value
(``"-"``, ``"N/A"`` in a few airline rows) is kept verbatim: deciding whether it is a usable code
is the consumer's business, not the reader's.

Each loader parses its file once per process (``functools.lru_cache``) and returns a tuple, so
the cached value cannot be mutated by a caller.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

DATA_DIR = Path(__file__).resolve().parent / "data"
AIRPORTS_FILE = DATA_DIR / "openflights_airports.dat"
AIRLINES_FILE = DATA_DIR / "openflights_airlines.dat"
ROUTES_FILE = DATA_DIR / "openflights_routes.dat"
PLANES_FILE = DATA_DIR / "openflights_planes.dat"
COUNTRIES_FILE = DATA_DIR / "openflights_countries.dat"

NULL = "\\N"


class ReferenceDataError(ValueError):
    """A shipped reference file does not have the shape OpenFlights documents."""


class Airport(NamedTuple):
    id: int
    name: str | None
    city: str | None
    country: str | None
    iata: str | None
    icao: str | None
    latitude: float
    longitude: float
    altitude_ft: int | None
    utc_offset_h: float | None
    dst: str | None
    tz: str | None
    type: str | None
    source: str | None


class Airline(NamedTuple):
    id: int
    name: str | None
    alias: str | None
    iata: str | None
    icao: str | None
    callsign: str | None
    country: str | None
    active: bool


class Route(NamedTuple):
    airline: str | None  # IATA (2 chars) or ICAO (3 chars) code as OpenFlights gives it
    airline_id: int | None
    source_airport: str | None  # IATA or ICAO code
    source_airport_id: int | None
    destination_airport: str | None
    destination_airport_id: int | None
    codeshare: bool
    stops: int
    equipment: tuple[str, ...]  # IATA aircraft type codes, e.g. ("320", "738")


class Plane(NamedTuple):
    name: str
    iata_code: str | None
    icao_code: str | None


class Country(NamedTuple):
    name: str
    iso_code: str | None
    dafif_code: str | None


def _text(value: str) -> str | None:
    return None if value in (NULL, "") else value


def _int(value: str) -> int | None:
    text = _text(value)
    return None if text is None else int(text)


def _float(value: str) -> float | None:
    text = _text(value)
    return None if text is None else float(text)


def _rows(path: Path, width: int) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        for line_no, row in enumerate(csv.reader(handle), start=1):
            if len(row) != width:
                raise ReferenceDataError(
                    f"{path.name} line {line_no}: expected {width} fields, got {len(row)}; "
                    "the file should be the unchanged OpenFlights export"
                )
            yield line_no, row


def _parse(path: Path, line_no: int, row: list[str], build: type, convert: tuple) -> object:
    try:
        return build(*(fn(value) for fn, value in zip(convert, row, strict=True)))
    except ValueError as exc:
        raise ReferenceDataError(f"{path.name} line {line_no}: {exc}") from exc


def read_airports(path: Path = AIRPORTS_FILE) -> tuple[Airport, ...]:
    """Parse an airports file (uncached; ``load_airports`` is the cached entry point)."""

    def required_float(value: str) -> float:
        number = _float(value)
        if number is None:
            raise ValueError("airport without a position")
        return number

    def required_int(value: str) -> int:
        number = _int(value)
        if number is None:
            raise ValueError("airport without an id")
        return number

    convert = (
        required_int, _text, _text, _text, _text, _text, required_float, required_float,
        _int, _float, _text, _text, _text, _text,
    )  # fmt: skip
    return tuple(
        _parse(path, n, row, Airport, convert)  # type: ignore[misc]
        for n, row in _rows(path, 14)
    )


def read_airlines(path: Path = AIRLINES_FILE) -> tuple[Airline, ...]:
    """Parse an airlines file; ``active`` is True only for ``Y`` (case-insensitive)."""

    def active(value: str) -> bool:
        return value.strip().upper() == "Y"

    convert = (int, _text, _text, _text, _text, _text, _text, active)
    return tuple(
        _parse(path, n, row, Airline, convert)  # type: ignore[misc]
        for n, row in _rows(path, 8)
    )


def read_routes(path: Path = ROUTES_FILE) -> tuple[Route, ...]:
    """Parse a routes file; ``equipment`` is split on spaces, ``codeshare`` is ``Y``.

    Written out field by field rather than through the generic converter: this is the big
    file (67k rows) and the simulator waits for it at start-up.
    """
    routes = []
    for line_no, row in _rows(path, 9):
        try:
            airline, airline_id, src, src_id, dst, dst_id, codeshare, stops, equipment = row
            routes.append(
                Route(
                    None if airline in (NULL, "") else airline,
                    None if airline_id in (NULL, "") else int(airline_id),
                    None if src in (NULL, "") else src,
                    None if src_id in (NULL, "") else int(src_id),
                    None if dst in (NULL, "") else dst,
                    None if dst_id in (NULL, "") else int(dst_id),
                    codeshare.strip().upper() == "Y",
                    0 if stops in (NULL, "") else int(stops),
                    () if equipment in (NULL, "") else tuple(equipment.split()),
                )
            )
        except ValueError as exc:
            raise ReferenceDataError(f"{path.name} line {line_no}: {exc}") from exc
    return tuple(routes)


def read_planes(path: Path = PLANES_FILE) -> tuple[Plane, ...]:
    """Parse a planes file (aircraft type names with IATA and ICAO codes)."""
    convert = (str, _text, _text)
    return tuple(
        _parse(path, n, row, Plane, convert)  # type: ignore[misc]
        for n, row in _rows(path, 3)
    )


def read_countries(path: Path = COUNTRIES_FILE) -> tuple[Country, ...]:
    """Parse a countries file (name, ISO 3166-1 code, DAFIF code)."""
    convert = (str, _text, _text)
    return tuple(
        _parse(path, n, row, Country, convert)  # type: ignore[misc]
        for n, row in _rows(path, 3)
    )


@lru_cache(maxsize=1)
def load_airports() -> tuple[Airport, ...]:
    """All shipped airports, parsed once per process."""
    return read_airports()


@lru_cache(maxsize=1)
def load_airlines() -> tuple[Airline, ...]:
    """All shipped airlines, parsed once per process."""
    return read_airlines()


@lru_cache(maxsize=1)
def load_routes() -> tuple[Route, ...]:
    """All shipped routes, parsed once per process."""
    return read_routes()


@lru_cache(maxsize=1)
def load_planes() -> tuple[Plane, ...]:
    """All shipped aircraft types, parsed once per process."""
    return read_planes()


@lru_cache(maxsize=1)
def load_countries() -> tuple[Country, ...]:
    """All shipped countries, parsed once per process."""
    return read_countries()
