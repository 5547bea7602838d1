"""Ingest under outages and crashes: a clear error, nothing half-written, success once back.

The object store outage is injected by pointing the ingest at a closed port rather than stopping
the shared versitygw: from the client's side both are "connection refused", and other people's
tests keep their object store. Postgres down is injected the same way (a closed port).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from datetime import UTC, datetime

import botocore.exceptions
import psycopg
import pytest

pytestmark = pytest.mark.integration

T0 = datetime(2025, 9, 22, 6, 0, tzinfo=UTC)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # released on close: nothing listens there


def _ledger_keys(settings) -> list[str]:
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        rows = conn.execute(
            "SELECT key FROM meta.bronze_objects WHERE starts_with(key, %s) ORDER BY key",
            (settings.bronze_prefix,),
        ).fetchall()
    return [r[0] for r in rows]


def _bucket_keys(settings) -> list[str]:
    from lakehouse.bronze.writer import list_keys
    from lakehouse.s3 import s3_client

    return sorted(list_keys(s3_client(settings), settings.bucket, settings.bronze_prefix + "/"))


def test_object_store_down_fails_clearly_writes_nothing_and_the_rerun_lands(rel_settings):
    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.s3 import s3_client

    s = rel_settings
    down = dataclasses.replace(s, s3_endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    client = s3_client(down, timeout_s=2.0)
    with pytest.raises(botocore.exceptions.EndpointConnectionError, match=r"127\.0\.0\.1"):
        ingest_snapshot(T0, settings=down, client=client)
    assert _bucket_keys(s) == [] and _ledger_keys(s) == []

    outcome = ingest_snapshot(T0, settings=s)  # the service is back
    assert outcome.created and outcome.registered and outcome.flight_count > 0
    assert _bucket_keys(s) == _ledger_keys(s) == [outcome.key]


def test_postgres_down_after_the_write_is_repaired_by_reconcile(rel_settings):
    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.bronze.ledger import entry_for_object, get_rows
    from lakehouse.bronze.reconcile import reconcile
    from lakehouse.bronze.writer import read_object
    from lakehouse.s3 import s3_client

    s = rel_settings
    down = dataclasses.replace(s, pg_port=_closed_port())
    with pytest.raises(psycopg.OperationalError, match="connection"):
        ingest_snapshot(T0, settings=down)
    key = _bucket_keys(s)[0]
    assert _ledger_keys(s) == []  # the object landed, its row did not: the gap reconcile closes

    result = reconcile([T0.date()], settings=s)
    assert result.registered == [key]
    (row,) = get_rows([key], settings=s)
    entry = entry_for_object(key, read_object(s3_client(s), s.bucket, key))
    assert (row.sha256, row.byte_size, row.flight_count, row.status) == (
        entry.sha256, entry.byte_size, entry.flight_count, "landed",
    )  # fmt: skip
    again = ingest_snapshot(T0, settings=s)  # a retry of the task after recovery
    assert not again.created and not again.registered
    assert _bucket_keys(s) == _ledger_keys(s) == [key]


def test_a_crash_between_object_write_and_ledger_write_is_registered_by_reconcile(rel_settings):
    """Simulated by running only the first half of the ingest (the DAG's land task)."""
    from lakehouse.bronze.ingest import land_snapshot
    from lakehouse.bronze.ledger import get_rows
    from lakehouse.bronze.reconcile import reconcile_interval
    from lakehouse.settings import get_settings

    s = rel_settings
    landed = land_snapshot(T0, settings=s)
    assert landed.created and _ledger_keys(s) == []
    # the DAG's reconcile task reads the process settings: run it the same way
    get_settings.cache_clear()
    saved = os.environ.get("LAKEHOUSE_BRONZE_PREFIX")
    os.environ["LAKEHOUSE_BRONZE_PREFIX"] = s.bronze_prefix
    try:
        out = reconcile_interval(T0)
    finally:
        if saved is None:
            os.environ.pop("LAKEHOUSE_BRONZE_PREFIX")
        else:
            os.environ["LAKEHOUSE_BRONZE_PREFIX"] = saved
        get_settings.cache_clear()
    assert out["registered"] == [landed.key]
    (row,) = get_rows([landed.key], settings=s)
    assert row.flight_count == landed.entry.flight_count and row.sha256 == landed.entry.sha256


def test_fr24_budget_exhausted_lands_nothing_and_says_so(rel_settings):
    from lakehouse.bronze.fr24_server import Fr24Server, slow
    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.bronze.source import SnapshotBudgetExceeded

    with Fr24Server(seed=5, peak_airborne=200, cap=300, time=T0) as server:
        s = dataclasses.replace(
            server.settings(rel_settings), source="fr24", fr24_snapshot_budget_s=0.6,
            fr24_timeout_s=30.0, fr24_max_retries=3,
        )  # fmt: skip
        server.enqueue(slow(5.0))
        with pytest.raises(SnapshotBudgetExceeded, match="budget"):
            ingest_snapshot(T0, settings=s)
    assert _bucket_keys(rel_settings) == [] and _ledger_keys(rel_settings) == []


def test_fr24_body_short_of_its_full_count_is_tiled_and_lands_every_flight(rel_settings):
    from lakehouse.bronze.envelope import parse_envelope
    from lakehouse.bronze.fr24_server import Fr24Server, short_body
    from lakehouse.bronze.ingest import ingest_snapshot
    from lakehouse.bronze.writer import read_object
    from lakehouse.s3 import s3_client

    with Fr24Server(seed=5, peak_airborne=200, cap=300, time=T0) as server:
        s = dataclasses.replace(
            server.settings(rel_settings), source="fr24", fr24_response_cap=300,
            fr24_max_retries=3,
        )  # fmt: skip
        server.enqueue(short_body(keep=0))  # the first tile claims flights but holds none
        outcome = ingest_snapshot(T0, settings=s)
        want = set(server.simulator.flights_at(T0).ids)
    envelope = parse_envelope(read_object(s3_client(s), s.bucket, outcome.key))
    got = {
        k
        for r in envelope.responses
        for k in json.loads(r.body)
        if k not in ("full_count", "version", "stats")
    }
    assert len(envelope.responses) > 1 and got == want
