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

    bench = stages.Bench(settings, spark, scale)
    stages.reset_database(settings)
    started = time.perf_counter()
    out: dict[str, Any] = {"scale": dataclasses.asdict(scale)}

    log.info("bench 1/6: bronze")
    out["bronze"] = stages.measure_bronze(bench)

    done("bronze")
    log.info("bench 2/6: growth, small history (%d day(s))", scale.small_days)
    small_history = stages.build_history(bench, scale.small_days)
    small = stages.measure_one_snapshot(bench)
    log.info("bench 2/6: growth, large history (%d day(s)); the largest backfill", scale.large_days)
    with peak_memory(settings) as sampler:
        large_history = stages.build_history(bench, scale.large_days)
    out["memory_during_largest_backfill"] = {
        "snapshots": large_history["snapshots"],
        **sampler.result(),
    }
    large = stages.measure_one_snapshot(bench)
    out["growth"] = {
        "small_history": {**small_history, **{"one_snapshot": small}},
        "large_history": {**large_history, **{"one_snapshot": large}},
        "large_over_small": stages.growth_ratios(small, large),
        "target_ratio_at_most": 1.3,
    }

    done("growth")
    log.info("bench 3/6: freshness (spark-submit of the silver job)")
    out["freshness"] = stages.measure_freshness(bench)

    done("freshness")
    log.info("bench 4/6: peer (DuckDB) on the same bronze files")
    per_day = scale.snapshots_per_day
    keys_small = bench.landed_keys[: scale.small_days * per_day]
    keys_large = bench.landed_keys[: scale.large_days * per_day]
    local = peer.download(settings, keys_large, work_dir / "bronze")
    out["peer"] = [
        peer.compare(spark, settings, local[: len(keys_small)], f"{scale.small_days} day(s)"),
        peer.compare(spark, settings, local, f"{scale.large_days} day(s)"),
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
        log.info("bench 6/6: optimisation, JDBC batch size")
        out["optimisation"] = measure_jdbc_batch_sizes(bench, sync)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


#: Candidate JDBC batch sizes tried against the shipped one (lakehouse.silver.sync).
BATCH_SIZES = (1_000, 50_000)


def measure_jdbc_batch_sizes(bench: stages.Bench, shipped: dict[str, Any]) -> dict[str, Any]:
    """The same full sync with other JDBC batch sizes, against the shipped size's run above."""
    tried = [stages.measure_sync_rate(bench, jdbc_batch_size=size) for size in BATCH_SIZES]
    return {
        "knob": "lakehouse.silver.sync.JDBC_BATCH_SIZE",
        "shipped": shipped,
        "tried": tried,
        "speedup_over_shipped": {
            str(t["jdbc_batch_size"]): round(t["rows_per_s"] / shipped["rows_per_s"], 3)
            for t in tried
        },
    }


def main(scale: Scale, *, optimisation: bool = True, write_doc: bool = True) -> dict[str, Any]:
    """`make bench`: its own database (lakehouse_bench) and prefixes, then the report files."""
    from bench import report
    from lakehouse.local import objectstore, postgres
    from lakehouse.settings import get_settings

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
    }
    report.write_json(results)
    if write_doc:
        report.write_markdown(results)
    return results
