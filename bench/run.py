"""One bench run: set up an isolated database and prefixes, run every stage, collect one dict."""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from bench import peer, stages
from bench.memory import peak_memory
from bench.scale import Scale
from lakehouse.settings import Settings

log = logging.getLogger("bench")

BENCH_DATABASE = "lakehouse_bench"


def bench_settings(base: Settings, run_id: str, work_dir: Path, scale: Scale) -> Settings:
    """``base`` with the run's own object prefixes, simulator size and Data Docs folder."""
    return dataclasses.replace(
        base,
        bronze_prefix=f"bench/{run_id}/bronze",
        silver_prefix=f"bench/{run_id}/silver",
        simulator_peak_airborne=scale.peak_airborne,
        data_docs_dir=str(work_dir / "data_docs"),
    )


def start_spark(settings: Settings) -> SparkSession:
    """The in-process session: local[2] and the shipped conf/spark-defaults.conf, no UI."""
    from lakehouse.spark import build_session

    return build_session(
        "lakehouse-bench", master="local[2]", settings=settings,
        extra_conf={"spark.ui.enabled": "false"},
    )  # fmt: skip


def machine() -> dict[str, Any]:
    import psutil

    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_model": _cpu_model(),
        "load_average_at_start": [round(x, 2) for x in load],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_bench(
    spark: SparkSession,
    settings: Settings,
    scale: Scale,
    *,
    work_dir: Path,
    optimisation: bool = True,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Every stage in order; the returned dict is what results/latest.json holds.

    ``settings`` must already carry the run's prefixes (``bench_settings``) and point at a
    database the bench may empty. ``checkpoint(results_so_far)`` is called after each stage,
    so a run cut short (a busy machine, a timeout) still leaves what it measured.
    """

    def done(stage: str) -> None:
        if checkpoint is not None:
            checkpoint({**out, "completed_through": stage})

    bench = stages.Bench(settings, spark, scale, optimisation=optimisation)
    stages.reset_database(settings)
    started = time.perf_counter()
    out: dict[str, Any] = {"scale": dataclasses.asdict(scale)}

    log.info("bench 1/6: bronze")
    out["bronze"] = stages.measure_bronze(bench)

    done("bronze")
    out["growth"] = measure_growth(bench, out)

    done("growth")
    log.info("bench 3/6: freshness (spark-submit of the silver job)")
    out["freshness"] = stages.measure_freshness(bench)

    if optimisation:
        for revert in FRESHNESS_REVERTS:
            log.info("bench 3/6: freshness with %s undone (before figure)", "+".join(revert))
            out.setdefault("freshness_before", []).append(
                stages.measure_freshness(bench, revert=revert)
            )

    done("freshness")
    log.info("bench 4/6: peer (DuckDB) on the same bronze files")
    per_day = scale.snapshots_per_day
    # landed_keys is in calendar order, and the first N days' slots were all landed by the
    # history builds (the growth snapshots come after each history), so a prefix is N days.
    local = peer.download(
        settings, bench.landed_keys[: max(scale.peer_days) * per_day], work_dir / "bronze"
    )
    out["peer"] = [
        peer.compare(spark, settings, local[: days * per_day], f"{days} day(s)")
        for days in scale.peer_days
    ]

    done("peer")
    log.info("bench 5/6: Postgres sync against COPY")
    sync = stages.measure_sync_rate(bench)
    copy = stages.measure_copy_rate(settings)
    out["sync_vs_copy"] = {
        "sync": sync,
        "copy": copy,
        "sync_over_copy": round(sync["rows_per_s"] / copy["rows_per_s"], 3),
        "target_ratio_at_least": 0.5,
    }
    done("sync_vs_copy")
    if optimisation:
        out["optimisation"] = optimisations(out)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def measure_growth(bench: stages.Bench, out: dict[str, Any]) -> dict[str, Any]:
    """One new snapshot timed at each history size; ratios against the first (the baseline).

    The history is built in backfills (1 day, then up to 7, then up to 30, by default); peak
    memory is sampled during every backfill and the one ending at ``memory_days`` is reported.
    """
    scale = bench.scale
    histories = []
    for days in scale.history_days:
        log.info("bench 2/6: growth, backfill to %d day(s) of history", days)
        with peak_memory(bench.settings) as sampler:
            history = stages.build_history(bench, days)
        history["memory"] = sampler.result()
        if days == scale.memory_days:
            out["memory_during_backfill"] = {
                "days": days,
                "from_days": histories[-1]["days"] if histories else 0,
                "snapshots": history["snapshots"],
                "raw_rows": history["raw_rows"],
                **history["memory"],
            }
        log.info("bench 2/6: growth, one new snapshot on %d day(s) of history", days)
        history["one_snapshot"] = stages.measure_one_snapshot(bench)
        histories.append(history)
    planner = None
    if bench.optimisation:
        log.info("bench 2/6: gold refresh with the default planner costs (before figure)")
        planner = {
            "days": scale.history_days[-1],
            "before": stages.process_one_snapshot(bench, revert=("gold_planner",)),
            "after": stages.process_one_snapshot(bench),
        }
    baseline = histories[0]["one_snapshot"]
    return {
        "gold_planner": planner,
        "baseline_days": scale.baseline_days,
        "histories": histories,
        "ratios": {
            f"{h['days']}d/{scale.baseline_days}d": stages.growth_ratios(
                baseline, h["one_snapshot"]
            )
            for h in histories[1:]
        },
        "target_ratio_at_most": 1.3,
    }


#: Freshness runs with this round's silver changes undone (names from bench.before), each with
#: the label its before/after row carries: both together, then the reference flags alone (the
#: larger of the two).
FRESHNESS_REVERTS: dict[tuple[str, ...], str] = {
    ("flags", "property"): "both silver changes: reference flags and property read",
    ("flags",): "quality gate reference flags: broadcast join, not Column.isin over Py4J",
}


def _change(
    change: str, measure: str, before: float, after: float, unit: str, detail: str
) -> dict[str, Any]:
    """One before/after pair; ``speedup`` > 1 means the change made it faster."""
    faster = after / before if unit == "rows/s" else before / after
    return {
        "change": change, "measure": measure, "before": round(before, 4),
        "after": round(after, 4), "unit": unit, "speedup": round(faster, 3), "detail": detail,
    }  # fmt: skip


def optimisations(out: dict[str, Any]) -> dict[str, Any]:
    """The before/after pairs measured in this run, from the stages' results."""
    changes = []
    shipped = out["freshness"]["measured_land_to_gold_s"]
    for before in out.get("freshness_before", []):
        changes.append(_change(
            FRESHNESS_REVERTS[tuple(before["reverted"])],
            "freshness, land -> gold (spark-submit of one snapshot)",
            before["measured_land_to_gold_s"], shipped, "s",
            f"Spark work {before['spark_work_s']:.1f} -> {out['freshness']['spark_work_s']:.1f} s, "
            f"sync {before['sync_s']:.1f} -> {out['freshness']['sync_s']:.1f} s",
        ))  # fmt: skip
    planner = out["growth"].get("gold_planner")
    if planner:
        changes.append(_change(
            "gold refresh: SET LOCAL random_page_cost = 1.1, not the server's 4.0",
            f"incremental gold refresh of one new snapshot at {planner['days']} days",
            planner["before"]["gold_s"], planner["after"]["gold_s"], "s",
            "two consecutive snapshots, the first with the previous planner costs",
        ))  # fmt: skip
    return {
        "description": (
            "Each change of this round measured against the code it replaced, in this run: the "
            "previous version is kept in `bench/before.py` and swapped in for the before figure "
            "(freshness: a spark-submit of its own, on a snapshot of its own). Speed-up > 1: "
            "the change made it faster."
        ),
        "changes": changes,
    }


def main(scale: Scale, *, optimisation: bool = True, write_doc: bool = True) -> dict[str, Any]:
    """`make bench`: its own database (lakehouse_bench) and prefixes, then the report files."""
    from bench import report
    from lakehouse.local import objectstore, postgres
    from lakehouse.settings import get_settings

    wall_started = time.perf_counter()
    os.environ["LAKEHOUSE_PG_DATABASE"] = BENCH_DATABASE
    get_settings.cache_clear()
    base = Settings.from_env()
    postgres.start(base)  # idempotent: creates, bootstraps and migrates lakehouse_bench
    objectstore.start(base)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="lakehouse-bench-") as tmp:
        settings = bench_settings(base, run_id, Path(tmp), scale)
        info = machine()
        spark_started = time.perf_counter()
        spark = start_spark(settings)
        spark_s = time.perf_counter() - spark_started
        try:
            results = run_bench(
                spark, settings, scale, work_dir=Path(tmp), optimisation=optimisation,
                checkpoint=lambda partial: report.write_json(
                    {"run_id": run_id, "partial": True, "machine": info, **partial}
                ),
            )  # fmt: skip
        finally:
            spark.stop()
    results = {
        "run_id": run_id,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**info, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "in_process_session_start_s": round(spark_s, 2),
        "database": BENCH_DATABASE,
        "prefixes": [settings.bronze_prefix, settings.silver_prefix],
        **results,
        "wall_s": round(time.perf_counter() - wall_started, 1),
    }
    report.write_json(results)
    if write_doc:
        report.write_markdown(results)
    return results
