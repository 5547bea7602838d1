"""Silver rows seeded straight into Postgres (as the sync leaves them) and gold read back in full,
for the gold refresh fault tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

GOLD = {
    "flights": "SELECT flight_id, flight_date, origin_iata, destination_iata, airline_icao, "
    "first_observed_at, last_observed_at, observations FROM gold.flights",
    "daily_flight_counts": "SELECT airport_iata, flight_date, departures, arrivals, flights "
    "FROM gold.daily_flight_counts",
    "average_speed_by_airline": "SELECT airline_icao, flight_date, avg_ground_speed_kt, "
    "observations, flights FROM gold.average_speed_by_airline",
    "busiest_routes": "SELECT origin_iata, destination_iata, flight_date, flights, rank "
    "FROM gold.busiest_routes",
}
META = {
    "gold_refresh": "SELECT refresh_id, kind, changed_flights, days, rows_written "
    "FROM meta.gold_refresh",
    "flights_clean_changes": "SELECT flight_id FROM meta.flights_clean_changes",
}

T0 = datetime(2025, 9, 20, 22, 0, tzinfo=UTC)
ROUTES = [("AMS", "JFK", "KLM"), ("CDG", "JFK", "AFR"), ("LHR", "DUB", "EIN"), (None, "BOS", None)]


def snapshot(conn: psycopg.Connection, queries: dict[str, str]) -> dict[str, list[tuple]]:
    """Full contents, sorted (None sorts first): equal snapshots mean equal tables."""
    return {
        name: sorted(conn.execute(q).fetchall(), key=lambda r: [(v is not None, v) for v in r])
        for name, q in queries.items()
    }


def seed(conn: psycopg.Connection, rows: list[tuple]) -> None:
    """(flight_id, observed_at, origin, destination, airline, speed, on_ground) -> silver."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO silver.flights_clean (flight_id, observed_at, observed_date, latitude, "
            "longitude, ground_speed_kt, origin_iata, destination_iata, on_ground, airline_icao, "
            "bronze_key, snapshot_time, silver_batch_id) "
            "VALUES (%s, %s, (%s AT TIME ZONE 'UTC')::date, 52.3, 4.76, %s, %s, %s, %s, %s, "
            "'bronze/test.json', %s, 'test-batch') "
            "ON CONFLICT (flight_id, observed_at) DO UPDATE SET "
            "ground_speed_kt = EXCLUDED.ground_speed_kt, origin_iata = EXCLUDED.origin_iata",
            [(f, at, at, speed, o, d, g, a, at) for f, at, o, d, a, speed, g in rows],
        )


def first_silver() -> list[tuple]:
    return [
        (f"f{i:03d}", T0 + timedelta(minutes=7 * i + 15 * k), *ROUTES[i % 4], 300 + i + k, k % 2)
        for i in range(40)
        for k in range(3)
    ]


def later_silver() -> list[tuple]:
    """New flights, late earlier observations that move flights to the previous day, changes."""
    new = [
        (f"g{i:03d}", T0 + timedelta(hours=3, minutes=i), *ROUTES[(i + 1) % 4], 410 + i, 0)
        for i in range(20)
    ]
    late = [(f"f{i:03d}", T0 - timedelta(hours=23), *ROUTES[(i + 2) % 4], 250, 0) for i in range(5)]
    return new + late
