"""A tiny bench run for correctness: every stage runs and its figures hang together.

No timing is asserted (the machine is shared); what is checked is that each stage measured what
it says: the snapshots landed, one new snapshot was processed per growth step, the freshness run
processed exactly one object and gold shows its day, the sync moved every silver row, and Spark
and DuckDB agreed (``compare`` raises otherwise).
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = dict(
    peak_airborne=60, snapshots_per_day=4, history_days=(1, 2, 3), memory_days=2,
    peer_days=(1, 2), bronze_peak_airborne=100, bronze_samples=1, growth_repeats=1,
)  # fmt: skip


@pytest.fixture(scope="module")
def results(settings, services, spark, tmp_path_factory):
    from bench.run import bench_settings, run_bench
    from bench.scale import Scale

    scale = Scale(**TINY)
    work = tmp_path_factory.mktemp("bench")
    s = bench_settings(settings, f"t-{uuid.uuid4().hex[:8]}", work, scale)
    s = dataclasses.replace(s, bucket=settings.bucket)
    out = run_bench(spark, s, scale, work_dir=work, optimisation=True)
    return {**out, "settings": s}


def test_bronze_measures_both_sources_at_the_bronze_scale(results):
    assert results["bronze"]["peak_airborne"] == 100
    for source in ("simulator", "fr24_local_server"):
        b = results["bronze"][source]
        assert b["snapshots"] == 1
        assert b["bytes_per_snapshot"] > 0
        assert b["flights_per_snapshot"] > 0
    # the same simulated world through the real client: the same flights
    assert (
        results["bronze"]["simulator"]["flights_per_snapshot"]
        == results["bronze"]["fr24_local_server"]["flights_per_snapshot"]
    )


def test_growth_times_one_snapshot_at_each_history_size(results):
    g = results["growth"]
    assert [h["days"] for h in g["histories"]] == [1, 2, 3]
    # 4 slots a day; each history's warm-up and timed snapshot take the next two slots, so the
    # next backfill lands two fewer
    assert [h["snapshots"] for h in g["histories"]] == [4, 2, 2]
    rows = [h["one_snapshot"]["history_rows"] for h in g["histories"]]
    assert rows[2] > rows[1] > rows[0] > 0
    assert all(h["one_snapshot"]["repeats"] == 1 for h in g["histories"])
    assert all(h["one_snapshot"]["warm_up"] == 1 for h in g["histories"])
    assert set(g["ratios"]) == {"2d/1d", "3d/1d"}
    base = g["histories"][0]["one_snapshot"]
    last = g["histories"][2]["one_snapshot"]
    for stage in ("silver_s", "sync_s", "gold_s", "total_s"):
        assert g["ratios"]["3d/1d"][stage] == pytest.approx(last[stage] / base[stage], rel=0.01)


def test_memory_is_reported_for_the_backfill_ending_at_memory_days(results):
    m = results["memory_during_backfill"]
    assert (m["from_days"], m["days"], m["snapshots"]) == (1, 2, 2)
    assert m["spark_driver_jvm_peak_rss_mb"] > 0
    assert m["postgres_peak_pss_mb"] > 0
    assert m["samples"] >= 2


def test_freshness_processes_the_landed_object_through_to_gold(results):
    from bench.stages import SILVER_SENSOR_POKE_S

    f = results["freshness"]
    assert f["gold_rows_for_the_day"] > 0
    assert f["jvm_start_to_session_s"] > 0
    parts = ("land_to_launch_s", "jvm_start_to_session_s", "spark_work_s", "sync_s",
             "jvm_shutdown_s", "gold_s")  # fmt: skip
    assert f["measured_land_to_gold_s"] == pytest.approx(sum(f[p] for p in parts), abs=0.05)
    # gold runs on the silver asset: only the silver sensor's poke is added
    assert f["added_gold_trigger_s"] == 0
    assert f["as_shipped_worst_s"] == pytest.approx(
        f["measured_land_to_gold_s"] + SILVER_SENSOR_POKE_S
    )


def test_sync_and_copy_move_the_same_rows(results):
    s = results["sync_vs_copy"]
    assert s["sync"]["rows"] == s["copy"]["rows"] > 0


def test_each_change_is_measured_before_and_after_and_the_shipped_code_restored(results):
    from lakehouse.gold import refresh
    from lakehouse.gold.sql import load
    from lakehouse.silver import merge, quality

    reverted = [f["reverted"] for f in results["freshness_before"]]
    assert reverted == [["flags", "property"], ["flags"]]
    assert all(f["gold_rows_for_the_day"] > 0 for f in results["freshness_before"])
    planner = results["growth"]["gold_planner"]
    assert planner["days"] == 3 and planner["before"]["gold_s"] > 0
    changes = results["optimisation"]["changes"]
    assert len(changes) == 3
    for c in changes:
        expected = c["after"] / c["before"] if c["unit"] == "rows/s" else c["before"] / c["after"]
        assert c["speedup"] == pytest.approx(expected, rel=0.01)
    # the bench swapped the previous versions in and out: the shipped ones are back
    assert quality.with_reference_flags.__module__ == "lakehouse.silver.quality"
    assert merge.table_property.__module__ == "lakehouse.silver.merge"
    assert refresh.load is load


def test_peer_agrees_with_spark_on_both_volumes(results):
    small, large = results["peer"]
    assert small["snapshots"] == 4 and large["snapshots"] == 8
    assert large["clean"] > small["clean"] > 0
    assert large["raw"] == large["clean"] + large["quarantined"] + large["duplicates"]


def test_report_renders_every_row(results):
    from bench.report import render_markdown

    text = render_markdown(
        {**results, "run_id": "t", "finished_at": "now", "wall_s": 60.0,
         "machine": {"cpus": 2, "cpu_model": "x", "memory_gb": 1, "platform": "p",
                     "python": "3.11", "load_average_at_start": [0], "load_average_at_end": [0]}}
    )  # fmt: skip
    assert "| Sync rows/s over COPY rows/s |" in text
    assert text.count("| Growth, one new snapshot") == 8  # 2 ratios x 4 stages
    assert "| Growth, one new snapshot, gold refresh: 3d/1d |" in text
    assert text.count("| Optimisation:") == 3
