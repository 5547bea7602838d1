"""SIGKILL of a real spark-submit Postgres sync, at two points inside it, then a rerun.

The lake: small silver Delta tables under the test's own prefix (production schemas), synced
once, then changed the way the silver job changes them (a MERGE of updates and 100k inserts,
deletes, a dimension MERGE). ``lakehouse.silver.sync`` then runs under spark-submit and is
killed (its whole process group) at one of two points:

- ``staging``: while its JDBC writer is inside the transaction landing the change set in
  ``silver.flights_clean_staging`` (seen in ``pg_stat_activity``);
- ``commit``: inside the sync's own transaction, after staging committed: the test holds a SHARE
  lock on ``silver.flights_clean``, so the sync's DELETE waits there with its transaction open.

After the kill every Postgres table must equal its Delta table at the version meta.sync_state
records for it (the dimensions, synced first, may have moved; flights_clean must not have), and
the rerun must bring every table to Delta's latest version exactly: no lost, no duplicate row.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess

import psycopg
import pytest
from lakerows import (
    AIRLINES,
    AIRPORTS,
    SYNC_TABLES,
    delta_rows,
    flights,
    latest_version,
    pg_rows,
    sync_state,
)
from pgfaults import backends, kill_group, wait_for, wait_gone

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST, NEW = 2_000, 100_000  # rows of the first sync; rows the killed sync must bring


@pytest.fixture
def lake(settings, services, pg, spark, unique_prefix):
    """The lake synced once, then changed: the next sync has all kinds of change to bring."""
    from delta.tables import DeltaTable

    from lakehouse.silver import sync
    from lakehouse.silver.merge import DIM_AIRLINE, DIM_AIRPORT, FLIGHTS_CLEAN

    pg.execute("TRUNCATE " + ", ".join(SYNC_TABLES))
    s = dataclasses.replace(settings, silver_prefix=f"{unique_prefix}/silver")
    flights(spark, 0, FIRST).write.format("delta").partitionBy("observed_date").save(
        s.silver_table_uri("flights_clean")
    )
    for spec, rows in ((DIM_AIRPORT, AIRPORTS), (DIM_AIRLINE, AIRLINES)):
        spark.createDataFrame(rows, spec.schema).write.format("delta").save(
            s.silver_table_uri(spec.name)
        )
    sync.sync_all(spark, s)

    table = DeltaTable.forPath(spark, s.silver_table_uri("flights_clean"))
    changes = flights(spark, 0, 500, altitude=36_000).unionByName(
        flights(spark, FIRST, FIRST + NEW)
    )
    (
        table.alias("t")
        .merge(changes.alias("s"), "t.flight_id = s.flight_id AND t.observed_at = s.observed_at")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    number = "CAST(conv(flight_id, 16, 10) AS BIGINT)"
    table.delete(f"{number} % 10 = 3 AND {number} < 1000")  # 100 rows, 50 of them just updated
    airports = DeltaTable.forPath(spark, s.silver_table_uri("dim_airport"))
    moved = [("DUB", "EIDW", "Dublin Airport", "Dublin", "Ireland", 53.42, -6.27, "Europe/Dublin"),
             ("JFK", "KJFK", "John F Kennedy", "New York", "United States", 40.64, -73.78,
              "America/New_York")]  # fmt: skip
    (
        airports.alias("t")
        .merge(spark.createDataFrame(moved, DIM_AIRPORT.schema).alias("s"), "t.iata = s.iata")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    assert pg_rows(pg, FLIGHTS_CLEAN) == delta_rows(spark, s, FLIGHTS_CLEAN, 0)
    return s


def _kill_point(pg, kill_at: str) -> list[tuple]:
    if kill_at == "staging":
        return backends(
            pg,
            "state IN ('active', 'idle in transaction') "
            "AND query ILIKE 'insert into%%flights_clean_staging%%'",
        )
    return backends(pg, "wait_event_type = 'Lock' AND query LIKE '%%flights_clean%%'")


@pytest.mark.parametrize("kill_at", ["staging", "commit"])
def test_killed_sync_leaves_each_table_at_a_synced_version_and_the_rerun_is_exact(
    lake, spark, pg, settings, kill_at
):
    from lakehouse.ops.submit import spark_submit_command
    from lakehouse.silver import sync
    from lakehouse.silver.merge import FLIGHTS_CLEAN
    from lakehouse.silver.sync import SYNCED_TABLES

    s = lake
    before = pg_rows(pg, FLIGHTS_CLEAN)
    state_before = sync_state(pg)
    env = {**os.environ, "LAKEHOUSE_SILVER_PREFIX": s.silver_prefix}
    command = spark_submit_command("lakehouse.silver.sync", [], s, master="local[1]")
    with psycopg.connect(s.pg_conninfo("writer")) as blocker:
        if kill_at == "commit":
            blocker.execute("LOCK TABLE silver.flights_clean IN SHARE MODE")
        proc = subprocess.Popen(command, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            wait_for(lambda: _kill_point(pg, kill_at), proc, f"the sync reached {kill_at}")
            if kill_at == "commit":  # the change set is staged and committed, under one sync id
                staged = pg.execute(
                    "SELECT count(DISTINCT sync_id), count(*) FROM silver.flights_clean_staging"
                ).fetchone()
                assert staged[0] == 1 and staged[1] > NEW
        finally:
            pids = [b[0] for b in backends(pg, "backend_type = 'client backend'")]
            kill_group(proc)
        blocker.rollback()
    wait_gone(pg, pids)

    # every table is exactly at the version Postgres says it synced: before or after, not between
    state = sync_state(pg)
    for spec in SYNCED_TABLES:
        assert pg_rows(pg, spec) == delta_rows(spark, s, spec, state[spec.name][0]), spec.name
    assert pg_rows(pg, FLIGHTS_CLEAN) == before
    assert state["flights_clean"] == state_before["flights_clean"]

    results = {r.table: r for r in sync.sync_all(spark, s)}
    state = sync_state(pg)
    for spec in SYNCED_TABLES:
        latest = latest_version(spark, s, spec)
        assert state[spec.name][0] == latest, spec.name
        rows = pg_rows(pg, spec)
        assert rows == delta_rows(spark, s, spec), spec.name
        assert max(rows.values()) == 1  # no duplicate
    flights_result = results["flights_clean"]
    assert (flights_result.from_version, flights_result.mode) == (0, "changes")
    assert (flights_result.rows_upserted, flights_result.rows_deleted) == (450 + NEW, 100)
    staged = pg.execute("SELECT count(*) FROM silver.flights_clean_staging").fetchone()[0]
    assert staged == 0
