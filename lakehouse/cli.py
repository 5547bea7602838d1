"""`lakehouse`: the operator's command line.

Each subcommand imports what it needs when it runs, so `lakehouse --help` is instant and a
missing service only breaks the commands that use it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from lakehouse.settings import SettingsError, get_settings

Handler = Callable[[argparse.Namespace], int]


def _services(args: argparse.Namespace) -> int:
    from lakehouse.local import services

    s = get_settings()
    if args.action == "up":
        timings = services.up(s, with_airflow_components=args.airflow)
        print("services up: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    elif args.action == "down":
        stopped = services.down(s)
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    else:
        for name, state, detail in services.status(s):
            print(f"{name:<24} {state:<5} {detail}")
    return 0


def _spark_conf(args: argparse.Namespace) -> int:
    from lakehouse.spark import render_properties_file

    print(render_properties_file(get_settings()))
    return 0


def _db_init(args: argparse.Namespace) -> int:
    import os

    from lakehouse.db.bootstrap import bootstrap
    from lakehouse.db.migrate import migrate

    s = get_settings()
    admin = os.environ.get("LAKEHOUSE_PG_ADMIN_CONNINFO")
    if not admin:
        from lakehouse.local.postgres import admin_conninfo

        admin = admin_conninfo(s)
    bootstrap(admin, s)
    applied = migrate(s)
    print(f"db init: {len(applied)} migration(s) applied: {', '.join(applied) or 'none pending'}")
    return 0


def _s3_init(args: argparse.Namespace) -> int:
    from lakehouse.s3 import ensure_bucket

    s = get_settings()
    created = ensure_bucket(s)
    print(f"bucket {s.bucket}: {'created' if created else 'exists'}")
    return 0


def _airflow_env(args: argparse.Namespace) -> int:
    import shlex

    from lakehouse.local.airflow import airflow_env

    for key, value in airflow_env(get_settings()).items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    import dataclasses
    from datetime import datetime

    from lakehouse.bronze.ingest import (
        SLOT,
        format_progress,
        format_summary,
        ingest_range,
        parse_utc_arg,
    )

    def utc(text: str) -> datetime:
        try:
            return parse_utc_arg(text)
        except ValueError as exc:
            raise SystemExit(f"error: {exc}") from exc

    s = get_settings()
    if args.source:
        s = dataclasses.replace(s, source=args.source)
    if args.reference:
        from lakehouse.bronze.reference_landing import land_reference

        ref = land_reference(utc(args.at) if args.at else None, settings=s)
        where = ", ".join(ref.keys.values()) or f"nothing landed: {ref.reason}"
        print(
            f"reference from {ref.origin}: {ref.airports} airports, {ref.airlines} airlines; "
            f"{where} ({ref.seconds:.1f}s)"
        )
        return 0

    if args.at:
        start = utc(args.at)
        if (start - start.replace(hour=0, minute=0, second=0, microsecond=0)) % SLOT:
            raise SystemExit(f"error: --at {args.at} is not on the {SLOT} snapshot grid")
        end = start + SLOT
    elif args.from_ and args.to:
        start, end = utc(args.from_), utc(args.to)
        if end <= start:
            raise SystemExit("error: --to must be after --from (the range is [from, to))")
    else:
        raise SystemExit("error: give --at, or --from with --to")
    if s.source == "fr24" and end - start > SLOT:
        print(
            "note: FR24 serves only the live feed: every slot of this range holds the feed "
            "as of its fetch time (fetched_at), under the slot's key"
        )
    summary = ingest_range(
        start, end, settings=s, on_snapshot=lambda *a: print(format_progress(*a), flush=True)
    )
    print(format_summary(summary, s.source))
    if summary.failed:
        print(
            "re-run the same command to fill the failed slots (landed ones are skipped)",
            file=sys.stderr,
        )
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lakehouse.report.build import build_report

    if args.days < 1:
        raise SystemExit(f"error: --days must be at least 1, got {args.days}")
    path = build_report(get_settings(), out=Path(args.out) if args.out else None, days=args.days)
    print(path)
    return 0


def _status(args: argparse.Namespace) -> int:
    import json

    from lakehouse.ops.status import format_status, pipeline_status

    status = pipeline_status(get_settings())
    print(json.dumps(status, default=str, indent=2) if args.json else format_status(status))
    return 0


def _silver_job(job_args: list[str]) -> int:
    from lakehouse.ops.submit import run_job

    print(f"spark-submit lakehouse/silver/job.py {' '.join(job_args)}", flush=True)
    code = run_job("lakehouse.silver.job", job_args, get_settings())
    if code != 0:
        print(
            f"error: the silver job exited with {code}; its log is above. `lakehouse status` "
            "shows which objects failed and why.",
            file=sys.stderr,
        )
    return code


def _backfill(args: argparse.Namespace) -> int:
    """Land any missing bronze snapshots of the range, then (re)process them into silver."""
    from lakehouse.bronze.ingest import format_progress, format_summary, ingest_range

    s = get_settings()
    start, end = _utc_day(args.from_), _utc_day(args.to)
    if end <= start:
        raise SystemExit("error: --to must be after --from (the range is [from, to))")
    summary = ingest_range(
        start, end, settings=s, on_snapshot=lambda *a: print(format_progress(*a), flush=True)
    )
    print(format_summary(summary, s.source))
    code = _silver_job(["--from", f"{start:%Y-%m-%d}", "--to", f"{end:%Y-%m-%d}"])
    if code == 0 and args.gold:
        code = _gold_refresh(full=False)
    return code


def _utc_day(text: str):  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime

    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError as exc:
        raise SystemExit(f"error: {text!r} is not a date (YYYY-MM-DD)") from exc


def _reprocess(args: argparse.Namespace) -> int:
    return _silver_job(["--keys", *args.keys])


def _gold_refresh(*, full: bool) -> int:
    from lakehouse.gold.refresh import refresh_gold

    result = refresh_gold(get_settings(), full=full)
    print(f"gold: {result.summary()}")
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    if args.layer == "silver":
        return _silver_job(["--full-refresh"])
    return _gold_refresh(full=True)


def _docs(args: argparse.Namespace) -> int:
    from lakehouse.silver.quality import build_data_docs

    print(build_data_docs(get_settings()))
    return 0


def _demo(args: argparse.Namespace) -> int:
    import os

    from lakehouse.gold.report import top_rows
    from lakehouse.ops.demo import DemoError, run_demo, say
    from lakehouse.ops.status import format_status, pipeline_status
    from lakehouse.settings import Settings

    os.environ.setdefault("LAKEHOUSE_SIMULATOR_PEAK_AIRBORNE", str(args.peak))
    get_settings.cache_clear()
    s = Settings.from_env()
    try:
        outcome = run_demo(s, hours=args.hours)
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    for table, rows in top_rows(s, limit=5).items():
        print(f"\n== gold.{table} (top 5, latest day) ==")
        for row in rows:
            print("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    print("\n" + format_status(pipeline_status(s)))
    from lakehouse.report.build import build_report
    from lakehouse.silver.quality import data_docs_index

    print(f"\nreport:     {build_report(s)}")
    print(f"data docs:  {data_docs_index(s)}")
    print(
        f"airflow UI: http://127.0.0.1:{s.airflow_port} (running in the background; "
        "`make services-down` stops everything)"
    )
    say(f"done in {outcome['seconds']:.0f}s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lakehouse",
        description="Operate the flights lakehouse: services, ingestion, silver, gold, reports.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("services", help="start, stop or show the local services")
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument(
        "--airflow", action="store_true", help="with `up`: also start the Airflow components"
    )
    p.set_defaults(handler=_services)

    p = sub.add_parser(
        "spark-conf", help="render conf/spark-defaults.conf for spark-submit; print its path"
    )
    p.set_defaults(handler=_spark_conf)

    p = sub.add_parser("db", help="database set-up")
    p.add_argument("action", choices=["init"], help="roles, databases, schemas, migrations")
    p.set_defaults(handler=_db_init)

    p = sub.add_parser("s3", help="object store set-up")
    p.add_argument("action", choices=["init"], help="create the bucket")
    p.set_defaults(handler=_s3_init)

    p = sub.add_parser(
        "ingest", help="land bronze snapshots now or for a past range (backfill), with the ledger"
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--at", help="one snapshot slot, UTC: 2025-09-20T12:00Z")
    when.add_argument("--from", dest="from_", help="first slot of a range (inclusive), UTC")
    p.add_argument("--to", help="end of the range (exclusive), UTC; a bare date means midnight")
    p.add_argument("--source", choices=["simulator", "fr24"], help="default: LAKEHOUSE_SOURCE")
    p.add_argument(
        "--reference",
        action="store_true",
        help="land FR24's airport and airline lists instead (time: --at, default now)",
    )
    p.set_defaults(handler=_ingest)

    p = sub.add_parser(
        "report", help="write a static HTML report of the gold metrics (charts); print its path"
    )
    p.add_argument("--out", help="output file (default: .local/report/index.html)")
    p.add_argument("--days", type=int, default=14, help="days in the airport chart (default 14)")
    p.set_defaults(handler=_report)

    p = sub.add_parser("airflow-env", help="print the Airflow environment as shell exports")
    p.set_defaults(handler=_airflow_env)
    p = sub.add_parser("status", help="ledger by status, backlog, Delta version, sync, freshness")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=_status)

    p = sub.add_parser(
        "backfill", help="land missing bronze for [--from, --to) and (re)process it into silver"
    )
    p.add_argument("--from", dest="from_", required=True, help="first day, YYYY-MM-DD (UTC)")
    p.add_argument("--to", required=True, help="day after the last, YYYY-MM-DD (exclusive)")
    p.add_argument("--no-gold", dest="gold", action="store_false", help="skip the gold refresh")
    p.set_defaults(handler=_backfill)

    p = sub.add_parser("reprocess", help="run the silver job again on these bronze keys")
    p.add_argument("keys", nargs="+", metavar="KEY", help="bronze/YYYY/MM/DD/flights_....json")
    p.set_defaults(handler=_reprocess)

    p = sub.add_parser("rebuild", help="rebuild silver from all of bronze, or gold from silver")
    p.add_argument("layer", choices=["silver", "gold"])
    p.set_defaults(handler=_rebuild)

    p = sub.add_parser("docs", help="rebuild the Great Expectations Data Docs; print their path")
    p.set_defaults(handler=_docs)

    p = sub.add_parser("demo", help="run all three DAGs in the real Airflow on simulated hours")
    p.add_argument("--hours", type=float, default=2.0, help="simulated hours to land (default 2)")
    p.add_argument(
        "--peak", type=int, default=3000, help="simulated flights airborne at peak (default 3000)"
    )
    p.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler: Handler = args.handler
    try:
        return handler(args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
