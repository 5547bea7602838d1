"""`python -m bench` (what `make bench` runs): measure, then write the JSON and the doc."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys

from bench.scale import QUICK, Scale, parse_days


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark bronze, silver, sync, gold, freshness and a DuckDB peer on this "
        "machine, in the lakehouse_bench database under a run-private prefix. Writes "
        "bench/results/latest.json and docs/benchmarks.md.",
    )
    p.add_argument("--quick", action="store_true", help="a tiny run, to check the bench itself")
    p.add_argument(
        "--scale", type=int, default=None, help="peak airborne flights of the history's simulator"
    )
    p.add_argument(
        "--history-days", type=parse_days, default=None, metavar="D1,D2,...",
        help="history sizes in simulated days, baseline first (default 1,7,30)",
    )  # fmt: skip
    p.add_argument(
        "--memory-days", type=int, default=None,
        help="report peak memory of the backfill ending at this history size (default 7)",
    )  # fmt: skip
    p.add_argument(
        "--peer-days", type=parse_days, default=None, metavar="D1,D2,...",
        help="history sizes the DuckDB peer runs on (default 1,7)",
    )  # fmt: skip
    p.add_argument(
        "--bronze-scale", type=int, default=None,
        help="peak airborne flights for the bronze stage (default 12000)",
    )  # fmt: skip
    p.add_argument(
        "--snapshots-per-day", type=int, default=None, help="simulated snapshots per day"
    )
    p.add_argument(
        "--no-doc", dest="doc", action="store_false", help="write the JSON only, not the doc"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("py4j", "great_expectations", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    scale = QUICK if args.quick else Scale()
    changes = {
        "peak_airborne": args.scale,
        "history_days": args.history_days,
        "memory_days": args.memory_days,
        "peer_days": args.peer_days,
        "bronze_peak_airborne": args.bronze_scale,
        "snapshots_per_day": args.snapshots_per_day,
    }
    scale = dataclasses.replace(scale, **{k: v for k, v in changes.items() if v is not None})
    from bench.run import main as run_main

    results = run_main(scale, write_doc=args.doc)
    from bench.report import summary_lines

    print("\n".join(summary_lines(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
