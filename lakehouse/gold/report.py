"""Read the top rows of the gold tables, as a BI user would (through the named views)."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from lakehouse.gold.sql import load
from lakehouse.settings import Settings

# Each entry names the query in lakehouse/gold/<file>.sql.
TOP_QUERIES = {
    "busiest_routes": "top_busiest_routes",
    "daily_flight_counts": "top_airports",
    "average_speed_by_airline": "top_airline_speeds",
}


def top_rows(
    settings: Settings, limit: int = 10, flight_date: date | None = None, role: str = "reader"
) -> dict[str, list[dict[str, Any]]]:
    """The best ``limit`` rows of each gold metric for ``flight_date`` (default: latest day).

    Reads as the read-only role by default, so what the CLI shows is what analysts can see.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    params = {"limit": limit, "flight_date": flight_date}
    out: dict[str, list[dict[str, Any]]] = {}
    with (
        psycopg.connect(settings.pg_conninfo(role), connect_timeout=10) as conn,
        conn.cursor(row_factory=dict_row) as cur,
    ):
        for table, query in TOP_QUERIES.items():
            out[table] = cur.execute(load(query), params).fetchall()
    return out
