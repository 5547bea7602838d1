"""SIGKILL of a real gold refresh while its transaction is open, then a rerun.

The refresh runs in its own Python process. The test holds a SHARE lock on
``gold.busiest_routes``, so the refresh writes ``gold.flights``, ``daily_flight_counts`` and
``average_speed_by_airline`` inside its transaction and then waits for the lock; the test checks
that it really sits there with those writes pending, kills its process group, and lets go of the
lock. Gold, the refresh log and the change log must be exactly as before, and the rerun must give
what a full rebuild gives on the same silver.
"""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest
from goldrows import GOLD, META, first_silver, later_silver, seed, snapshot
from pgfaults import backends, kill_group, wait_for, wait_gone

pytestmark = pytest.mark.integration


def test_killed_gold_refresh_leaves_gold_unchanged_and_the_rerun_equals_a_full_rebuild(
    settings, pg, clean_lakehouse
):
    from lakehouse.gold.refresh import refresh_gold

    seed(pg, first_silver())
    refresh_gold(settings)
    seed(pg, later_silver())
    pg.execute("DELETE FROM silver.flights_clean WHERE flight_id IN ('f010', 'f011')")
    before = snapshot(pg, GOLD | META)
    assert before["flights_clean_changes"], "the change log must hold work for the refresh"

    with psycopg.connect(settings.pg_conninfo("writer")) as blocker:
        blocker.execute("LOCK TABLE gold.busiest_routes IN SHARE MODE")  # held until commit
        proc = subprocess.Popen(
            [sys.executable, "-c", "from lakehouse.gold.refresh import refresh_gold; "
             "from lakehouse.settings import get_settings; refresh_gold(get_settings())"],
            start_new_session=True,
        )  # fmt: skip
        try:
            (pid, state, _, query), *_ = wait_for(
                lambda: backends(
                    pg, "wait_event_type = 'Lock' AND query LIKE '%%busiest_routes%%'"
                ),
                proc,
                "the refresh blocked on gold.busiest_routes",
                timeout_s=120,
            )
            assert "busiest_routes" in query and state == "active"
            written = {
                r[0]
                for r in pg.execute(
                    "SELECT c.relname FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
                    "WHERE l.pid = %s AND l.mode = 'RowExclusiveLock' AND l.granted",
                    (pid,),
                ).fetchall()
            }
            # the refresh is inside its transaction, with the earlier steps' writes pending
            assert {"flights", "daily_flight_counts", "average_speed_by_airline"} <= written
        finally:
            kill_group(proc)
        blocker.commit()  # the orphaned backend may run on now; it can never commit
    wait_gone(pg, [pid])

    assert snapshot(pg, GOLD | META) == before  # nothing half-written is visible

    rerun = refresh_gold(settings)
    after = snapshot(pg, GOLD)
    full = refresh_gold(settings, full=True)
    assert rerun.kind == "incremental" and full.kind == "full"
    assert snapshot(pg, GOLD) == after
    assert after != {k: before[k] for k in GOLD}, "the rerun must have had something to do"
    assert pg.execute("SELECT count(*) FROM meta.gold_refresh").fetchone()[0] == 3
