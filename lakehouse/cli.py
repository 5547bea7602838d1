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

    p = sub.add_parser("airflow-env", help="print the Airflow environment as shell exports")
    p.set_defaults(handler=_airflow_env)
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
