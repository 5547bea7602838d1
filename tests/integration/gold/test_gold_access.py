"""What BI users get: the read-only role, the named views, freshness, and the CLI's top rows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from gold_oracle import obs

from lakehouse.gold.freshness import (
    GoldStaleError,
    check_gold_freshness,
    read_freshness,
    silver_ready_for,
)
from lakehouse.gold.refresh import refresh_gold
from lakehouse.gold.report import top_rows

pytestmark = pytest.mark.integration

D1, D2 = date(2025, 9, 20), date(2025, 9, 21)


@pytest.fixture
def reader(settings, services):
    with psycopg.connect(settings.pg_conninfo("reader"), autocommit=True) as conn:
        yield conn


@pytest.fixture
def dimensions(pg, clean_lakehouse):
    pg.execute(
        "INSERT INTO silver.dim_airport (iata, icao, name, city, country) VALUES "
        "('AMS', 'EHAM', 'Amsterdam Schiphol', 'Amsterdam', 'Netherlands'), "
        "('JFK', 'KJFK', 'John F Kennedy Intl', 'New York', 'United States')"
    )
    pg.execute(
        "INSERT INTO silver.dim_airline (icao, iata, name, country) VALUES "
        "('KLM', 'KL', 'KLM Royal Dutch Airlines', 'Netherlands')"
    )


def _gold_relations(pg) -> list[str]:
    return [
        name
        for (name,) in pg.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'gold' AND c.relkind IN ('r', 'v', 'm', 'p') ORDER BY 1"
        ).fetchall()
    ]


def test_reader_can_read_every_gold_table_and_view(pg, reader, silver):
    silver.sync([obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400)])
    relations = _gold_relations(pg)
    assert "gold.freshness" in relations and "gold.busiest_routes_named" in relations
    for relation in relations:
        reader.execute(f"SELECT * FROM {relation} LIMIT 1").fetchall()  # raises if denied


@pytest.mark.parametrize(
    "relation",
    [
        "silver.flights_clean",
        "silver.dim_airport",
        "silver.dim_airline",
        "meta.gold_refresh",
        "meta.flights_clean_changes",
        "meta.bronze_objects",
    ],
)
def test_reader_cannot_read_outside_gold(reader, relation):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute(f"SELECT 1 FROM {relation} LIMIT 1")


def test_reader_cannot_write_gold(reader, services):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute("INSERT INTO gold.busiest_routes VALUES ('AMS', 'JFK', '2025-09-20', 1, 1)")


def test_named_views_add_dimension_names_and_keep_unknown_codes(
    settings, dimensions, silver, reader
):
    silver.sync(
        [
            obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400),
            obs("f2", "2025-09-20 11:00", "ZZZ", "JFK", "XXX", 300),  # in no dimension
        ]
    )
    refresh_gold(settings)

    routes = reader.execute(
        "SELECT rank, origin_iata, origin_airport_name, destination_airport_name, "
        "destination_country FROM gold.busiest_routes_named ORDER BY rank"
    ).fetchall()
    speeds = reader.execute(
        "SELECT airline_icao, airline_iata, airline_name, avg_ground_speed_kt "
        "FROM gold.average_speed_by_airline_named ORDER BY airline_icao"
    ).fetchall()
    airports = reader.execute(
        "SELECT airport_iata, airport_name, airport_country, flights "
        "FROM gold.daily_flight_counts_named ORDER BY airport_iata"
    ).fetchall()

    assert routes == [
        (1, "AMS", "Amsterdam Schiphol", "John F Kennedy Intl", "United States"),
        (2, "ZZZ", None, "John F Kennedy Intl", "United States"),
    ]
    assert speeds == [
        ("KLM", "KL", "KLM Royal Dutch Airlines", Decimal("400.00")),
        ("XXX", None, None, Decimal("300.00")),
    ]
    assert airports == [
        ("AMS", "Amsterdam Schiphol", "Netherlands", 1),
        ("JFK", "John F Kennedy Intl", "United States", 2),
        ("ZZZ", None, None, 1),
    ]


def test_top_rows_reads_the_latest_day_best_first_as_the_reader(settings, dimensions, silver):
    silver.sync(
        [
            obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400),
            obs("f2", "2025-09-21 10:00", "AMS", "JFK", "KLM", 410),
            obs("f3", "2025-09-21 11:00", "AMS", "JFK", "KLM", 420),
            obs("f4", "2025-09-21 12:00", "JFK", "AMS", None, 430),
        ]
    )
    refresh_gold(settings)

    top = top_rows(settings, limit=1)
    earlier = top_rows(settings, limit=5, flight_date=D1)

    assert top["busiest_routes"] == [
        {
            "flight_date": D2,
            "rank": 1,
            "origin_iata": "AMS",
            "origin_airport_name": "Amsterdam Schiphol",
            "destination_iata": "JFK",
            "destination_airport_name": "John F Kennedy Intl",
            "flights": 2,
        }
    ]
    assert [(r["airport_iata"], r["flights"]) for r in top["daily_flight_counts"]] == [("AMS", 3)]
    assert [
        (r["airline_icao"], r["avg_ground_speed_kt"]) for r in top["average_speed_by_airline"]
    ] == [("KLM", Decimal("415.00"))]
    assert [(r["flight_date"], r["flights"]) for r in earlier["busiest_routes"]] == [(D1, 1)]


def test_top_rows_of_an_empty_gold_are_empty(settings, silver):
    assert top_rows(settings, limit=3) == {
        "busiest_routes": [],
        "daily_flight_counts": [],
        "average_speed_by_airline": [],
    }


def test_silver_is_ready_when_its_latest_observation_is_within_the_bound(settings, silver):
    bound = timedelta(minutes=settings.gold_max_staleness_minutes)
    latest = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
    assert not silver_ready_for(settings, latest)  # empty silver is never ready
    silver.sync([obs("f1", "2025-09-20 11:00"), obs("f1", "2025-09-20 12:00")])

    assert silver_ready_for(settings, latest + bound)  # boundary: exactly the bound
    assert not silver_ready_for(settings, latest + bound + timedelta(seconds=1))


def test_gold_freshness_check_fails_loudly_when_never_refreshed(settings, clean_lakehouse):
    with pytest.raises(GoldStaleError, match="never been refreshed"):
        check_gold_freshness(settings, datetime(2025, 9, 20, 12, tzinfo=UTC))


def test_gold_freshness_check_judges_what_the_refresh_saw(settings, silver):
    silver.sync([obs("f1", "2025-09-20 11:00", "AMS", "JFK", "KLM", 400)])
    refresh_gold(settings)
    silver.sync([obs("f2", "2025-09-20 13:00", "AMS", "JFK", "KLM", 400)])  # not refreshed yet
    strict = dataclasses.replace(settings, gold_max_staleness_minutes=30)

    fresh = check_gold_freshness(strict, datetime(2025, 9, 20, 11, 30, tzinfo=UTC))
    with pytest.raises(GoldStaleError, match="GOLD_MAX_STALENESS_MINUTES=30"):
        check_gold_freshness(strict, datetime(2025, 9, 20, 11, 31, tzinfo=UTC))

    assert fresh.gold_latest_observed_at == datetime(2025, 9, 20, 11, 0, tzinfo=UTC)
    assert fresh.silver_latest_observed_at == datetime(2025, 9, 20, 13, 0, tzinfo=UTC)
    assert fresh.pending_changed_flights == 1
    assert fresh.gold_refresh_kind == "incremental"


def test_freshness_view_reports_the_latest_sync(settings, silver, pg):
    pg.execute(
        "INSERT INTO meta.sync_state (table_name, delta_version, synced_at) "
        "VALUES ('flights_clean', 7, '2025-09-20 12:05+00')"
    )
    assert read_freshness(settings).silver_last_synced_at == datetime(
        2025, 9, 20, 12, 5, tzinfo=UTC
    )
