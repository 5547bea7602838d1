"""Fixtures for the gold tests: silver rows written the way the sync writes them, gold read back."""

from __future__ import annotations

import psycopg
import pytest
from gold_oracle import Obs
from gold_silver_io import read_gold, sync_batch


class Silver:
    """silver.flights_clean in Postgres plus the same rows in Python, for the oracle."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.rows: dict[tuple, Obs] = {}

    def sync(self, batch: list[Obs], conn: psycopg.Connection | None = None) -> None:
        sync_batch(conn or self.conn, batch)
        self.remember(batch)

    def remember(self, batch: list[Obs]) -> None:
        for o in batch:  # an upsert: the last write of a key wins
            self.rows[o.key] = o

    def delete(self, observations: list[Obs]) -> None:
        for o in observations:
            self.conn.execute(
                "DELETE FROM silver.flights_clean WHERE flight_id = %s AND observed_at = %s",
                o.key,
            )
            self.rows.pop(o.key, None)

    def all(self) -> list[Obs]:
        return list(self.rows.values())


@pytest.fixture
def silver(settings, pg, clean_lakehouse) -> Silver:
    """An empty lakehouse with one full refresh done, so later refreshes are incremental."""
    from lakehouse.gold.refresh import refresh_gold

    refresh_gold(settings)
    return Silver(pg)


@pytest.fixture
def gold_now(pg):
    return lambda: read_gold(pg)
