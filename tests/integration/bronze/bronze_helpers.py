"""Read-back helpers shared by the bronze tests."""

from __future__ import annotations

import psycopg

from lakehouse.bronze.ledger import LedgerRow


def ledger_rows(pg: psycopg.Connection, prefix: str) -> dict[str, LedgerRow]:
    """The committed ledger rows whose key starts with ``prefix``, by key."""
    from psycopg.rows import class_row

    columns = ", ".join(LedgerRow.__dataclass_fields__)
    with pg.cursor(row_factory=class_row(LedgerRow)) as cur:
        cur.execute(
            f"SELECT {columns} FROM meta.bronze_objects WHERE starts_with(key, %s)", (prefix,)
        )
        return {row.key: row for row in cur.fetchall()}


def stored_objects(client, bucket: str, prefix: str) -> dict[str, dict]:
    """Every object under ``prefix``: key -> {ETag, Size, LastModified}."""
    out: dict[str, dict] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = {k: obj[k] for k in ("ETag", "Size", "LastModified")}
    return out
