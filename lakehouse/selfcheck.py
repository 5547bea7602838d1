"""Spark self-check: write a Delta table to the object store over S3A and read it back.

Run by the `lakehouse_selfcheck` DAG (and `spark-submit lakehouse/selfcheck.py PATH`) to prove
that the jars, the Spark settings and the credentials reach a real spark-submit.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write two rows as a Delta table at PATH (s3a://...), read them back, "
        "exit 0 when both come back."
    )
    parser.add_argument(
        "path",
        nargs="?",
        help="s3a:// location of the scratch Delta table (default: s3a://<bucket>/_selfcheck/<uuid>)",
    )
    args = parser.parse_args(argv)

    import uuid

    from lakehouse.settings import get_settings
    from lakehouse.spark import build_session

    if args.path is None:
        args.path = f"s3a://{get_settings().bucket}/_selfcheck/{uuid.uuid4().hex}"
    spark = build_session("lakehouse-selfcheck")
    frame = spark.createDataFrame([(1, "ok"), (2, "ok")], "id INT, status STRING")
    frame.write.format("delta").mode("overwrite").save(args.path)
    count = spark.read.format("delta").load(args.path).count()
    print(f"selfcheck: wrote and read back {count} rows at {args.path}")
    spark.stop()
    return 0 if count == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
