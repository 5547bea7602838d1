"""`python -m bench` (what `make bench` runs): measure, then write the JSON and the doc."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys

from bench.scale import QUICK, Scale


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark bronze, silver, sync, gold, freshness and a DuckDB peer on this "
        "machine, in the lakehouse_bench database under a run-private prefix. Writes "
        "bench/results/latest.json and docs/benchmarks.md.",
    )
    p.add_argument("--quick", action="store_true", help="a tiny run (about 5 minutes)")
    p.add_argument("--scale", type=int, default=None, help="peak airborne flights of the simulator")
    p.add_argument("--days", type=int, default=None, help="the large history H2, in days")
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
        "large_days": args.days,
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
