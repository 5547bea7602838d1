"""Landing hand-made bronze objects: envelopes around hostile bodies, and objects that are no
envelope at all (put directly, with the ledger row a careless writer might have recorded)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import psycopg

VALID = ["4CA1D2", 51.47, -0.45, 90, 3000, 200, "", "T-1", "A320", "G-ABCD",
         1758416400, "LHR", "JFK", "BA117", 0, 0, "BAW117", 0, "BAW"]  # fmt: skip


def flight(**changes: object) -> list[object]:
    """A valid 19-element array with positions replaced: ``flight(p1="abc")``."""
    row = list(VALID)
    for name, value in changes.items():
        row[int(name[1:])] = value
    return row


def land_envelope(settings, at: datetime, body: bytes, *, source: str = "fr24") -> str:
    """Wrap ``body`` (raw bytes, kept verbatim) in an envelope; land it and record it."""
    from lakehouse.bronze.envelope import RawResponse, build_envelope, snapshot_key
    from lakehouse.bronze.ledger import entry_for_object, record_objects
    from lakehouse.bronze.writer import put_once
    from lakehouse.s3 import s3_client

    data = build_envelope(
        source, at, at + timedelta(seconds=5), "FlightRadarAPI", "1.6.3",
        [RawResponse("http://fr24.test/feed", {"bounds": "90,-90,-180,180"}, 200, body)],
    )  # fmt: skip
    key = snapshot_key(at, settings.bronze_prefix)
    assert put_once(s3_client(settings), settings.bucket, key, data).created
    record_objects([entry_for_object(key, data)], settings=settings)
    return key


def land_raw_object(settings, at: datetime, data: bytes) -> str:
    """Put bytes that are no valid envelope, and record a ledger row by hand (as a buggy
    writer or an operator registering an object by hand would)."""
    from lakehouse.bronze.envelope import snapshot_key
    from lakehouse.s3 import s3_client

    key = snapshot_key(at, settings.bronze_prefix)
    s3_client(settings).put_object(Bucket=settings.bucket, Key=key, Body=data)
    with psycopg.connect(settings.pg_conninfo("writer"), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO meta.bronze_objects (key, snapshot_time, flight_count, byte_size, sha256) "
            "VALUES (%s, %s, 0, %s, %s)",
            (key, at, len(data), hashlib.sha256(data).hexdigest()),
        )
    return key


def body(entries: dict[str, object], full_count: int | None = None) -> bytes:
    doc = {"full_count": len(entries) if full_count is None else full_count, "version": 4,
           "stats": {}, **entries}  # fmt: skip
    return json.dumps(doc).encode()


def ledger_rows(settings) -> dict[str, tuple]:
    """key -> (status, attempts, error, flight_count, raw, clean, quarantined, duplicates)."""
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        rows = conn.execute(
            "SELECT key, status, attempts, error, flight_count, raw_rows, clean_rows, "
            "quarantined_rows, duplicate_rows FROM meta.bronze_objects "
            "WHERE starts_with(key, %s) ORDER BY key",
            (settings.bronze_prefix,),
        ).fetchall()
    return {r[0]: r[1:] for r in rows}
