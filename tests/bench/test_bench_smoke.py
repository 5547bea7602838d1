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
    peak_airborne=60, snapshots_per_day=4, small_days=1, large_days=2, bronze_samples=1,
    growth_repeats=1,
)  # fmt: skip


@pytest.fixture(scope="module")
def results(settings, services, spark, tmp_path_factory):
    from bench.run import bench_settings, run_bench
    from bench.scale import Scale

    scale = Scale(**TINY)
    work = tmp_path_factory.mktemp("bench")
    s = bench_settings(settings, f"t-{uuid.uuid4().hex[:8]}", work, scale)
    s = dataclasses.replace(s, bucket=settings.bucket)
    return run_bench(spark, s, scale, work_dir=work, optimisation=False)


def test_bronze_measures_both_sources(results):
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


def test_growth_compares_one_snapshot_at_two_history_sizes(results):
    g = results["growth"]
    assert g["small_history"]["snapshots"] == 4
    assert g["large_history"]["snapshots"] == 3  # slot 4 was the small history's new snapshot
    small, large = g["small_history"]["one_snapshot"], g["large_history"]["one_snapshot"]
    assert large["history_rows"] > small["history_rows"] > 0
    assert set(g["large_over_small"]) == {"silver_s", "sync_s", "gold_s", "total_s"}


def test_freshness_processes_the_landed_object_through_to_gold(results):
    f = results["freshness"]
    assert f["gold_rows_for_the_day"] > 0
    assert f["jvm_start_to_session_s"] > 0
    assert f["as_shipped_worst_s"] == pytest.approx(f["measured_land_to_gold_s"] + 10 + 3600)


def test_sync_and_copy_move_the_same_rows(results):
    s = results["sync_vs_copy"]
    assert s["sync"]["rows"] == s["copy"]["rows"] > 0


def test_peer_agrees_with_spark_on_both_volumes(results):
    small, large = results["peer"]
    assert small["snapshots"] == 4 and large["snapshots"] == 8
    assert large["clean"] > small["clean"] > 0
    assert large["raw"] == large["clean"] + large["quarantined"] + large["duplicates"]


def test_report_renders_every_row(results):
    from bench.report import render_markdown

    text = render_markdown(
        {**results, "run_id": "t", "finished_at": "now",
         "machine": {"cpus": 2, "cpu_model": "x", "memory_gb": 1, "platform": "p",
                     "python": "3.11", "load_average_at_start": [0], "load_average_at_end": [0]}}
    )  # fmt: skip
    assert "| Sync rows/s over COPY rows/s |" in text
    assert text.count("Growth, one new snapshot") == 4
