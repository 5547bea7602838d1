"""The traffic simulator: deterministic, FR24-shaped, physically plausible, and dirty enough."""

from __future__ import annotations

import json
import math
import re
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lakehouse.bronze.simulator import (
    CLIMB,
    CRUISE,
    DESCENT,
    GATE,
    KIND_AIRLINER,
    TAXI,
    Simulator,
    get_simulator,
)

NOON = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
HEX_ID = re.compile(r"^[0-9a-f]{8}$")


@pytest.fixture(scope="module")
def small() -> Simulator:
    return get_simulator(7, 2000)


@pytest.fixture(scope="module")
def full() -> Simulator:
    return get_simulator(42, 12_000)


def flights(body: bytes) -> dict[str, list[object]]:
    return {
        k: v for k, v in json.loads(body).items() if k not in ("full_count", "version", "stats")
    }


def column(sim: Simulator, t: datetime, index: int) -> np.ndarray:
    return np.array([row[index] for row in sim.flights_at(t).rows])


def test_same_seed_and_time_give_identical_bytes_across_instances() -> None:
    a, b = Simulator(3, 500), Simulator(3, 500)
    assert a.body_for_bounds(NOON, None, 10**6) == b.body_for_bounds(NOON, None, 10**6)
    assert a.body_for_bounds(NOON, "60,30,-20,40", 50) == b.body_for_bounds(
        NOON, "60,30,-20,40", 50
    )
    other = Simulator(4, 500).body_for_bounds(NOON, None, 10**6)
    assert other != a.body_for_bounds(NOON, None, 10**6)


def test_unix_seconds_and_datetime_are_the_same_instant(small: Simulator) -> None:
    assert small.body_for_bounds(NOON.timestamp()) == small.body_for_bounds(NOON)
    with pytest.raises(ValueError, match="naive"):
        small.flights_at(datetime(2025, 9, 20, 12, 0))


def test_body_has_fr24_shape(small: Simulator) -> None:
    doc = json.loads(small.body_for_bounds(NOON, None, 10**6))
    keys = list(doc)
    assert keys[:2] == ["full_count", "version"] and keys[-1] == "stats"
    assert doc["version"] == 4
    assert set(doc["stats"]) == {"total", "visible"}
    entries = flights(small.body_for_bounds(NOON, None, 10**6))
    assert doc["full_count"] == len(entries) == len(small.flights_at(NOON))
    for row in entries.values():
        assert len(row) == 19
        assert isinstance(row[0], str) and isinstance(row[1], float) and isinstance(row[2], float)
        assert all(isinstance(row[i], int) for i in (3, 4, 5, 10, 14, 15, 17))
        assert all(isinstance(row[i], str) for i in (6, 7, 8, 9, 11, 12, 13, 16, 18))
        assert row[14] in (0, 1) and row[17] in (0, 1)


def test_ids_are_unique_fr24_hex_and_some_start_with_a_letter(small: Simulator) -> None:
    ids = small.flights_at(NOON).ids
    assert all(HEX_ID.match(i) for i in ids)
    assert len(set(ids)) == len(ids)
    letters = sum(1 for i in ids if i[0] in "abcdef")
    assert 0.25 < letters / len(ids) < 0.5


def test_bounds_and_cap_set_full_count_and_content(small: Simulator) -> None:
    traffic = small.flights_at(NOON)
    inside = (
        (traffic.latitude >= 30) & (traffic.latitude <= 60)
        & (traffic.longitude >= -20) & (traffic.longitude <= 40)
    )  # fmt: skip
    expected = {traffic.ids[i] for i in np.flatnonzero(inside)}
    doc = json.loads(small.body_for_bounds(NOON, "60,30,-20,40", 10**6))
    assert doc["full_count"] == len(expected) > 20
    assert set(flights(small.body_for_bounds(NOON, "60,30,-20,40", 10**6))) == expected
    capped = small.body_for_bounds(NOON, "60,30,-20,40", 20)
    assert json.loads(capped)["full_count"] == len(expected)
    assert len(flights(capped)) == 20 and set(flights(capped)) <= expected
    assert flights(small.body_for_bounds(NOON, "60,30,-20,40", 0)) == {}


def test_a_flight_keeps_its_identity_across_snapshots(small: Simulator) -> None:
    later = NOON + timedelta(minutes=15)
    now_rows = dict(zip(small.flights_at(NOON).ids, small.flights_at(NOON).rows, strict=True))
    later_rows = dict(zip(small.flights_at(later).ids, small.flights_at(later).rows, strict=True))
    common = set(now_rows) & set(later_rows)
    assert len(common) > 0.8 * len(now_rows)
    fixed = (0, 8, 9, 11, 12, 13, 16, 18)  # icao24, type, reg, route, number, callsign, airline
    changed = 0
    for fid in common:
        a, b = now_rows[fid], later_rows[fid]
        if "N/A" in a or "N/A" in b:
            continue  # a rare per-observation N/A
        assert [a[i] for i in fixed] == [b[i] for i in fixed]
        changed += a[10] != b[10]
    assert changed > 0.9 * len(common)  # position time moves on


def test_flights_cross_midnight_utc(small: Simulator) -> None:
    before = datetime(2025, 9, 20, 23, 50, tzinfo=UTC)
    after = datetime(2025, 9, 21, 0, 10, tzinfo=UTC)
    crossing = set(small.flights_at(before).ids) & set(small.flights_at(after).ids)
    assert len(crossing) > 100


def test_phases_are_physically_plausible(full: Simulator) -> None:
    traffic = full.flights_at(NOON)
    phase = traffic.phase
    alt, speed = column(full, NOON, 4), column(full, NOON, 5)
    vs, ground = column(full, NOON, 15), column(full, NOON, 14)
    ok = (alt >= -2000) & (alt <= 60_000) & (speed <= 1200)  # leave the glitches aside
    grounded = np.isin(phase, [GATE, TAXI])
    assert (ground[grounded] == 1).all() and (alt[grounded & ok] == 0).all()
    assert (speed[grounded & ok] <= 40).all()
    assert (speed[(phase == GATE) & ok] == 0).all()
    airborne = np.isin(phase, [CLIMB, CRUISE, DESCENT])
    assert (ground[airborne] == 0).all()
    cruise = (phase == CRUISE) & ok
    assert np.percentile(alt[cruise], 5) >= 15_000 and alt[cruise].max() <= 41_000
    assert 420 <= np.median(speed[cruise]) <= 520
    assert (vs[phase == CLIMB] > 0).all() and (vs[phase == DESCENT] < 0).all()
    assert (vs[phase == CRUISE] == 0).all()
    # Airliners dominate; every phase is populated.
    assert (traffic.kind == KIND_AIRLINER).mean() > 0.95
    assert set(np.unique(phase)) >= {GATE, TAXI, CLIMB, CRUISE, DESCENT}


def test_motion_follows_reported_ground_speed(small: Simulator) -> None:
    a, b = small.flights_at(NOON), small.flights_at(NOON + timedelta(minutes=1))
    where = {fid: i for i, fid in enumerate(b.ids)}
    ratios = []
    for i, fid in enumerate(a.ids):
        j = where.get(fid)
        if j is None or a.phase[i] != CRUISE or b.phase[j] != CRUISE:
            continue
        dt = b.rows[j][10] - a.rows[i][10]
        if dt <= 0 or not 100 < a.rows[i][5] < 1200:
            continue
        p1, p2 = math.radians(a.latitude[i]), math.radians(b.latitude[j])
        dl = math.radians(b.longitude[j] - a.longitude[i])
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        nm = 2 * 6371.0088 * math.asin(math.sqrt(h)) / 1.852
        ratios.append(nm / (dt / 3600) / a.rows[i][5])
    assert len(ratios) > 500
    assert 0.95 < float(np.median(ratios)) < 1.05


def test_dirt_is_present_at_a_low_rate(full: Simulator) -> None:
    rows = full.flights_at(NOON).rows
    n = len(rows)
    bad_alt = sum(1 for r in rows if not -2000 <= r[4] <= 60_000)
    bad_speed = sum(1 for r in rows if not 0 <= r[5] <= 1200)
    bad_heading = sum(1 for r in rows if not 0 <= r[3] <= 360)
    bad_position = sum(1 for r in rows if not (-90 <= r[1] <= 90 and -180 <= r[2] <= 180))
    for count in (bad_alt, bad_speed, bad_heading, bad_position):
        assert 0 < count < 0.005 * n
    na = sum(1 for r in rows if "N/A" in r)
    assert 0 < na < 0.005 * n
    no_airline = sum(1 for r in rows if r[18] == "")
    no_route = sum(1 for r in rows if r[11] == "" and r[12] == "")
    assert 0.02 * n < no_airline < 0.15 * n and 0.02 * n < no_route < 0.15 * n
    assert 0 < sum(1 for r in rows if r[6] == "") < 0.3 * n  # squawk unknown
    vehicles = [r for r in rows if r[8] == "GRND"]
    gliders = [r for r in rows if r[17] == 1]
    assert vehicles and all(r[14] == 1 and r[11] == "" for r in vehicles)
    assert gliders and all(r[8] == "GLID" and r[14] == 0 for r in gliders)


def test_scale_parameter_sets_the_peak_airborne_count() -> None:
    sim = Simulator(11, 600)
    airborne = []
    for hour in range(0, 24, 2):
        traffic = sim.flights_at(NOON.replace(hour=hour))
        airborne.append(int(np.isin(traffic.phase, [CLIMB, CRUISE, DESCENT]).sum()))
    assert 500 <= max(airborne) <= 700
    assert min(airborne) < max(airborne)  # a daily rhythm


def test_a_default_scale_snapshot_renders_in_well_under_two_seconds(full: Simulator) -> None:
    t = NOON + timedelta(minutes=45)  # same service days as NOON: schedules are warm
    started = time.process_time()
    body = full.body_for_bounds(t, None, 10**6)
    spent = time.process_time() - started
    assert json.loads(body)["full_count"] > 12_000
    assert spent < 2.0, f"rendering took {spent:.2f}s of CPU"
