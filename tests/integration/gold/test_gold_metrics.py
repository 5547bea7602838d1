"""Each gold table against the plain-Python oracle, one contract rule per test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import gold_oracle as oracle
import pytest
from gold_oracle import obs

from lakehouse.gold.refresh import refresh_gold

pytestmark = pytest.mark.integration

D1, D2 = date(2025, 9, 20), date(2025, 9, 21)


def test_flight_counts_on_the_date_of_its_earliest_observation_also_after_midnight(
    settings, silver, gold_now
):
    rows = [
        obs("f1", "2025-09-20 23:50", "AMS", "JFK", "KLM", 480),
        obs("f1", "2025-09-21 00:10", "AMS", "JFK", "KLM", 500),  # after midnight: still D1
        obs("f1", "2025-09-21 07:40", "AMS", "JFK", "KLM", 140),
        obs("f2", "2025-09-21 00:00", "AMS", "JFK", "KLM", 300),  # boundary: exactly midnight
    ]
    silver.sync(rows)
    refresh_gold(settings)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert ("AMS", D1, 1, 0, 1) in gold["daily_flight_counts"]
    assert ("AMS", D2, 1, 0, 1) in gold["daily_flight_counts"]
    # all three of f1's observations, including those on D2, count on D1
    assert ("KLM", D1, Decimal("373.33"), 3, 1) in gold["average_speed_by_airline"]


def test_origin_destination_and_airline_are_the_latest_known_values(settings, silver, gold_now):
    rows = [
        obs("f1", "2025-09-20 10:00", "AMS", None, "KLM", 400),
        obs("f1", "2025-09-20 10:15", "LHR", "JFK", None, 410),  # origin corrected later
        obs("f1", "2025-09-20 10:30", None, None, None, 420),  # latest row knows nothing
        obs("f2", "2025-09-20 11:00", None, None, None, 300),  # never known: null everywhere
    ]
    silver.sync(rows)
    refresh_gold(settings)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert gold["flights"] == {
        ("f1", D1, "LHR", "JFK", "KLM"),
        ("f2", D1, None, None, None),
    }
    # f2 counts nowhere: no origin, no destination, no airline
    assert gold["daily_flight_counts"] == {("LHR", D1, 1, 0, 1), ("JFK", D1, 0, 1, 1)}
    assert gold["average_speed_by_airline"] == {("KLM", D1, Decimal("410.00"), 3, 1)}
    assert gold["busiest_routes"] == {("LHR", "JFK", D1, 1, 1)}


def test_unknown_origin_or_destination_counts_only_on_the_known_side(settings, silver, gold_now):
    rows = [
        obs("f1", "2025-09-20 10:00", "AMS", None, "KLM", 400),
        obs("f2", "2025-09-20 10:00", None, "AMS", "KLM", 400),
        obs("f3", "2025-09-20 10:00", "ZZZ", "AMS", None, 400),  # ZZZ is in no dimension
    ]
    silver.sync(rows)
    refresh_gold(settings)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert gold["daily_flight_counts"] == {("AMS", D1, 1, 2, 3), ("ZZZ", D1, 1, 0, 1)}
    assert gold["busiest_routes"] == {("ZZZ", "AMS", D1, 1, 1)}


def test_a_round_trip_flight_counts_as_departure_and_arrival(settings, silver, gold_now):
    silver.sync([obs("f1", "2025-09-20 10:00", "AMS", "AMS", "KLM", 200)])
    refresh_gold(settings)
    assert gold_now()["daily_flight_counts"] == {("AMS", D1, 1, 1, 2)}


def test_average_speed_uses_only_airborne_observations_with_a_speed(settings, silver, gold_now):
    rows = [
        obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 15, on_ground=1),  # taxiing
        obs("f1", "2025-09-20 10:10", "AMS", "JFK", "KLM", None),  # speed nulled by silver
        obs("f1", "2025-09-20 10:20", "AMS", "JFK", "KLM", 451, on_ground=None),  # unknown
        obs("f1", "2025-09-20 10:30", "AMS", "JFK", "KLM", 0),  # boundary: 0 kt airborne
        obs("f1", "2025-09-20 10:40", "AMS", "JFK", "KLM", 1200),  # boundary: max speed
        obs("f1", "2025-09-20 10:50", "AMS", "JFK", "KLM", 1),
        obs("f2", "2025-09-20 11:00", "AMS", "JFK", "DLH", 10, on_ground=1),  # ground only
    ]
    silver.sync(rows)
    refresh_gold(settings)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    # (0 + 1200 + 1) / 3 = 400.333.. ; DLH has no airborne observation, so no row
    assert gold["average_speed_by_airline"] == {("KLM", D1, Decimal("400.33"), 3, 1)}


def test_average_speed_rounds_half_away_from_zero(settings, silver, gold_now):
    speeds = [100, 100, 100, 100, 100, 100, 100, 101]  # 801 / 8 = 100.125 -> 100.13
    rows = [
        obs(f"f{i}", f"2025-09-20 10:{i:02d}", "AMS", "JFK", "KLM", s) for i, s in enumerate(speeds)
    ]
    silver.sync(rows)
    refresh_gold(settings)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert gold["average_speed_by_airline"] == {("KLM", D1, Decimal("100.13"), 8, 8)}


def test_route_rank_breaks_ties_by_origin_then_destination(settings, silver, gold_now):
    def flight(fid: str, origin: str, destination: str) -> oracle.Obs:
        return obs(fid, "2025-09-20 12:00", origin, destination, "KLM", 400)

    rows = [
        flight("a1", "LHR", "JFK"),
        flight("a2", "LHR", "JFK"),  # 2 flights
        flight("b1", "AMS", "JFK"),  # 1 flight, tie: AMS < CDG < LHR by origin
        flight("c1", "CDG", "JFK"),
        flight("d1", "AMS", "BOS"),  # same origin as b: BOS < JFK by destination
        flight("e1", "ams", "JFK"),
        flight("e2", "ams", "JFK"),  # tie on 2: "LHR" < "ams" bytewise
    ]
    silver.sync(rows)
    refresh_gold(settings)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    ranked = sorted(gold["busiest_routes"], key=lambda r: r[4])
    assert [(r[0], r[1], r[3], r[4]) for r in ranked] == [
        ("LHR", "JFK", 2, 1),
        ("ams", "JFK", 2, 2),
        ("AMS", "BOS", 1, 3),
        ("AMS", "JFK", 1, 4),
        ("CDG", "JFK", 1, 5),
    ]


def test_routes_rank_separately_per_day(settings, silver, gold_now):
    rows = [
        obs("f1", "2025-09-20 12:00", "AMS", "JFK"),
        obs("f2", "2025-09-21 12:00", "CDG", "JFK"),
        obs("f3", "2025-09-21 13:00", "CDG", "JFK"),
        obs("f4", "2025-09-21 14:00", "AMS", "JFK"),
    ]
    silver.sync(rows)
    refresh_gold(settings)
    assert gold_now()["busiest_routes"] == {
        ("AMS", "JFK", D1, 1, 1),
        ("CDG", "JFK", D2, 2, 1),
        ("AMS", "JFK", D2, 1, 2),
    }


def test_worked_example_in_the_metrics_docs(settings, silver, gold_now):
    """The rows and results shown in docs/metrics.md, kept true by this test."""
    silver.sync(
        [
            obs("a1", "2025-09-20 23:40", "AMS", "JFK", "KLM", 450),
            obs("a1", "2025-09-21 00:10", "AMS", "JFK", "KLM", 470),
            obs("b2", "2025-09-20 08:00", "AMS", None, "KLM", 12, on_ground=1),
            obs("b2", "2025-09-20 08:30", "AMS", "LHR", "KLM", 300),
            obs("b2", "2025-09-20 09:00", None, None, "KLM", 280),
            obs("c3", "2025-09-20 10:00", "CDG", "JFK", "AFR", 480),
            obs("d4", "2025-09-20 11:00", None, "JFK", None, 500),
            obs("e5", "2025-09-20 12:00", "AMS", "LHR", None, None),
        ]
    )
    refresh_gold(settings)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert gold["daily_flight_counts"] == {
        ("AMS", D1, 3, 0, 3),
        ("CDG", D1, 1, 0, 1),
        ("JFK", D1, 0, 3, 3),
        ("LHR", D1, 0, 2, 2),
    }
    assert gold["average_speed_by_airline"] == {
        ("AFR", D1, Decimal("480.00"), 1, 1),
        ("KLM", D1, Decimal("375.00"), 4, 2),
    }
    assert gold["busiest_routes"] == {
        ("AMS", "LHR", D1, 2, 1),
        ("AMS", "JFK", D1, 1, 2),
        ("CDG", "JFK", D1, 1, 3),
    }

    silver.sync([obs("c3", "2025-09-19 23:50", "CDG", "JFK", "AFR", 460)])  # arrives late
    result = refresh_gold(settings)

    assert result.days == (date(2025, 9, 19), D1)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert ("CDG", "JFK", date(2025, 9, 19), 1, 1) in gold["busiest_routes"]
    assert ("AFR", date(2025, 9, 19), Decimal("470.00"), 2, 1) in gold["average_speed_by_airline"]
    assert ("JFK", D1, 0, 2, 2) in gold["daily_flight_counts"]
    assert {r[0] for r in gold["average_speed_by_airline"] if r[1] == D1} == {"KLM"}
