"""The silver job on real bronze objects: accounting, idempotence, order independence, sync.

The expected rows are computed independently, in plain Python over the raw envelopes, with the
contract's rules; the job's Spark code never sees them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from expected import expected_from_bronze

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2025, 9, 20, 23, 0, tzinfo=UTC)  # the window crosses midnight UTC
END = START + timedelta(hours=2)


def _args(**overrides) -> argparse.Namespace:
    base = dict(
        keys=None, full_refresh=False, date_from=None, date_to=None, batch_size=4, limit=None,
        sync=True,
    )  # fmt: skip
    base.update(overrides)
    return argparse.Namespace(**base)


@pytest.fixture(scope="module")
def landed(settings, services, tmp_path_factory):
    """Two simulated hours of bronze under a private prefix, ledger rows included."""
    import uuid

    from lakehouse.bronze.ingest import ingest_range

    unique = f"t-{uuid.uuid4().hex[:10]}"
    s = dataclasses.replace(
        settings,
        bronze_prefix=f"{unique}/bronze",
        silver_prefix=f"{unique}/silver",
        simulator_peak_airborne=400,
        data_docs_dir=str(tmp_path_factory.mktemp("docs")),
    )
    summary = ingest_range(START, END, settings=s)
    assert summary.landed == 8
    _land_dirty_snapshot(s, END)
    return s


#: One valid flight and one of each kind of row the contract quarantines.
DIRTY_BODY = {
    "full_count": 7,
    "version": 4,
    "stats": {},
    "a1b2c3d4": ["4CA1D2", 51.47, -0.45, 90, 3000, 200, "", "T-1", "A320", "G-ABCD",
                 1758416400, "LHR", "JFK", "BA117", 0, 0, "BAW117", 0, "BAW"],
    "b1b2c3d4": ["4CA1D3", 95.0, -0.45, 90, 3000, 200, "", "", "", "", 1758416400,
                 "", "", "", 0, 0, "", 0, ""],
    "c1b2c3d4": ["4CA1D4", 51.0, -0.45, 90, 3000, 200, "", "", "", "", "",
                 "", "", "", 0, 0, "", 0, ""],
    "d1b2c3d4": {"not": "an array"},
    "e1b2c3d4": ["4CA1D5", 51.0, -0.45],
    "bad-id!": ["4CA1D6", 51.0, -0.45, 90, 3000, 200, "", "", "", "", 1758416400,
                "", "", "", 0, 0, "", 0, ""],
    "f1b2c3d4": ["4CA1D7", 51.0, 181.5, 90, 3000, 200, "", "", "", "", 1758416400,
                 "", "", "", 0, 0, "", 0, ""],
}  # fmt: skip


def _land_dirty_snapshot(settings, at):
    """A hand-made snapshot whose rows exercise every quarantine reason."""
    from lakehouse.bronze.envelope import RawResponse, build_envelope, snapshot_key
    from lakehouse.bronze.ledger import entry_for_object, record_objects
    from lakehouse.bronze.writer import put_once
    from lakehouse.s3 import s3_client

    body = json.dumps(DIRTY_BODY).encode()
    data = build_envelope(
        "fr24", at, at + timedelta(seconds=5), "FlightRadarAPI", "1.6.3",
        [RawResponse("http://fr24.test/feed", {"bounds": "90,-90,-180,180"}, 200, body)],
    )  # fmt: skip
    key = snapshot_key(at, settings.bronze_prefix)
    put_once(s3_client(settings), settings.bucket, key, data)
    record_objects([entry_for_object(key, data)], settings=settings)


@pytest.fixture(scope="module")
def first_run(landed, spark):
    import psycopg

    from lakehouse.silver import job

    with psycopg.connect(landed.pg_conninfo("writer"), autocommit=True) as conn:
        conn.execute(
            "TRUNCATE silver.flights_clean, silver.dim_airport, silver.dim_airline, meta.sync_state"
        )
        conn.execute(
            "DELETE FROM meta.bronze_objects WHERE NOT starts_with(key, %s)",
            (landed.bronze_prefix,),
        )
    return job.run(spark, landed, _args())


def _ledger(settings):
    import psycopg

    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        return conn.execute(
            "SELECT key, status, flight_count, raw_rows, clean_rows, quarantined_rows, "
            "duplicate_rows, silver_version FROM meta.bronze_objects "
            "WHERE starts_with(key, %s) ORDER BY key",
            (settings.bronze_prefix,),
        ).fetchall()


def _table_rows(spark, settings, name="flights_clean"):
    from lakehouse.silver.merge import TABLES, read_table

    spec = next(t for t in TABLES if t.name == name)
    return sorted(tuple(r) for r in read_table(spark, settings, spec).collect())


def test_every_raw_row_is_accounted_for(landed, first_run):
    rows = _ledger(landed)
    assert len(rows) == 9
    for key, status, flight_count, raw, clean, quarantined, duplicates, version in rows:
        assert status == "processed", key
        assert raw == flight_count, f"{key}: bronze held {flight_count} flights, silver saw {raw}"
        assert raw == clean + quarantined + duplicates
        assert version is not None


def test_silver_matches_an_independent_reading_of_bronze(landed, first_run, spark):
    from lakehouse.s3 import s3_client
    from lakehouse.silver.merge import FLIGHTS_CLEAN, FLIGHTS_QUARANTINE, read_table

    keys = [row[0] for row in _ledger(landed)]
    clean, quarantined, raw = expected_from_bronze(s3_client(landed), landed, keys)
    table = read_table(spark, landed, FLIGHTS_CLEAN)
    got = {
        (r["flight_id"], int(r["observed_at"].replace(tzinfo=UTC).timestamp()))
        for r in table.select("flight_id", "observed_at").collect()
    }
    assert got == clean
    assert read_table(spark, landed, FLIGHTS_QUARANTINE).count() == quarantined
    ledger_raw = sum(row[3] for row in _ledger(landed))
    assert ledger_raw == raw
    assert quarantined >= 6, "each hand-made dirty row must be quarantined"


def test_postgres_copy_equals_the_delta_table(landed, first_run, spark):
    import psycopg

    from lakehouse.silver.schema import FLIGHTS_CLEAN_SCHEMA

    columns = [f.name for f in FLIGHTS_CLEAN_SCHEMA]
    delta = _table_rows(spark, landed)
    with psycopg.connect(landed.pg_conninfo("writer")) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        pg_rows = conn.execute(f"SELECT {', '.join(columns)} FROM silver.flights_clean").fetchall()

    def normal(row):
        return tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row)

    assert sorted(normal(r) for r in pg_rows) == [normal(r) for r in delta]


def test_a_second_run_is_a_no_op(landed, first_run, spark):
    from lakehouse.silver import job
    from lakehouse.silver.merge import FLIGHTS_CLEAN, latest_version

    before_version = latest_version(spark, landed, FLIGHTS_CLEAN)
    before_ledger = _ledger(landed)
    results = job.run(spark, landed, _args())
    assert results == []
    assert latest_version(spark, landed, FLIGHTS_CLEAN) == before_version
    assert _ledger(landed) == before_ledger


def test_reprocessing_in_reverse_order_changes_nothing(landed, first_run, spark):
    from lakehouse.silver import job

    before = _table_rows(spark, landed)
    keys = [row[0] for row in _ledger(landed)]
    newest_first = list(reversed(keys))
    for batch in (newest_first[:3], newest_first[3:6], newest_first[6:]):
        job.run(spark, landed, _args(keys=batch, batch_size=3, sync=False))
    assert _table_rows(spark, landed) == before


def test_a_failed_quality_gate_publishes_nothing_and_marks_the_ledger(
    landed, first_run, spark, tmp_path
):
    """A stricter copy of the suites (altitude capped at 1,000 ft) must reject real traffic."""
    import psycopg

    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.silver import job, quality
    from lakehouse.silver.merge import FLIGHTS_CLEAN, latest_version

    strict_dir = tmp_path / "expectations"
    shutil.copytree(
        landed.expectations_dir, strict_dir, ignore=shutil.ignore_patterns("uncommitted")
    )
    suite_file = next(Path(strict_dir).rglob("flights_clean_batch.json"))
    suite = json.loads(suite_file.read_text())
    for expectation in suite["expectations"]:
        if expectation.get("kwargs", {}).get("column") == "altitude_ft":
            expectation["kwargs"]["max_value"] = 1000
    suite_file.write_text(json.dumps(suite))
    strict = dataclasses.replace(landed, expectations_dir=str(strict_dir))

    late = END + timedelta(minutes=15)
    ingest_snapshot(late, settings=strict)
    before = latest_version(spark, strict, FLIGHTS_CLEAN)
    with pytest.raises(quality.QualityGateFailed):
        job.run(spark, strict, _args(sync=False))
    assert latest_version(spark, strict, FLIGHTS_CLEAN) == before
    with psycopg.connect(strict.pg_conninfo("writer")) as conn:
        status, error = conn.execute(
            "SELECT status, error FROM meta.bronze_objects WHERE key = %s",
            (f"{strict.bronze_prefix}/{late:%Y/%m/%d}/flights_{late:%Y%m%d_%H%M}.json",),
        ).fetchone()
    assert status == "failed"
    assert "altitude_ft" in error
