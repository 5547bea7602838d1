"""Silver rows written the way the sync writes them, and gold read back, for the gold tests.

A module of its own (not the conftest) so test modules import it by a name no other test folder
uses: `from conftest import ...` resolves to whichever conftest was imported last.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from gold_oracle import Obs

# The sync lands a change set in a staging table, then upserts it in one statement; doing the same
# here exercises the change-log triggers exactly as production does.
_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS test_stage (
    flight_id text, observed_at timestamptz, origin_iata text, destination_iata text,
    airline_icao text, ground_speed_kt integer, on_ground smallint
)
"""
_UPSERT = """
INSERT INTO silver.flights_clean AS t (
    flight_id, observed_at, observed_date, latitude, longitude, ground_speed_kt, origin_iata,
    destination_iata, on_ground, airline_icao, bronze_key, snapshot_time, silver_batch_id
)
SELECT
    flight_id, observed_at, (observed_at AT TIME ZONE 'UTC')::date, 52.3, 4.76, ground_speed_kt,
    origin_iata, destination_iata, on_ground, airline_icao,
    'bronze/test.json', observed_at, 'test-batch'
FROM test_stage
ON CONFLICT (flight_id, observed_at) DO UPDATE SET
    ground_speed_kt = EXCLUDED.ground_speed_kt,
    origin_iata = EXCLUDED.origin_iata,
    destination_iata = EXCLUDED.destination_iata,
    on_ground = EXCLUDED.on_ground,
    airline_icao = EXCLUDED.airline_icao,
    bronze_key = EXCLUDED.bronze_key,
    snapshot_time = EXCLUDED.snapshot_time,
    silver_batch_id = EXCLUDED.silver_batch_id
"""

_GOLD_QUERIES = {
    "flights": "SELECT flight_id, flight_date, origin_iata, destination_iata, airline_icao "
    "FROM gold.flights",
    "daily_flight_counts": "SELECT airport_iata, flight_date, departures, arrivals, flights "
    "FROM gold.daily_flight_counts",
    "average_speed_by_airline": "SELECT airline_icao, flight_date, avg_ground_speed_kt, "
    "observations, flights FROM gold.average_speed_by_airline",
    "busiest_routes": "SELECT origin_iata, destination_iata, flight_date, flights, rank "
    "FROM gold.busiest_routes",
}


def sync_batch(conn: psycopg.Connection, batch: Iterable[Obs]) -> None:
    """Upsert ``batch`` into silver.flights_clean in one statement, like the silver sync."""
    conn.execute(_STAGE)
    conn.execute("TRUNCATE test_stage")
    with conn.cursor().copy(
        "COPY test_stage (flight_id, observed_at, origin_iata, destination_iata, airline_icao, "
        "ground_speed_kt, on_ground) FROM STDIN"
    ) as copy:
        for o in batch:
            copy.write_row(
                (
                    o.flight_id,
                    o.observed_at,
                    o.origin_iata,
                    o.destination_iata,
                    o.airline_icao,
                    o.ground_speed_kt,
                    o.on_ground,
                )
            )
    conn.execute(_UPSERT)


def read_gold(conn: psycopg.Connection) -> dict[str, set[tuple]]:
    return {table: set(conn.execute(q).fetchall()) for table, q in _GOLD_QUERIES.items()}
