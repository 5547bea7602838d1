"""Fixtures for the bronze tests: a private key prefix per test, a small simulated world.

Bronze tests share the test bucket and ledger with other suites, so each test writes under its
own prefix (``<unique>/bronze``) and reads the ledger back by that prefix, instead of emptying
the bucket and the tables other tests may be using.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import psycopg
import pytest

#: Small enough for 96 snapshots in seconds; the tiling and envelopes are the same at any scale.
PEAK_AIRBORNE = 300


@pytest.fixture
def bronze_settings(settings, services, unique_prefix):
    return dataclasses.replace(
        settings, bronze_prefix=f"{unique_prefix}/bronze", simulator_peak_airborne=PEAK_AIRBORNE
    )


@pytest.fixture
def s3(bronze_settings):
    from lakehouse.s3 import s3_client

    return s3_client(bronze_settings)


@pytest.fixture
def ledger_tx(settings, services) -> Iterator[psycopg.Connection]:
    """A writer connection in one REPEATABLE READ transaction that sees an empty ledger.

    The ledger rows other suites committed are deleted inside the transaction and the whole
    transaction is rolled back at the end, so the test sees only its own rows and leaves
    nothing behind, even while other suites use the same table.
    """
    conn = psycopg.connect(settings.pg_conninfo("writer"))
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    conn.execute("DELETE FROM meta.bronze_objects")
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()
