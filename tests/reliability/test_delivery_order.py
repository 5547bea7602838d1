"""Late, duplicate and out-of-order delivery: silver and gold end up as if all came in order.

Three objects: two simulated snapshots and a copy delivered three hours late that re-sends two
observations of the first snapshot with a changed altitude (a later snapshot wins by the
contract). The reference run takes them in order in one batch; the disorderly run takes the late
copy first, then the second snapshot, then the first, then the late copy again, syncing and
refreshing gold incrementally after each. Silver is compared in full (every column except the
batch id, which names the batch); gold incremental is compared with a full rebuild.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from hostile import land_envelope

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T0 = datetime(2025, 9, 23, 9, 0, tzinfo=UTC)
LATE = T0 + timedelta(hours=3)
CHANGED_ALTITUDE = 12_345
GOLD = ("flights", "daily_flight_counts", "average_speed_by_airline", "busiest_routes")


def _args(keys, sync):
    return argparse.Namespace(keys=keys, full_refresh=False, date_from=None, date_to=None,
                              batch_size=10, limit=None, sync=sync)  # fmt: skip


def _rows(spark, settings, name):
    from lakehouse.silver.merge import TABLES, read_table

    spec = next(t for t in TABLES if t.name == name)
    df = read_table(spark, settings, spec).drop("silver_batch_id")
    return sorted(tuple(r) for r in df.collect())


def _gold(settings):
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        return {
            t: sorted(conn.execute(f"SELECT * FROM gold.{t}").fetchall(), key=repr) for t in GOLD
        }


@pytest.fixture(scope="module")
def runs(settings, services, spark, tmp_path_factory):
    from lakehouse.bronze.envelope import parse_envelope
    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.bronze.writer import read_object
    from lakehouse.gold.refresh import refresh_gold
    from lakehouse.s3 import s3_client
    from lakehouse.silver import job

    unique = f"t-{uuid.uuid4().hex[:10]}"
    base = dataclasses.replace(
        settings, bronze_prefix=f"{unique}/bronze", simulator_peak_airborne=200,
        data_docs_dir=str(tmp_path_factory.mktemp("docs")),
    )  # fmt: skip
    with psycopg.connect(base.pg_conninfo("writer"), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT string_agg(format('%I.%I', table_schema, table_name), ', ') "
            "FROM information_schema.tables WHERE table_schema IN ('meta', 'silver', 'gold') "
            "AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'"
        ).fetchone()[0]
        conn.execute(f"TRUNCATE {tables}")  # this process's own test database

    first = ingest_snapshot(T0, settings=base).key
    second = ingest_snapshot(T0 + timedelta(minutes=15), settings=base).key
    body = json.loads(
        parse_envelope(read_object(s3_client(base), base.bucket, first)).responses[0].body
    )
    # two flights of the first snapshot, re-sent hours late with another altitude; the later
    # snapshot must win for those observations (flight, position time), whatever the order
    flight_ids = sorted(k for k in body if k not in ("full_count", "version", "stats"))
    picked = {k: body[k][10] for k in flight_ids[:2]}
    resent = {k: [*body[k][:4], CHANGED_ALTITUDE, *body[k][5:]] for k in picked}
    late = land_envelope(base, LATE, json.dumps({"full_count": 2, **resent}).encode(),
                         source="simulator")  # fmt: skip

    in_order = dataclasses.replace(base, silver_prefix=f"{unique}/silver-in-order")
    job.run(spark, in_order, _args([first, second, late], sync=False))

    disorder = dataclasses.replace(base, silver_prefix=f"{unique}/silver-disorder")
    for keys in ([late], [second], [first], [late]):
        job.run(spark, disorder, _args(keys, sync=True))
        refresh_gold(disorder)
    incremental_gold = _gold(disorder)
    refresh_gold(disorder, full=True)
    return in_order, disorder, picked, incremental_gold, _gold(disorder)


def test_out_of_order_and_duplicate_delivery_give_the_in_order_silver(runs, spark):
    in_order, disorder, *_ = runs
    for table in ("flights_clean", "flights_quarantine"):
        assert _rows(spark, disorder, table) == _rows(spark, in_order, table), table


def test_the_late_copy_wins_in_both_orders(runs, spark):
    from pyspark.sql import functions as F

    from lakehouse.silver.merge import FLIGHTS_CLEAN, read_table

    in_order, disorder, picked, *_ = runs
    for s in (in_order, disorder):
        rows = read_table(spark, s, FLIGHTS_CLEAN).where(F.col("flight_id").isin(list(picked)))
        got = {
            (r["flight_id"], r["altitude_ft"], r["snapshot_time"].hour)
            for r in rows.collect()
            if int(r["observed_at"].timestamp()) == picked[r["flight_id"]]
        }
        assert got == {(fid, CHANGED_ALTITUDE, LATE.hour) for fid in picked}


def test_incremental_gold_after_disorderly_delivery_equals_a_full_rebuild(runs):
    *_, incremental, full = runs
    assert any(incremental.values()), "gold must not be empty"
    assert incremental == full
