"""Incremental refreshes: only changed days, late data moving flights, always == a full rebuild."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, date, datetime, timedelta

import gold_oracle as oracle
import psycopg
import pytest
from gold_oracle import Obs, obs
from gold_silver_io import sync_batch

from lakehouse.gold.refresh import refresh_gold

pytestmark = pytest.mark.integration

D1, D2 = date(2025, 9, 20), date(2025, 9, 21)


def test_late_earlier_observation_moves_the_flight_to_its_new_date(settings, silver, gold_now):
    silver.sync([obs("f1", "2025-09-21 00:10", "AMS", "JFK", "KLM", 300)])
    assert refresh_gold(settings).days == (D2,)
    silver.sync([obs("f1", "2025-09-20 23:55", "AMS", "JFK", "KLM", 200)])  # lands late

    result = refresh_gold(settings)

    assert result.kind == "incremental"
    assert result.days == (D1, D2)  # the old date must lose the flight, the new one gain it
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert gold["daily_flight_counts"] == {("AMS", D1, 1, 0, 1), ("JFK", D1, 0, 1, 1)}
    assert gold["average_speed_by_airline"] == {("KLM", D1, 250, 2, 1)}


def test_only_the_days_of_changed_flights_are_recomputed(settings, silver, gold_now):
    silver.sync(
        [
            obs("f1", "2025-09-20 22:00", "AMS", "JFK", "KLM", 400),
            obs("f2", "2025-09-21 09:00", "CDG", "JFK", "AFR", 400),
        ]
    )
    refresh_gold(settings)
    # f1 keeps flying past midnight and learns a new destination: still a D1 flight
    silver.sync([obs("f1", "2025-09-21 01:00", "AMS", "BOS", "KLM", 420)])

    result = refresh_gold(settings)

    assert (result.changed_flights, result.days) == (1, (D1,))
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert ("AMS", "BOS", D1, 1, 1) in gold["busiest_routes"]


def test_nothing_changed_recomputes_nothing(settings, silver, gold_now):
    silver.sync([obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400)])
    refresh_gold(settings)
    before = gold_now()

    result = refresh_gold(settings)

    assert (result.kind, result.changed_flights, result.days, result.rows_written) == (
        "incremental",
        0,
        (),
        0,
    )
    assert gold_now() == before


def test_duplicate_rows_synced_again_leave_gold_unchanged(settings, silver, gold_now):
    batch = [
        obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400),
        obs("f1", "2025-09-20 10:05", "AMS", "JFK", "KLM", 410),
    ]
    silver.sync(batch)
    refresh_gold(settings)
    before = gold_now()

    silver.sync(batch)  # the same bronze object processed again
    result = refresh_gold(settings)

    assert result.days == (D1,)
    assert gold_now() == before == oracle.gold(silver.all())


def test_deleted_observations_leave_gold(settings, silver, gold_now):
    first = obs("f1", "2025-09-20 23:50", "AMS", "JFK", "KLM", 400)
    only = obs("f2", "2025-09-20 12:00", "CDG", "JFK", "AFR", 300)
    silver.sync([first, obs("f1", "2025-09-21 00:20", "AMS", "JFK", "KLM", 500), only])
    refresh_gold(settings)

    silver.delete([first, only])  # f1 now starts on D2; f2 has no observation left
    result = refresh_gold(settings)

    assert result.days == (D1, D2)
    gold = gold_now()
    assert gold == oracle.gold(silver.all())
    assert gold["flights"] == {("f1", D2, "AMS", "JFK", "KLM")}


def test_truncating_silver_makes_the_next_refresh_a_full_rebuild(settings, silver, pg, gold_now):
    silver.sync([obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400)])
    refresh_gold(settings)
    pg.execute("TRUNCATE silver.flights_clean")  # row triggers do not fire on TRUNCATE
    silver.rows.clear()

    result = refresh_gold(settings)

    assert (result.kind, result.reason) == ("full", "silver.flights_clean was truncated")
    assert gold_now() == oracle.gold([]) == {t: set() for t in oracle.gold([])}
    assert refresh_gold(settings).kind == "incremental"


def test_refresh_is_recorded_in_meta(settings, silver, pg):
    silver.sync(
        [
            obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400),
            obs("f2", "2025-09-21 10:00", "AMS", None, None, 400),
        ]
    )
    result = refresh_gold(settings)

    row = pg.execute(
        "SELECT kind, reason, changed_flights, days, rows_written, silver_latest_observed_at "
        "FROM meta.gold_refresh WHERE refresh_id = %s",
        (result.refresh_id,),
    ).fetchone()
    # D1: AMS + JFK counts, KLM speed, AMS-JFK route; D2: AMS counts only
    assert row == (
        "incremental",
        "changes since the last refresh",
        2,
        [D1, D2],
        5,
        datetime(2025, 9, 21, 10, 0, tzinfo=UTC),
    )
    assert result.rows_written == 5 and result.days_recomputed == 2


def test_sync_committing_during_a_refresh_is_picked_up_by_the_next(settings, silver, gold_now):
    early = [obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400)]
    late_commit = [obs("f2", "2025-09-20 11:00", "CDG", "JFK", "AFR", 300)]
    with psycopg.connect(settings.pg_conninfo("writer")) as slow_sync:
        # A sync that started first (and, with a sequence, would have drawn the lower number)
        # but commits after a faster sync and after a refresh.
        sync_batch(slow_sync, late_commit)
        silver.sync(early)
        refresh_gold(settings)
        assert gold_now() == oracle.gold(early)
        slow_sync.commit()
    silver.remember(late_commit)

    result = refresh_gold(settings)

    assert result.changed_flights == 1
    assert gold_now() == oracle.gold(silver.all())


def test_refresh_waiting_for_another_sees_data_committed_while_it_waited(
    settings, silver, gold_now
):
    batch = [obs("f1", "2025-09-20 10:00", "AMS", "JFK", "KLM", 400)]
    with psycopg.connect(settings.pg_conninfo("writer")) as other_refresh:
        other_refresh.execute("LOCK TABLE meta.gold_refresh IN SHARE ROW EXCLUSIVE MODE")
        waiting = threading.Thread(target=refresh_gold, args=(settings,))
        waiting.start()
        time.sleep(0.5)  # the refresh is now blocked on the lock
        silver.sync(batch)  # commits while it waits
        other_refresh.commit()
        waiting.join(timeout=30)
    assert not waiting.is_alive()
    assert gold_now() == oracle.gold(silver.all())


def _traffic(rng: random.Random, flights: int) -> list[Obs]:
    """Flights over three days, many crossing midnight, with codes that come and go."""
    airports = ["AMS", "JFK", "LHR", "CDG", "ZZZ"]
    airlines = ["KLM", "DLH", "BAW", None]
    rows = []
    for i in range(flights):
        day = datetime(2025, 9, 20, tzinfo=UTC) + timedelta(days=rng.randrange(3))
        if i % 4 == 0:  # first seen just before midnight, next seen an hour later
            t, steps = day + timedelta(hours=24, minutes=-rng.randint(1, 50)), [60]
        else:
            t, steps = day + timedelta(minutes=rng.randrange(24 * 60)), []
        origin, destination = rng.choice(airports), rng.choice(airports)
        airline = rng.choice(airlines)
        for n in range(rng.randint(2, 8)):
            rows.append(
                Obs(
                    f"f{i:03d}",
                    t,
                    rng.choice([origin, origin, origin, None, rng.choice(airports)]),
                    rng.choice([destination, destination, None]),
                    rng.choice([airline, airline, None]),
                    rng.choice([None, *range(0, 1201, 7)]),
                    rng.choice([0, 0, 0, 1, None]),
                )
            )
            t += timedelta(minutes=steps[n] if n < len(steps) else rng.randint(5, 180))
    return rows


def _bronze_files(rng: random.Random, rows: list[Obs]) -> list[list[Obs]]:
    """Rows cut into snapshot-like batches, then made messy the way real deliveries are."""
    first = {}
    for o in sorted(rows, key=lambda o: o.observed_at):
        first.setdefault(o.flight_id, o)
    held_back = [o for o in first.values() if int(o.flight_id[1:]) % 4 == 0]  # will land last
    on_time = [o for o in rows if o not in held_back]
    files: dict[datetime, list[Obs]] = {}
    for o in on_time:
        window = o.observed_at.replace(minute=o.observed_at.minute // 30 * 30)
        files.setdefault(window, []).append(o)
    batches = [files[k] for k in sorted(files)]
    for i in range(0, len(batches) - 1, 3):  # out of order: swap neighbours
        batches[i], batches[i + 1] = batches[i + 1], batches[i]
    for _ in range(len(batches) // 3):  # duplicates: a file delivered twice, some rows revised
        again = list(rng.choice(batches))
        again[0] = again[0].but(ground_speed_kt=rng.randrange(1201), origin_iata="LHR")
        batches.insert(rng.randrange(len(batches)), again)
    batches.append(held_back)
    return batches


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_refreshes_equal_the_oracle_and_a_full_rebuild(
    settings, silver, gold_now, seed
):
    rng = random.Random(seed)
    *batches, held_back = _bronze_files(rng, _traffic(rng, flights=60))
    for batch in batches:
        silver.sync(batch)
        if rng.random() < 0.6:  # sometimes several syncs happen between two refreshes
            result = refresh_gold(settings)
            assert result.kind == "incremental"
            assert gold_now() == oracle.gold(silver.all())
    refresh_gold(settings)
    dates_before = {f.flight_id: f.flight_date for f in oracle.flights(silver.all()).values()}
    silver.sync(held_back)  # the flights' first observations, late
    dates_after = {f.flight_id: f.flight_date for f in oracle.flights(silver.all()).values()}
    late = {o.flight_id for o in held_back}
    moved = {f for f in late if f in dates_before and dates_before[f] != dates_after[f]}

    result = refresh_gold(settings)

    assert len(moved) >= 10, "the late rows should move flights to an earlier date"
    touched = {dates_before[f] for f in late if f in dates_before} | {dates_after[f] for f in late}
    assert set(result.days) == touched
    incremental = gold_now()
    assert incremental == oracle.gold(silver.all())

    full = refresh_gold(settings, full=True)

    assert full.kind == "full"
    assert gold_now() == incremental
    assert len(incremental["busiest_routes"]) > 10  # the data exercised the ranking
