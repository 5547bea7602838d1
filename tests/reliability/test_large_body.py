"""A 100 MB bronze body in one silver batch with ordinary objects.

One hand-made FR24 body of about 690,000 flights (100 MB of JSON, one envelope line), wrapped
in a real envelope, landed with a conditional create and recorded in the ledger like any
snapshot; two simulated snapshots and a small object that re-sends three of the big body's
observations go in the same batch. The contract asks for exact accounting whatever the size
(raw = clean + quarantined + duplicates = the ledger's flight_count), or a reason in the ledger;
the other objects must be published either way.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from expected import expected_from_bronze
from hostile import flight, land_envelope, ledger_rows

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = datetime(2025, 9, 23, 10, 0, tzinfo=UTC)
TARGET_BYTES = 100_000_000
BAD_EVERY = 50_000  # every 50,000th flight has latitude 91: quarantined, invalid_latitude
RESENT = (7, 8, 9)  # flights of the big body sent again, unchanged, by a later object


def big_entry(i: int) -> tuple[str, list[object]]:
    """Flight ``i``: fixed-width values, so every entry has the same length."""
    latitude = 91.0 if i % BAD_EVERY == 0 else 40 + (i % 1000) / 100
    return f"z{i:07x}", flight(
        p0=f"{i % 0xFFFFFF:06X}", p1=latitude, p2=-3.25, p10=int(T0.timestamp()) - (i % 600),
        p13=f"BA{i % 10000:04d}", p16=f"BAW{i % 10000:04d}",
    )  # fmt: skip


def big_body() -> tuple[bytes, int]:
    """A feed body of at least TARGET_BYTES; returns (bytes, flights).

    Entries are written with one template (what ``json.dumps`` of ``big_entry`` gives, checked
    below) because a million ``json.dumps`` calls take most of a minute on a busy machine.
    """
    template = ', "z%07x": ["%06X", %r, -3.25, 90, 3000, 200, "", "T-1", "A320", "G-ABCD", ' + (
        '%d, "LHR", "JFK", "BA%04d", 0, 0, "BAW%04d", 0, "BAW"]'
    )

    def entry(i: int) -> str:
        latitude = 91.0 if i % BAD_EVERY == 0 else 40 + (i % 1000) / 100
        at = int(T0.timestamp()) - (i % 600)
        return template % (i, i % 0xFFFFFF, latitude, at, i % 10000, i % 10000)

    for i in (0, 1, 999, BAD_EVERY):
        key, row = big_entry(i)
        assert entry(i) == f", {json.dumps(key)}: {json.dumps(row)}"
    n = TARGET_BYTES // len(entry(1)) + 1
    parts = [f'{{"full_count": {n}, "version": 4, "stats": {{}}', *map(entry, range(n)), "}"]
    data = "".join(parts).encode()
    assert len(data) >= TARGET_BYTES
    return data, n


def test_a_100_mb_body_is_processed_with_exact_accounting_beside_ordinary_objects(
    job_settings, spark
):
    from pyspark.sql import functions as F

    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.s3 import s3_client
    from lakehouse.silver import job
    from lakehouse.silver.merge import FLIGHTS_CLEAN, FLIGHTS_QUARANTINE, read_table

    s = job_settings

    data, n = big_body()
    started = time.monotonic()
    big = land_envelope(s, T0, data)
    land_seconds = time.monotonic() - started
    del data
    small = [ingest_snapshot(T0 + timedelta(minutes=15 * i), settings=s).key for i in (1, 2)]
    resent = land_envelope(
        s, T0 + timedelta(minutes=45), json.dumps(dict(map(big_entry, RESENT))).encode()
    )
    bad = len(range(0, n, BAD_EVERY))

    started = time.monotonic()
    args = argparse.Namespace(keys=None, full_refresh=False, date_from=None, date_to=None,
                              batch_size=10, limit=None, sync=False)  # fmt: skip
    (result,) = job.run(spark, s, args)
    silver_seconds = time.monotonic() - started
    print(
        f"100 MB body: {n} flights, landed in {land_seconds:.0f}s, batch in {silver_seconds:.0f}s"
    )

    ledger = ledger_rows(s)
    status, _, error, flight_count, raw, clean, quarantined, duplicates = ledger[big]
    assert status == "processed", f"the big object was not processed: {status} {error}"
    assert flight_count == raw == n
    assert raw == clean + quarantined + duplicates
    assert quarantined == bad
    for key in (*small, resent):
        status, _, error, flight_count, raw, clean, quarantined, duplicates = ledger[key]
        assert status == "processed", (key, error)
        assert flight_count == raw == clean + quarantined + duplicates
    # the resent rows are one set of duplicates, counted on one side only
    assert sum(ledger[k][7] for k in (big, resent)) == len(RESENT)
    assert sorted(result.keys) == sorted([big, *small, resent])

    clean_rows = read_table(spark, s, FLIGHTS_CLEAN)
    big_ids = clean_rows.where(F.col("flight_id").startswith("z")).select("flight_id")
    assert big_ids.count() == big_ids.distinct().count() == n - bad
    sim_clean, _, _ = expected_from_bronze(s3_client(s), s, small)
    got = {
        (r["flight_id"], int(r["observed_at"].replace(tzinfo=UTC).timestamp()))
        for r in clean_rows.where(F.col("bronze_key").isin(small)).collect()
    }
    assert got == sim_clean
    reasons = read_table(spark, s, FLIGHTS_QUARANTINE).where(F.col("bronze_key") == big)
    assert {r["reason"] for r in reasons.select("reason").distinct().collect()} == {
        "invalid_latitude"
    }
