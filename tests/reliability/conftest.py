"""Fixtures for the reliability tests: private prefixes, a small world, hostile bronze objects.

Every test lands its objects under its own key prefix and reads the ledger back by that prefix;
tests that run the silver job empty the (per-process) test database first, because the job picks
its work from the whole ledger.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `from hostile import ...`


@pytest.fixture
def rel_settings(settings, services, unique_prefix, tmp_path):
    """Settings for one test: private bronze/silver prefixes, 200 airborne flights at peak."""
    return dataclasses.replace(
        settings,
        bronze_prefix=f"{unique_prefix}/bronze",
        silver_prefix=f"{unique_prefix}/silver",
        simulator_peak_airborne=200,
        data_docs_dir=str(tmp_path / "data_docs"),
    )


@pytest.fixture
def job_settings(rel_settings):
    """``rel_settings`` with the ledger emptied: the silver job picks from the whole ledger."""
    import psycopg

    with psycopg.connect(rel_settings.pg_conninfo("writer"), autocommit=True) as conn:
        conn.execute("DELETE FROM meta.bronze_objects")
    return rel_settings
