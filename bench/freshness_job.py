"""The silver job under spark-submit, with time marks for the freshness benchmark.

Runs exactly what ``lakehouse/silver/job.py`` runs (``job.run`` on the pending objects, then the
Postgres sync) and prints one ``BENCH_MARKS {json}`` line of wall-clock instants, so the parent
can split JVM start-up, Spark work and sync. Started by ``bench.stages.measure_freshness``;
``--revert a,b`` runs it with those changes undone (``bench.before``), for before/after figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import time

from bench.before import reverted
from lakehouse.settings import get_settings
from lakehouse.silver import job
from lakehouse.silver.sync import sync_all
from lakehouse.spark import build_session


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/freshness_job.py")
    parser.add_argument("--revert", default="", help="comma-separated names from bench.before")
    revert = [name for name in parser.parse_args().revert.split(",") if name]
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    spark = build_session("lakehouse-silver-bench", settings=settings)
    marks: dict[str, float] = {"session_ready": time.time()}
    try:
        with reverted(*revert):
            args = job.build_parser().parse_args(["--no-sync"])
            args.batch_size = settings.silver_batch_size
            results = job.run(spark, settings, args)
            marks["spark_done"] = time.time()
            sync_all(spark, settings)
            marks["sync_done"] = time.time()
            marks["objects"] = sum(len(r.keys) for r in results)
    finally:
        spark.stop()
    print("BENCH_MARKS " + json.dumps(marks), flush=True)


if __name__ == "__main__":
    main()
