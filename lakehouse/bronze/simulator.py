"""A deterministic world of air traffic that answers in FlightRadar24's live-feed format.

FlightRadar24 cannot be reached from where this project is built and tested, and even where it
can, its data cannot be replayed. The simulator stands in for it: a pure function of
``(seed, time)`` that yields the flights visible at that instant, with the shape and the dirt of
the real feed, so every layer above bronze can be exercised and benchmarked.

The world:

* Airliner flights follow real OpenFlights routes (non-codeshare, non-stop) between real
  airports, flown by the route's airline with one of the route's aircraft types. Departures
  cluster in local daytime; each service day (UTC) has its own deterministic schedule, and a
  flight lives from its transponder switching on at the gate to switching off after landing,
  across midnight UTC when it must.
* Each flight goes through gate, taxi, climb, cruise, descent, taxi and gate again; the airborne
  part flies the great circle with speeds, climb and descent rates that suit its aircraft
  category (jet, turboprop, piston) and a cruise level that suits the distance.
* Identity is fixed per flight: FR24-style 8-hex-digit id (unique across days, a third of them
  start with a letter), ICAO 24-bit address, registration, aircraft type, flight number,
  callsign, squawk.
* The dirt real feeds have: unknown fields as ``""``, private flights without airline or route,
  flights whose route is not known, ground vehicles, gliders, a rare ``"N/A"``, and rare glitches
  with altitude, speed, heading or position out of range (the feed still files a glitched
  flight under its last good position, so bounds queries keep finding it).

Speed matters (a benchmark renders tens of thousands of snapshots): a service day's schedule is
built once with numpy and cached; a snapshot evaluates every live flight with array arithmetic
and only the final row assembly is Python.
"""

from __future__ import annotations

import json
import threading
import tomllib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from lakehouse.bronze.tiles import FeedCounts, Tile, parse_bounds
from lakehouse.reference.openflights import load_airlines, load_airports, load_planes, load_routes

CLIENT_PACKAGE = "lakehouse.simulator"
FEED_VERSION = 4
DAY_S = 86_400
EARTH_RADIUS_KM = 6371.0088
KM_PER_NM = 1.852

KIND_AIRLINER, KIND_VEHICLE, KIND_GLIDER = 0, 1, 2
PHASES = ("gate", "taxi", "climb", "cruise", "descent", "vehicle", "glider")
GATE, TAXI, CLIMB, CRUISE, DESCENT, VEHICLE, GLIDER = range(7)
STAT_KEYS = ("ads-b", "mlat", "faa", "flarm", "estimated", "satellite", "other")
ADSB, MLAT, FAA, FLARM, ESTIMATED, SATELLITE, OTHER = range(7)
JET, TURBOPROP, PISTON = 0, 1, 2

# Per-observation dirt rates: low, like the real feed, but present in every busy snapshot.
GLITCH_RATE = {"altitude": 0.0008, "speed": 0.0008, "heading": 0.0008, "position": 0.0004}
NA_RATE = 0.001
# Per-flight rates.
PRIVATE_RATE = 0.03  # no airline, no flight number, callsign = registration
HIDDEN_ROUTE_RATE = 0.04  # origin and destination unknown ("")
NO_SQUAWK_RATE = 0.12
NO_REGISTRATION_RATE = 0.02
NO_TYPE_RATE = 0.015
NO_CALLSIGN_RATE = 0.01
VEHICLES_PER_PEAK = 0.02
GLIDERS_PER_PEAK = 0.012

# Local departure hour weights: quiet nights, morning and evening banks.
_HOUR_WEIGHTS = np.array(
    [0.3, 0.15, 0.1, 0.1, 0.2, 0.8, 2.6, 3.2, 3.0, 2.7, 2.5, 2.4,
     2.4, 2.4, 2.5, 2.6, 2.7, 2.8, 2.8, 2.6, 2.2, 1.8, 1.3, 0.7]
)  # fmt: skip
_HOUR_P = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# OpenFlights routes use IATA family codes that its planes file does not map to ICAO.
_EXTRA_IATA_TO_ICAO = {
    "73H": "B738", "737": "B737", "73W": "B737", "CRJ": "CRJ2", "757": "B752", "ERJ": "E145",
    "777": "B772", "330": "A332", "DH8": "DH8D", "E75": "E75L", "M80": "MD82", "73C": "B733",
    "767": "B763", "32S": "A320", "CNC": "C208", "CNA": "C172", "32A": "A320", "75W": "B752",
    "BE1": "B190", "76W": "B763", "EMJ": "E190", "73J": "B738", "787": "B788", "SWM": "SW4",
    "340": "A343", "L4T": "L410", "313": "A310", "747": "B744", "74E": "B744", "73M": "B733",
    "73Q": "B734", "CRA": "CRJ7", "BEC": "BE20", "74M": "B744", "146": "B462", "CNT": "C402",
    "380": "A388", "32B": "A321", "AB4": "A30B", "350": "A359", "E70": "E170", "E90": "E190",
}  # fmt: skip
_TURBOPROPS = _codes(
    "AT43 AT45 AT46 AT72 AT75 AT76 ATP B190 BE20 C208 D228 D328 DH8A DH8B DH8C DH8D DHC6 DHC7 "
    "E110 E120 F27 F50 JS31 JS32 JS41 L410 SF34 SW4 SB20 AN24 AN26 AN28 AN30 AN32 Y12 SH33 "
    "SH36 PC12 PC6T DHC2 DH2T DHC3 DHC4 N262 A748 C212 G159 IL18 L188 AC90 C130 AN12 B350 "
    "CL44 I114 YS11 S58T"
)
_PISTONS = _codes(
    "C152 C172 C182 C210 C402 BE58 BE55 PA31 PA44 PA46 P28A P28B P68 BN2P TRIS DC3 DC6 DOVE "
    "HERN AC68 CONI B212 S61 S76 S92"
)
_REGISTRATION_PREFIX = {
    "United States": "N", "Canada": "C-", "United Kingdom": "G-", "Germany": "D-",
    "France": "F-", "Spain": "EC-", "Italy": "I-", "Netherlands": "PH-", "Switzerland": "HB-",
    "Austria": "OE-", "Ireland": "EI-", "Belgium": "OO-", "Portugal": "CS-", "Sweden": "SE-",
    "Norway": "LN-", "Denmark": "OY-", "Finland": "OH-", "Poland": "SP-", "Greece": "SX-",
    "Turkey": "TC-", "Russia": "RA-", "Ukraine": "UR-", "China": "B-", "Japan": "JA",
    "South Korea": "HL", "India": "VT-", "Australia": "VH-", "New Zealand": "ZK-",
    "Brazil": "PR-", "Argentina": "LV-", "Chile": "CC-", "Colombia": "HK-", "Mexico": "XA-",
    "Indonesia": "PK-", "Thailand": "HS-", "Singapore": "9V-", "Malaysia": "9M-",
    "Philippines": "RP-C", "Vietnam": "VN-", "United Arab Emirates": "A6-", "Qatar": "A7-",
    "Saudi Arabia": "HZ-", "Israel": "4X-", "Egypt": "SU-", "South Africa": "ZS-",
    "Kenya": "5Y-", "Ethiopia": "ET-", "Morocco": "CN-", "Nigeria": "5N-", "Iran": "EP-",
    "Pakistan": "AP-", "Czech Republic": "OK-", "Hungary": "HA-", "Romania": "YR-",
    "Iceland": "TF-", "Peru": "OB-", "Kazakhstan": "UP-", "Taiwan": "B-",
}  # fmt: skip
_FALLBACK_PREFIXES = ("P4-", "VP-B", "9H-", "EW-", "4K-", "UK-", "EX-", "T7-")
_VEHICLE_CALLSIGNS = ("FOLLOW", "OPS", "TUG", "RESCUE", "SWEEP", "FIRE", "SAFETY", "BIRD")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_M32 = np.uint64(0xFFFFFFFF)


def _mix32(values: np.ndarray, key: int) -> np.ndarray:
    """A keyed bijection on 32-bit integers (xor, odd multiplies, xorshifts): unique in, out."""
    x = (values.astype(np.uint64) ^ np.uint64(key & 0xFFFFFFFF)) & _M32
    for mult, shift in ((0x9E3779B1, 16), (0x85EBCA6B, 13), (0xC2B2AE35, 16)):
        x = (x * np.uint64(mult)) & _M32
        x ^= x >> np.uint64(shift)
    return x


def _fixed_digits(values: np.ndarray, base: int, width: int, upper: bool = False) -> np.ndarray:
    """Zero-padded base-8/16 text of non-negative ints, vectorised (``%08x`` without a loop)."""
    alphabet = "0123456789ABCDEF" if upper else "0123456789abcdef"
    codes = np.array([ord(ch) for ch in alphabet], dtype=np.uint32)
    v = values.astype(np.uint64)[:, None]
    powers = np.uint64(base) ** np.arange(width - 1, -1, -1, dtype=np.uint64)
    digits = (v // powers) % np.uint64(base)
    return np.ascontiguousarray(codes[digits.astype(np.intp)]).view(f"<U{width}").ravel()


def _haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> Any:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _epoch(t: datetime | float) -> int:
    if isinstance(t, datetime):
        if t.utcoffset() is None:
            raise ValueError(f"time {t.isoformat()} is naive; pass an aware UTC datetime")
        return int(t.timestamp() // 1)
    return int(t // 1)


def _usable_code(code: str | None, length: int) -> str:
    if code and len(code) == length and code.isalnum() and code.isascii():
        return code.upper()
    return ""


@dataclass(frozen=True)
class _Network:
    """Airports, airlines, routes and aircraft types as arrays (built once per process)."""

    ap_lat: np.ndarray
    ap_lon: np.ndarray
    ap_elev: np.ndarray
    ap_utc: np.ndarray
    ap_iata: list[str]
    ap_icao: list[str]
    ap_prefix: list[str]
    busy_airports: np.ndarray  # airports with the most routes, for ground vehicles
    glider_airports: np.ndarray  # mid-latitude airports, for gliding clubs
    r_origin: np.ndarray
    r_dest: np.ndarray
    r_airline: np.ndarray  # -1: the route's airline has no ICAO code
    r_dist_km: np.ndarray
    r_types: np.ndarray  # (routes, 3) indexes into types, -1 padded
    r_ntypes: np.ndarray
    al_icao: list[str]
    al_iata: list[str]
    al_prefix: list[str]
    types: list[str]
    type_cat: np.ndarray


@lru_cache(maxsize=1)
def _network() -> _Network:
    airports = [a for a in load_airports() if _usable_code(a.iata, 3)]
    ap_index = {a.id: i for i, a in enumerate(airports)}
    ap_lat = np.array([a.latitude for a in airports])
    ap_lon = np.array([a.longitude for a in airports])
    ap_elev = np.array([float(a.altitude_ft or 0) for a in airports])
    ap_utc = np.array(
        [
            a.utc_offset_h if a.utc_offset_h is not None else round(a.longitude / 15)
            for a in airports
        ]
    )
    ap_prefix = [_REGISTRATION_PREFIX.get(a.country or "", "") for a in airports]

    airlines = load_airlines()
    al_rows = [a for a in airlines if _usable_code(a.icao, 3)]
    al_index = {a.id: i for i, a in enumerate(al_rows)}
    al_icao = [_usable_code(a.icao, 3) for a in al_rows]
    al_iata = [_usable_code(a.iata, 2) for a in al_rows]
    al_prefix = [
        _REGISTRATION_PREFIX.get(a.country or "", _FALLBACK_PREFIXES[a.id % 8]) for a in al_rows
    ]

    iata_to_icao = {p.iata_code: p.icao_code for p in load_planes() if p.iata_code and p.icao_code}
    iata_to_icao.update(_EXTRA_IATA_TO_ICAO)
    types: list[str] = ["A320", "B738", "B77W", "A359", "AT76"]  # fallbacks first
    type_index = {t: i for i, t in enumerate(types)}

    origin, dest, airline, ntypes, cand = [], [], [], [], []
    seen: set[tuple[int, int, int]] = set()
    for route in load_routes():
        if route.codeshare or route.stops:
            continue
        o = ap_index.get(route.source_airport_id or -1)
        d = ap_index.get(route.destination_airport_id or -1)
        if o is None or d is None or o == d:
            continue
        a = al_index.get(route.airline_id or -1, -1)
        if (o, d, a) in seen:
            continue
        seen.add((o, d, a))
        picks = []
        for code in route.equipment:
            icao = iata_to_icao.get(code)
            if icao and icao not in picks:
                picks.append(icao)
        row = [type_index.setdefault(t, len(type_index)) for t in picks[:3]]
        origin.append(o)
        dest.append(d)
        airline.append(a)
        ntypes.append(len(row))
        cand.append(row + [-1] * (3 - len(row)))
    types = list(type_index)
    r_origin, r_dest = np.array(origin), np.array(dest)
    r_dist = _haversine_km(ap_lat[r_origin], ap_lon[r_origin], ap_lat[r_dest], ap_lon[r_dest])
    keep = r_dist >= 40.0
    r_types = np.array(cand)[keep]
    r_ntypes = np.array(ntypes)[keep]
    # Routes with no mappable equipment get a type that suits their length.
    r_dist = r_dist[keep]
    fallback = np.select([r_dist < 400, r_dist < 3500, r_dist < 9000], [4, 0, 1], 3)
    r_types[r_ntypes == 0, 0] = fallback[r_ntypes == 0]
    r_ntypes = np.maximum(r_ntypes, 1)

    counts = np.bincount(np.concatenate([r_origin, r_dest]), minlength=len(airports))
    busy = np.argsort(-counts, kind="stable")[:300]
    glider = np.flatnonzero((np.abs(ap_lat) > 30) & (np.abs(ap_lat) < 60) & (counts > 0))
    type_cat = np.array(
        [TURBOPROP if t in _TURBOPROPS else PISTON if t in _PISTONS else JET for t in types]
    )
    return _Network(
        ap_lat=ap_lat,
        ap_lon=ap_lon,
        ap_elev=ap_elev,
        ap_utc=ap_utc,
        ap_iata=[a.iata or "" for a in airports],
        ap_icao=[_usable_code(a.icao, 4) for a in airports],
        ap_prefix=ap_prefix,
        busy_airports=busy,
        glider_airports=glider,
        r_origin=r_origin[keep],
        r_dest=r_dest[keep],
        r_airline=np.array(airline)[keep],
        r_dist_km=r_dist,
        r_types=r_types,
        r_ntypes=r_ntypes,
        al_icao=al_icao,
        al_iata=al_iata,
        al_prefix=al_prefix,
        types=types,
        type_cat=type_cat,
    )


def _registrations(prefix: np.ndarray, letters: np.ndarray, number: np.ndarray) -> np.ndarray:
    """Registrations in each country's usual shape, e.g. N123AB, G-EZAB, EC-MXV, JA8123."""
    abc = np.array(list(_LETTERS))[letters]  # (n, 4) single letters
    three = np.char.add(np.char.add(abc[:, 0], abc[:, 1]), abc[:, 2])
    four = np.char.add(three, abc[:, 3])
    digits = (number % 9000 + 1000).astype(str)
    us_digits = np.char.add("N", (number % 900 + 100).astype(str))
    us = np.char.add(us_digits, np.char.add(abc[:, 0], abc[:, 1]))
    numeric = np.isin(prefix, ["JA", "HL", "B-", "RP-C"])
    single = np.char.str_len(prefix) == 2  # "G-", "D-", "F-": four letters follow
    suffix = np.where(numeric, digits, np.where(single, four, three))
    out = np.char.add(prefix, suffix)
    return np.where(prefix == "N", us, out)


@dataclass
class _Schedule:
    """Every transponder that is on at some time of one service day (UTC), as columns."""

    n: int
    kind: np.ndarray
    start: np.ndarray
    end: np.ndarray
    num: dict[str, np.ndarray]  # numeric motion parameters, one array per name
    text: dict[str, np.ndarray]  # fixed per-flight strings (object arrays of str)
    source: np.ndarray  # stats category


_AIRLINER_NUM = (
    "o", "d", "cat", "t_park", "t_taxi", "t_climb", "t_cruise", "t_desc", "t_taxi_in",
    "elev_o", "elev_d", "alt_top", "v0", "vc", "v1", "rc", "rd", "wind", "s_climb", "s_cruise",
    "s_total", "taxi_kt", "lat_o", "lon_o", "lat_d", "lon_d",
    "g_o_lat", "g_o_lon", "r_o_lat", "r_o_lon", "g_d_lat", "g_d_lon", "r_d_lat", "r_d_lon",
    "c_lat", "c_lon", "radius", "omega", "phi", "v_kt", "alt_base", "alt_amp", "omega_alt",
)  # fmt: skip


class Simulator:
    """Traffic as FR24 would show it, deterministic by ``(seed, time)``.

    ``peak_airborne`` scales the world: the number of airliners in the air at the busiest
    moment of a day (ground traffic, vehicles and gliders come on top).
    """

    def __init__(self, seed: int = 42, peak_airborne: int = 12_000) -> None:
        if peak_airborne < 1:
            raise ValueError("peak_airborne must be >= 1")
        self.seed = int(seed)
        self.peak_airborne = int(peak_airborne)
        self._net = _network()
        self._lock = threading.Lock()
        self._days: OrderedDict[int, _Schedule] = OrderedDict()
        self._traffic: OrderedDict[int, Traffic] = OrderedDict()
        self._daily_flights = self._calibrate()

    # ---- public -------------------------------------------------------------------------
    def flights_at(self, t: datetime | float) -> Traffic:
        """Every flight visible at ``t`` (aware datetime or unix seconds), as FR24 rows."""
        now = _epoch(t)
        with self._lock:
            cached = self._traffic.get(now)
            if cached is None:
                cached = self._render(now)
                self._traffic[now] = cached
                while len(self._traffic) > 2:
                    self._traffic.popitem(last=False)
            return cached

    def body_for_bounds(
        self, t: datetime | float, bounds: str | Tile | None = None, cap: int = 1500
    ) -> bytes:
        """The live-feed body FR24 would return for ``bounds`` at ``t``, at most ``cap`` flights.

        ``full_count`` is the number of flights in the bounds, so a capped body tells the caller
        to ask again with smaller bounds. ``None`` means the whole globe.
        """
        return self.feed_response(t, bounds, cap)[0]

    def feed_response(
        self, t: datetime | float, bounds: str | Tile | None = None, cap: int = 1500
    ) -> tuple[bytes, FeedCounts]:
        """``body_for_bounds`` plus the counts it holds, so callers need not parse it back."""
        traffic = self.flights_at(t)
        if bounds is None:
            box = (90.0, -90.0, -180.0, 180.0)
        elif isinstance(bounds, Tile):
            box = (bounds.north, bounds.south, bounds.west, bounds.east)
        else:
            box = parse_bounds(bounds)
        selected = traffic.select(*box)
        body = traffic.body(selected, cap)
        return body, FeedCounts(len(selected), min(len(selected), max(cap, 0)), cap)

    # ---- schedule -----------------------------------------------------------------------
    def _rng(self, *stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed & 0xFFFFFFFF, *stream])

    def _calibrate(self) -> int:
        """Flights per day that make the day's busiest airborne count ``peak_airborne``."""
        n0 = 40_000
        p = self._airliner_plan(self._rng(1, 0), n0)
        take_off = p["start"] + p["t_park"] + p["t_taxi"]
        landing = take_off + p["t_climb"] + p["t_cruise"] + p["t_desc"]
        grid = np.arange(0, DAY_S, 600)
        up = np.sort(np.concatenate([take_off, take_off - DAY_S]))
        down = np.sort(np.concatenate([landing, landing - DAY_S]))
        airborne = np.searchsorted(up, grid, side="right") - np.searchsorted(down, grid, "right")
        return max(1, round(n0 * self.peak_airborne / max(1, int(airborne.max()))))

    def _airliner_plan(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        """Numeric plan of ``n`` airliner flights departing within one day (seconds from 0h)."""
        net = self._net
        route = rng.integers(0, len(net.r_origin), n)
        o, d = net.r_origin[route], net.r_dest[route]
        pick = rng.integers(0, 3, n) % net.r_ntypes[route]
        type_idx = net.r_types[route, pick]
        cat = net.type_cat[type_idx]
        dist_nm = net.r_dist_km[route] / KM_PER_NM

        local_hour = rng.choice(24, size=n, p=_HOUR_P)
        local_s = local_hour * 3600 + rng.integers(0, 3600, n)
        start = np.mod(local_s - np.round(net.ap_utc[o] * 3600), DAY_S).astype(np.int64)

        is_jet, is_tp = cat == JET, cat == TURBOPROP
        elev_o, elev_d = net.ap_elev[o], net.ap_elev[d]
        dist_km = dist_nm * KM_PER_NM
        jet_level = np.clip(18_000 + dist_km * 20, 18_000, 37_000)
        turboprop_level = np.clip(10_000 + dist_km * 15, 10_000, 25_000)
        piston_level = np.clip(5_000 + dist_km * 10, 5_000, 11_000)
        alt_c = np.select([is_jet, is_tp], [jet_level, turboprop_level], piston_level)
        alt_c = np.round((alt_c + rng.uniform(-2000, 2000, n)) / 1000) * 1000
        alt_c = np.maximum(alt_c, np.maximum(elev_o, elev_d) + 3000)
        vc = np.select([is_jet, is_tp], [rng.uniform(440, 490, n), rng.uniform(250, 290, n)],
                       rng.uniform(120, 170, n))  # fmt: skip
        v0 = np.select([is_jet, is_tp], [160.0, 130.0], 80.0)
        v1 = np.select([is_jet, is_tp], [145.0, 120.0], 75.0)
        rc = np.select([is_jet, is_tp], [rng.uniform(1800, 2600, n), rng.uniform(1200, 1800, n)],
                       rng.uniform(500, 800, n))  # fmt: skip
        rd = np.select([is_jet, is_tp], [rng.uniform(1500, 2200, n), rng.uniform(1000, 1500, n)],
                       rng.uniform(400, 700, n))  # fmt: skip

        # Short hops cannot reach the planned level: scale the climb and descent down.
        top = alt_c
        for _ in range(2):
            t_climb = (top - elev_o) / rc * 60
            t_desc = (top - elev_d) / rd * 60
            s_climb = (v0 + vc) / 2 * t_climb / 3600
            s_desc = (vc + v1) / 2 * t_desc / 3600
            k = np.minimum(1.0, dist_nm / (s_climb + s_desc))
            floor = np.maximum(elev_o, elev_d)
            top = np.where(k < 1.0, floor + (top - floor) * k * 0.98, top)
        s_cruise = np.maximum(0.0, dist_nm - s_climb - s_desc)
        t_cruise = s_cruise / vc * 3600
        return {
            "route": route, "type": type_idx, "o": o, "d": d, "cat": cat.astype(float),
            "start": start, "t_park": rng.uniform(120, 600, n), "t_taxi": rng.uniform(300, 1100, n),
            "t_climb": t_climb, "t_cruise": t_cruise, "t_desc": t_desc,
            "t_taxi_in": rng.uniform(180, 720, n), "t_park_in": rng.uniform(60, 300, n),
            "elev_o": elev_o, "elev_d": elev_d, "alt_top": top, "v0": v0, "vc": vc, "v1": v1,
            "rc": rc, "rd": rd, "wind": rng.uniform(-50, 60, n), "s_climb": s_climb,
            "s_cruise": s_cruise, "s_total": s_climb + s_cruise + s_desc,
            "taxi_kt": rng.uniform(8, 22, n),
        }  # fmt: skip

    def _schedule(self, day: int) -> _Schedule:
        cached = self._days.get(day)
        if cached is None:
            cached = self._build_schedule(day)
            self._days[day] = cached
            while len(self._days) > 3:
                self._days.popitem(last=False)
        return cached

    def _build_schedule(self, day: int) -> _Schedule:
        net = self._net
        rng = self._rng(2, day % (1 << 31))
        n_air = self._daily_flights
        n_veh = max(1, round(self.peak_airborne * VEHICLES_PER_PEAK))
        n_gl = max(1, round(self.peak_airborne * GLIDERS_PER_PEAK))
        n = n_air + n_veh + n_gl
        day0 = day * DAY_S
        p = self._airliner_plan(rng, n_air)

        num = {name: np.zeros(n) for name in _AIRLINER_NUM}
        a = slice(0, n_air)
        for name in ("cat", "t_climb", "t_cruise", "t_desc", "t_taxi_in", "elev_o", "elev_d",
                     "alt_top", "v0", "vc", "v1", "rc", "rd", "wind", "s_climb", "s_cruise",
                     "s_total", "taxi_kt"):  # fmt: skip
            num[name][a] = p[name]
        num["t_park"][a] = p["t_park"]
        num["t_taxi"][a] = p["t_taxi"]
        o, d = p["o"], p["d"]
        num["o"][a], num["d"][a] = o, d
        num["lat_o"][a], num["lon_o"][a] = net.ap_lat[o], net.ap_lon[o]
        num["lat_d"][a], num["lon_d"][a] = net.ap_lat[d], net.ap_lon[d]
        for key, spread in (("g_o", 0.006), ("r_o", 0.015), ("g_d", 0.006), ("r_d", 0.015)):
            num[f"{key}_lat"][a] = rng.uniform(-spread, spread, n_air)
            num[f"{key}_lon"][a] = rng.uniform(-spread, spread, n_air)

        kind = np.zeros(n, dtype=np.int8)
        kind[n_air : n_air + n_veh] = KIND_VEHICLE
        kind[n_air + n_veh :] = KIND_GLIDER
        start = np.zeros(n, dtype=np.int64)
        end = np.zeros(n, dtype=np.int64)
        start[a] = day0 + p["start"]
        end[a] = start[a] + np.ceil(
            p["t_park"] + p["t_taxi"] + p["t_climb"] + p["t_cruise"] + p["t_desc"]
            + p["t_taxi_in"] + p["t_park_in"]
        ).astype(np.int64)  # fmt: skip

        # Ground vehicles: hours-long shifts circling slowly around a busy airport.
        v = slice(n_air, n_air + n_veh)
        v_ap = net.busy_airports[rng.integers(0, len(net.busy_airports), n_veh)]
        start[v] = day0 + rng.integers(0, DAY_S, n_veh)
        end[v] = start[v] + rng.integers(3600, 10 * 3600, n_veh)
        num["c_lat"][v] = net.ap_lat[v_ap] + rng.uniform(-0.01, 0.01, n_veh)
        num["c_lon"][v] = net.ap_lon[v_ap] + rng.uniform(-0.01, 0.01, n_veh)
        num["radius"][v] = rng.uniform(0.002, 0.01, n_veh)
        num["v_kt"][v] = np.where(rng.random(n_veh) < 0.3, 0.0, rng.uniform(5, 25, n_veh))

        # Gliders: local afternoon flights thermalling near a mid-latitude airfield.
        g = slice(n_air + n_veh, n)
        g_ap = net.glider_airports[rng.integers(0, len(net.glider_airports), n_gl)]
        local_start = rng.uniform(10, 14, n_gl) * 3600
        start[g] = day0 + np.mod(local_start - net.ap_utc[g_ap] * 3600, DAY_S).astype(np.int64)
        end[g] = start[g] + rng.integers(3600, 5 * 3600, n_gl)
        num["c_lat"][g] = net.ap_lat[g_ap] + rng.uniform(-0.2, 0.2, n_gl)
        num["c_lon"][g] = net.ap_lon[g_ap] + rng.uniform(-0.2, 0.2, n_gl)
        num["radius"][g] = rng.uniform(0.02, 0.15, n_gl)
        num["v_kt"][g] = rng.uniform(40, 85, n_gl)
        num["alt_base"][g] = rng.uniform(2500, 5000, n_gl)
        num["alt_amp"][g] = rng.uniform(500, 2000, n_gl)
        num["omega_alt"][g] = 2 * np.pi / rng.uniform(600, 1800, n_gl)
        # Angular speed that makes the circle's ground speed v_kt (radius in degrees of lat).
        ground = slice(n_air, n)
        radius_nm = num["radius"][ground] * 60
        num["omega"][ground] = num["v_kt"][ground] / 3600 / np.maximum(radius_nm, 1e-6)
        num["phi"][ground] = rng.uniform(0, 2 * np.pi, n_veh + n_gl)

        text, source = self._identities(rng, day, p, n_air, n_veh, n_gl, v_ap, g_ap)
        return _Schedule(n=n, kind=kind, start=start, end=end, num=num, text=text, source=source)

    def _identities(
        self,
        rng: np.random.Generator,
        day: int,
        p: dict[str, np.ndarray],
        n_air: int,
        n_veh: int,
        n_gl: int,
        v_ap: np.ndarray,
        g_ap: np.ndarray,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Fixed strings per flight: ids, registration, type, numbers, route, squawk, radar.

        Built with numpy string arrays (one service day is ~100k flights at the default scale).
        """
        net = self._net
        n = n_air + n_veh + n_gl
        air, veh, gl = slice(0, n_air), slice(n_air, n_air + n_veh), slice(n_air + n_veh, n)
        counter = np.arange(n, dtype=np.uint64) + np.uint64(((day - 10_957) % 4096) << 20)
        ids = _fixed_digits(_mix32(counter, self.seed), 16, 8)
        icao24 = _fixed_digits(_mix32(counter, ~self.seed) & np.uint64(0xFFFFFF), 16, 6, True)
        letters = rng.integers(0, 26, (n, 4))
        numbers = rng.integers(0, 1_000_000, n)

        o, d = p["o"], p["d"]
        private = rng.random(n_air) < PRIVATE_RATE
        airline = np.where(private, -1, net.r_airline[p["route"]])
        has_airline = airline >= 0
        hidden = (rng.random(n_air) < HIDDEN_ROUTE_RATE) | (private & (rng.random(n_air) < 0.5))

        al_icao = np.array([*net.al_icao, ""])[airline]  # index -1 -> the trailing ""
        al_iata = np.array([*net.al_iata, ""])[airline]
        ap_iata, ap_icao = np.array(net.ap_iata), np.array(net.ap_icao)
        ap_prefix = np.array(net.ap_prefix)

        prefix = np.full(n, "D-", dtype="<U4")
        prefix[air] = np.where(
            has_airline,
            np.array([*net.al_prefix, ""])[airline],
            np.where(ap_prefix[o] == "", "N", ap_prefix[o]),
        )
        prefix[gl] = np.where(ap_prefix[g_ap] == "", "D-", ap_prefix[g_ap])
        regs = _registrations(prefix, letters, numbers)
        regs[veh] = ""
        plain_reg = np.char.replace(regs, "-", "")

        # Same route, same time bank -> the same flight number on every day.
        bank = p["start"] // 10_800
        flight_no = (_mix32(p["route"].astype(np.uint64) * 8 + bank, 7) % 4000 + 1).astype(str)
        number = np.full(n, "", dtype="<U8")
        number[air] = np.where(al_iata != "", np.char.add(al_iata, flight_no), "")
        callsign = np.array(plain_reg, dtype="<U10")
        callsign[air] = np.where(has_airline, np.char.add(al_icao, flight_no), plain_reg[air])
        vehicle_names = np.array(_VEHICLE_CALLSIGNS)[numbers[veh] % len(_VEHICLE_CALLSIGNS)]
        callsign[veh] = np.char.add(vehicle_names, (numbers[veh] % 20 + 1).astype(str))
        callsign[gl] = np.where(numbers[gl] % 3 == 0, "", plain_reg[gl])
        airline_out = np.full(n, "", dtype="<U3")
        airline_out[air] = al_icao
        types = np.full(n, "GLID", dtype="<U4")
        types[air] = np.array(net.types)[p["type"]]
        types[veh] = "GRND"
        origin = np.full(n, "", dtype="<U3")
        dest = np.full(n, "", dtype="<U3")
        origin[air] = np.where(hidden, "", ap_iata[o])
        dest[air] = np.where(hidden, "", ap_iata[d])

        # Unknown fields: decided per flight, so a flight is consistently unknown.
        is_air = np.zeros(n, dtype=bool)
        is_air[air] = True
        regs[is_air & (rng.random(n) < NO_REGISTRATION_RATE)] = ""
        types[is_air & (rng.random(n) < NO_TYPE_RATE)] = ""
        callsign[is_air & (rng.random(n) < NO_CALLSIGN_RATE)] = ""
        squawk = _fixed_digits(rng.integers(0, 8**4, n), 8, 4)
        squawk[~is_air | (rng.random(n) < NO_SQUAWK_RATE)] = ""

        # Radar / source category; the receiver names the airport it sits at.
        r = rng.random(n)
        long_haul = np.zeros(n, dtype=bool)
        long_haul[air] = net.r_dist_km[p["route"]] > 4000
        source = np.select(
            [r < 0.08, r < 0.10, (r < 0.16) & long_haul], [MLAT, ESTIMATED, SATELLITE], ADSB
        )
        source[veh] = OTHER
        source[gl] = FLARM
        unit = rng.integers(1, 10, n).astype(str)
        near_a = np.full(n, "XXXX", dtype="<U4")
        near_b = np.full(n, "XXXX", dtype="<U4")
        near_a[air], near_b[air] = ap_icao[o], ap_icao[d]
        near_a[veh] = near_b[veh] = ap_icao[v_ap]
        near_a = np.where(near_a == "", "XXXX", near_a)
        near_b = np.where(near_b == "", "XXXX", near_b)
        by_source = {
            MLAT: np.char.add("T-MLAT", unit),
            ESTIMATED: np.full(n, "T-EST"),
            SATELLITE: np.char.add("T-SAT", unit),
            FLARM: np.char.add("F-FLARM", unit),
        }
        radar_a = np.char.add(np.char.add("F-", near_a), unit).astype("<U12")
        radar_b = np.char.add(np.char.add("F-", near_b), unit).astype("<U12")
        for code, names in by_source.items():
            radar_a = np.where(source == code, names, radar_a)
            radar_b = np.where(source == code, names, radar_b)

        columns = {
            "id": ids, "icao24": icao24, "reg": regs, "type": types, "number": number,
            "callsign": callsign, "airline": airline_out, "origin": origin, "dest": dest,
            "squawk": squawk, "radar_a": radar_a, "radar_b": radar_b,
        }  # fmt: skip
        # Object arrays: a snapshot gathers its live flights' strings with one fancy index.
        return {name: values.astype(object) for name, values in columns.items()}, source

    # ---- one instant --------------------------------------------------------------------
    def _render(self, now: int) -> Traffic:
        day = now // DAY_S
        parts = []
        for sched in (self._schedule(day - 1), self._schedule(day)):
            idx = np.flatnonzero((sched.start <= now) & (now < sched.end))
            parts.append((sched, idx))
        rng = self._rng(3, now % (1 << 62))
        n = sum(len(idx) for _, idx in parts)

        def col(name: str) -> np.ndarray:
            return np.concatenate([s.num[name][i] for s, i in parts])

        def text(name: str) -> list[str]:
            return list(np.concatenate([s.text[name][i] for s, i in parts]).tolist())

        kind = np.concatenate([s.kind[i] for s, i in parts])
        start = np.concatenate([s.start[i] for s, i in parts])
        source = np.concatenate([s.source[i] for s, i in parts])
        lag = np.minimum(rng.exponential(6.0, n), 90).astype(np.int64)
        pos_time = np.maximum(now - lag, start)
        e = (pos_time - start).astype(float)

        lat = np.zeros(n)
        lon = np.zeros(n)
        heading = np.zeros(n)
        alt = np.zeros(n)
        speed = np.zeros(n)
        vspeed = np.zeros(n)
        on_ground = np.zeros(n, dtype=np.int64)
        phase = np.zeros(n, dtype=np.int8)

        air = kind == KIND_AIRLINER
        if air.any():
            self._airliners(col, air, e, lat, lon, heading, alt, speed, vspeed, on_ground, phase)
        circling = ~air
        if circling.any():
            self._circlers(col, kind, circling, e, lat, lon, heading, alt, speed, vspeed, phase)
            on_ground[kind == KIND_VEHICLE] = 1

        # Radar: the departure side's receiver for the first half of the trip, then arrival.
        progress_second_half = phase >= DESCENT
        radar_a, radar_b = text("radar_a"), text("radar_b")
        second = progress_second_half.tolist()
        radar = [b if s else a for a, b, s in zip(radar_a, radar_b, second, strict=True)]

        out_lat = np.round(lat, 4)
        out_lon = np.round(lon, 4)
        out_heading = np.mod(np.round(heading), 360).astype(np.int64)
        out_alt = (np.round(alt / 25) * 25).astype(np.int64)
        out_speed = np.round(speed).astype(np.int64)
        out_vs = (np.round(vspeed / 64) * 64).astype(np.int64)

        # Glitches: rare readings out of range; the true position still files the flight.
        g = rng.random((4, n))
        bad = g[0] < GLITCH_RATE["altitude"]
        out_alt[bad] = np.where(rng.random(int(bad.sum())) < 0.5, 99_999, -5_000)
        bad = g[1] < GLITCH_RATE["speed"]
        out_speed[bad] = rng.integers(1_300, 4_000, int(bad.sum()))
        bad = g[2] < GLITCH_RATE["heading"]
        out_heading[bad] = rng.integers(361, 720, int(bad.sum()))
        bad = g[3] < GLITCH_RATE["position"]
        k = int(bad.sum())
        which = rng.random(k) < 0.5
        sign = np.where(rng.random(k) < 0.5, -1.0, 1.0)
        out_lat[bad] = np.where(which, sign * np.round(rng.uniform(90.5, 99, k), 4), out_lat[bad])
        out_lon[bad] = np.where(
            ~which, sign * np.round(rng.uniform(180.5, 199, k), 4), out_lon[bad]
        )

        squawk, types, regs = text("squawk"), text("type"), text("reg")
        origin, dest, callsign = text("origin"), text("dest"), text("callsign")
        # A rare "N/A" in one of the text fields.
        na = np.flatnonzero(rng.random(n) < NA_RATE).tolist()
        na_field = rng.integers(0, 6, len(na)).tolist()
        for i, f in zip(na, na_field, strict=True):
            (squawk, types, regs, origin, dest, callsign)[f][i] = "N/A"

        glider = (kind == KIND_GLIDER).astype(np.int64).tolist()
        rows = list(
            map(
                list,
                zip(
                    text("icao24"),
                    out_lat.tolist(),
                    out_lon.tolist(),
                    out_heading.tolist(),
                    out_alt.tolist(),
                    out_speed.tolist(),
                    squawk,
                    radar,
                    types,
                    regs,
                    pos_time.tolist(),
                    origin,
                    dest,
                    text("number"),
                    on_ground.tolist(),
                    out_vs.tolist(),
                    callsign,
                    glider,
                    text("airline"),
                    strict=True,
                ),
            )
        )
        return Traffic(
            time=now,
            ids=text("id"),
            rows=rows,
            latitude=lat,
            longitude=lon,
            phase=phase,
            kind=kind,
            source=source,
        )

    @staticmethod
    def _airliners(
        col: Any,
        mask: np.ndarray,
        e_all: np.ndarray,
        lat: np.ndarray,
        lon: np.ndarray,
        heading: np.ndarray,
        alt: np.ndarray,
        speed: np.ndarray,
        vspeed: np.ndarray,
        on_ground: np.ndarray,
        phase: np.ndarray,
    ) -> None:
        def c(name: str) -> np.ndarray:
            return col(name)[mask]

        e = e_all[mask]
        t_park, t_taxi = c("t_park"), c("t_taxi")
        t_climb, t_cruise, t_desc = c("t_climb"), c("t_cruise"), c("t_desc")
        t_taxi_in = c("t_taxi_in")
        v0, vc, v1, rc, rd = c("v0"), c("vc"), c("v1"), c("rc"), c("rd")
        top, elev_o, elev_d = c("alt_top"), c("elev_o"), c("elev_d")
        s_climb, s_cruise, s_total = c("s_climb"), c("s_cruise"), c("s_total")
        lat_o, lon_o, lat_d, lon_d = c("lat_o"), c("lon_o"), c("lat_d"), c("lon_d")

        t1 = t_park
        t2 = t1 + t_taxi
        t3 = t2 + t_climb
        t4 = t3 + t_cruise
        t5 = t4 + t_desc
        t6 = t5 + t_taxi_in
        ph = np.select(
            [e < t1, e < t2, e < t3, e < t4, e < t5, e < t6],
            [GATE, TAXI, CLIMB, CRUISE, DESCENT, TAXI],
            GATE,
        )
        arrived = e >= t5

        # Along-track distance (nm) and speed through the airborne phases.
        a = np.clip(e - t2, 0, None)
        ac = np.minimum(a, t_climb)
        climb_t = np.maximum(t_climb, 1e-9)
        s = v0 * ac / 3600 + (vc - v0) * ac**2 / (2 * climb_t) / 3600
        gs = v0 + (vc - v0) * ac / climb_t
        cr = np.clip(a - t_climb, 0, t_cruise)
        s = np.where(a > t_climb, s_climb + vc * cr / 3600, s)
        b = np.clip(a - t_climb - t_cruise, 0, t_desc)
        desc_t = np.maximum(t_desc, 1e-9)
        s_desc = vc * b / 3600 - (vc - v1) * b**2 / (2 * desc_t) / 3600
        s = np.where(a > t_climb + t_cruise, s_climb + s_cruise + s_desc, s)
        gs = np.where(
            a > t_climb, np.where(a > t_climb + t_cruise, vc - (vc - v1) * b / desc_t, vc), gs
        )
        f = np.clip(s / np.maximum(s_total, 1e-9), 0, 1)

        altitude = np.select(
            [ph == CLIMB, ph == CRUISE, ph == DESCENT],
            [elev_o + (top - elev_o) * ac / climb_t, top, top - (top - elev_d) * b / desc_t],
            0.0,
        )
        vs = np.select([ph == CLIMB, ph == DESCENT], [rc, -rd], 0.0)
        gs = gs + c("wind") * np.clip(altitude / 30_000, 0, 1)

        # Great circle by spherical interpolation; heading from the path's tangent.
        p1, l1, p2, l2 = (np.radians(x) for x in (lat_o, lon_o, lat_d, lon_d))
        A = np.stack([np.cos(p1) * np.cos(l1), np.cos(p1) * np.sin(l1), np.sin(p1)])
        B = np.stack([np.cos(p2) * np.cos(l2), np.cos(p2) * np.sin(l2), np.sin(p2)])
        omega = np.arccos(np.clip((A * B).sum(axis=0), -1, 1))
        sin_o = np.maximum(np.sin(omega), 1e-12)
        P = (np.sin((1 - f) * omega) * A + np.sin(f * omega) * B) / sin_o
        T = (-np.cos((1 - f) * omega) * A + np.cos(f * omega) * B) / sin_o
        plat = np.arcsin(np.clip(P[2], -1, 1))
        plon = np.arctan2(P[1], P[0])
        east = np.stack([-np.sin(plon), np.cos(plon), np.zeros_like(plon)])
        north = np.stack([-np.sin(plat) * np.cos(plon), -np.sin(plat) * np.sin(plon), np.cos(plat)])
        hdg = np.degrees(np.arctan2((T * east).sum(axis=0), (T * north).sum(axis=0)))

        # On the ground: parked at a gate, or taxiing between gate and runway.
        at_dest = arrived
        base_lat = np.where(at_dest, lat_d, lat_o)
        base_lon = np.where(at_dest, lon_d, lon_o)
        gate_lat = np.where(at_dest, c("g_d_lat"), c("g_o_lat"))
        gate_lon = np.where(at_dest, c("g_d_lon"), c("g_o_lon"))
        rwy_lat = np.where(at_dest, c("r_d_lat"), c("r_o_lat"))
        rwy_lon = np.where(at_dest, c("r_d_lon"), c("r_o_lon"))
        # Outbound: gate -> runway; inbound: runway -> gate.
        u = np.where(at_dest, np.clip((e - t5) / np.maximum(t_taxi_in, 1), 0, 1),
                     np.clip((e - t1) / np.maximum(t_taxi, 1), 0, 1))  # fmt: skip
        frac = np.where(at_dest, 1 - u, u)  # 0 at the gate, 1 at the runway
        glat = base_lat + gate_lat + (rwy_lat - gate_lat) * frac
        glon = base_lon + gate_lon + (rwy_lon - gate_lon) * frac
        toward = np.degrees(np.arctan2(
            (rwy_lon - gate_lon) * np.cos(np.radians(base_lat)), rwy_lat - gate_lat))  # fmt: skip
        ghdg = np.where(at_dest, toward + 180, toward)
        gspeed = np.where(ph == TAXI, c("taxi_kt"), 0.0)

        grounded = (ph == GATE) | (ph == TAXI)
        lat[mask] = np.where(grounded, glat, np.degrees(plat))
        lon[mask] = np.where(grounded, glon, np.degrees(plon))
        heading[mask] = np.mod(np.where(grounded, ghdg, hdg), 360)
        alt[mask] = np.where(grounded, 0.0, altitude)
        speed[mask] = np.where(grounded, gspeed, gs)
        vspeed[mask] = np.where(grounded, 0.0, vs)
        on_ground[mask] = grounded.astype(np.int64)
        phase[mask] = ph

    @staticmethod
    def _circlers(
        col: Any,
        kind: np.ndarray,
        mask: np.ndarray,
        e_all: np.ndarray,
        lat: np.ndarray,
        lon: np.ndarray,
        heading: np.ndarray,
        alt: np.ndarray,
        speed: np.ndarray,
        vspeed: np.ndarray,
        phase: np.ndarray,
    ) -> None:
        def c(name: str) -> np.ndarray:
            return col(name)[mask]

        e = e_all[mask]
        angle = c("phi") + c("omega") * e
        radius = c("radius")
        c_lat = c("c_lat")
        lat_v = c_lat + radius * np.sin(angle)
        lon_v = c("c_lon") + radius * np.cos(angle) / np.maximum(np.cos(np.radians(c_lat)), 0.05)
        lat[mask] = np.clip(lat_v, -89.9, 89.9)
        lon[mask] = (lon_v + 180) % 360 - 180
        # Counter-clockwise motion: heading is the tangent, 90 degrees left of the radius.
        heading[mask] = np.mod(np.degrees(np.arctan2(-np.sin(angle), np.cos(angle))) - 0, 360)
        is_glider = kind[mask] == KIND_GLIDER
        w = c("omega_alt")
        alt[mask] = np.where(is_glider, c("alt_base") + c("alt_amp") * np.sin(w * e), 0.0)
        vspeed[mask] = np.where(is_glider, c("alt_amp") * w * np.cos(w * e) * 60, 0.0)
        speed[mask] = c("v_kt")
        phase[mask] = np.where(is_glider, GLIDER, VEHICLE)


@dataclass(frozen=True)
class Traffic:
    """All flights at one instant: FR24 ids and rows, plus the truth behind them.

    ``latitude``/``longitude`` are the true positions (what bounds queries match), ``phase``
    indexes ``PHASES``, ``kind`` is airliner/vehicle/glider, ``source`` indexes ``STAT_KEYS``.
    ``rows`` are shared: treat them as read-only.
    """

    time: int
    ids: list[str]
    rows: list[list[Any]]
    latitude: np.ndarray
    longitude: np.ndarray
    phase: np.ndarray
    kind: np.ndarray
    source: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def select(self, north: float, south: float, west: float, east: float) -> np.ndarray:
        """Indexes of the flights inside the bounds (inclusive on every edge)."""
        lat, lon = self.latitude, self.longitude
        inside = (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
        return np.flatnonzero(inside)

    def body(self, selected: np.ndarray, cap: int) -> bytes:
        """A live-feed body for the selected flights: the first ``cap`` of them are included."""
        if cap < 0:
            raise ValueError("cap must be >= 0")
        shown = selected[:cap].tolist()
        doc: dict[str, Any] = {"full_count": len(selected), "version": FEED_VERSION}
        ids, rows = self.ids, self.rows
        for i in shown:
            doc[ids[i]] = rows[i]
        total = np.bincount(self.source, minlength=len(STAT_KEYS)).tolist()
        visible = np.bincount(self.source[selected], minlength=len(STAT_KEYS)).tolist()
        doc["stats"] = {
            "total": dict(zip(STAT_KEYS, total, strict=True)),
            "visible": dict(zip(STAT_KEYS, visible, strict=True)),
        }
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")


@lru_cache(maxsize=4)
def get_simulator(seed: int, peak_airborne: int) -> Simulator:
    """A process-wide simulator per (seed, scale): start-up reads the reference files once."""
    return Simulator(seed, peak_airborne)


@lru_cache(maxsize=1)
def simulator_version() -> str:
    """The project's version, which versions the simulator that wrote a bronze object."""
    try:
        return metadata.version("flights-lakehouse")
    except metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        with pyproject.open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
