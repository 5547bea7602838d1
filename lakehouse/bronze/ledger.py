"""The bronze ledger, ``meta.bronze_objects``: one row per bronze object and its silver fate.

Bronze writes a row after an object lands (``record_objects``); the reconcile step writes the
rows a crash left out. Silver picks work (``pending_objects``, ``keys_between`` for a
reprocessing range, ``unprocessed_among`` for a sensor), claims it (``mark_processing``), and
closes it with its accounting (``mark_processed``) or an error (``mark_failed``). Status moves
``landed -> processing -> processed | failed``; a failed or a crashed (stuck ``processing``) row
can be claimed again, and ``attempts`` counts the claims.

Every function takes either ``settings`` (it opens, commits and closes its own connection) or
``conn`` (it runs inside the caller's transaction and leaves the commit to the caller), so a
caller can make several ledger moves atomic.

Inserts are idempotent (``ON CONFLICT DO NOTHING``): the ledger describes immutable objects, so
the first row written for a key is as true as any later one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row

from lakehouse.bronze.envelope import format_fetched_at, format_snapshot_time, parse_envelope
from lakehouse.bronze.envelope import parse_utc as _parse_utc
from lakehouse.db.connect import connect
from lakehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

STATUSES = ("landed", "processing", "processed", "failed")
#: Longest ``error`` text kept; a stack trace belongs in the task log, the ledger keeps the gist.
MAX_ERROR_CHARS = 4000


class LedgerError(RuntimeError):
    """A ledger move that would break the status rules (e.g. closing a row another batch owns)."""


@dataclass(frozen=True)
class LedgerEntry:
    """What bronze knows about one landed object: the ledger row's bronze columns."""

    key: str
    snapshot_time: datetime
    fetched_at: datetime | None
    source: str | None
    flight_count: int
    byte_size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (times as ISO 8601 UTC), for XCom and logs."""
        data = asdict(self)
        data["snapshot_time"] = format_snapshot_time(self.snapshot_time)
        data["fetched_at"] = format_fetched_at(self.fetched_at) if self.fetched_at else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LedgerEntry:
        fetched = data.get("fetched_at")
        return cls(
            key=str(data["key"]),
            snapshot_time=_parse_utc(str(data["snapshot_time"])),
            fetched_at=_parse_utc(str(fetched)) if fetched else None,
            source=data.get("source"),
            flight_count=int(data["flight_count"]),
            byte_size=int(data["byte_size"]),
            sha256=str(data["sha256"]),
        )


@dataclass(frozen=True)
class RowCounts:
    """Silver's accounting for one object: raw = clean + quarantined + duplicates."""

    raw: int
    clean: int
    quarantined: int
    duplicates: int

    def __post_init__(self) -> None:
        values = (self.raw, self.clean, self.quarantined, self.duplicates)
        if min(values) < 0:
            raise ValueError(f"row counts cannot be negative: {self}")
        if self.raw != self.clean + self.quarantined + self.duplicates:
            raise ValueError(
                f"raw={self.raw} != clean {self.clean} + quarantined {self.quarantined} + "
                f"duplicates {self.duplicates}: a row was lost or counted twice"
            )


@dataclass(frozen=True)
class LedgerRow:
    """One ``meta.bronze_objects`` row, every column."""

    key: str
    snapshot_time: datetime
    fetched_at: datetime | None
    source: str | None
    flight_count: int
    byte_size: int
    sha256: str
    status: str
    attempts: int
    error: str | None
    processed_at: datetime | None
    silver_version: int | None
    silver_batch_id: str | None
    raw_rows: int | None
    clean_rows: int | None
    quarantined_rows: int | None
    duplicate_rows: int | None
    landed_at: datetime
    updated_at: datetime


_COLUMNS = ", ".join(LedgerRow.__dataclass_fields__)


def entry_for_object(key: str, data: bytes) -> LedgerEntry:
    """The ledger entry of a stored object, read from its own envelope.

    Raises ``EnvelopeError`` when the bytes are not a valid envelope (a body that does not
    match its sha256 included): such an object must be looked at, not registered.
    """
    envelope = parse_envelope(data)
    return LedgerEntry(
        key=key,
        snapshot_time=envelope.snapshot_time,
        fetched_at=envelope.fetched_at,
        source=envelope.source,
        flight_count=envelope.flight_count,
        byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


@contextmanager
def _transaction(
    settings: Settings | None, conn: psycopg.Connection | None
) -> Iterator[psycopg.Connection]:
    if conn is not None:
        yield conn
        return
    with connect("writer", settings or get_settings()) as own:
        yield own


def record_objects(
    entries: Iterable[LedgerEntry],
    *,
    settings: Settings | None = None,
    conn: psycopg.Connection | None = None,
) -> list[str]:
    """Insert a ``landed`` row per entry unless the key is already there; the inserted keys."""
    rows = [
        (e.key, e.snapshot_time, e.fetched_at, e.source, e.flight_count, e.byte_size, e.sha256)
        for e in entries
    ]
    if not rows:
        return []
    inserted: list[str] = []
    with _transaction(settings, conn) as c, c.cursor() as cur:
        for row in rows:
            cur.execute(
                "INSERT INTO meta.bronze_objects (key, snapshot_time, fetched_at, source, "
                "flight_count, byte_size, sha256) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (key) DO NOTHING RETURNING key",
                row,
            )
            hit = cur.fetchone()
            if hit is not None:
                inserted.append(hit[0])
    return inserted


def known_keys(
    keys: Iterable[str],
    *,
    settings: Settings | None = None,
    conn: psycopg.Connection | None = None,
) -> set[str]:
    """The subset of ``keys`` the ledger already holds."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    with _transaction(settings, conn) as c:
        found = c.execute(
            "SELECT key FROM meta.bronze_objects WHERE key = ANY(%s)", (wanted,)
        ).fetchall()
    return {row[0] for row in found}


def get_rows(
    keys: Iterable[str],
    *,
    settings: Settings | None = None,
    conn: psycopg.Connection | None = None,
) -> list[LedgerRow]:
    """The rows for ``keys`` (missing keys are simply absent), ordered by key."""
    wanted = list(dict.fromkeys(keys))
    with _transaction(settings, conn) as c, c.cursor(row_factory=class_row(LedgerRow)) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM meta.bronze_objects WHERE key = ANY(%s) ORDER BY key",
            (wanted,),
        )
        return cur.fetchall()


def unprocessed_among(
    settings: Settings | None,
    keys: Iterable[str],
    *,
    conn: psycopg.Connection | None = None,
) -> list[str]:
    """The keys among ``keys`` silver has not absorbed yet, sorted.

    A key the ledger does not know counts as unprocessed: it landed but its row is not written
    yet (``reconcile`` will write it), so it is still work for silver.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return []
    with _transaction(settings, conn) as c:
        done = c.execute(
            "SELECT key FROM meta.bronze_objects WHERE key = ANY(%s) AND status = 'processed'",
            (wanted,),
        ).fetchall()
    processed = {row[0] for row in done}
    return [k for k in wanted if k not in processed]


def keys_between(
    settings: Settings | None,
    date_from: date | None,
    date_to: date | None,
    *,
    conn: psycopg.Connection | None = None,
) -> list[str]:
    """Every ledger key whose snapshot falls on ``date_from`` or later and before ``date_to``.

    Dates are UTC days; ``None`` leaves that end open (both ``None``: the whole ledger). Any
    status: this is how a reprocessing run or a backfill of silver picks its objects. Ordered
    by snapshot time, then key.
    """
    where, params = ["TRUE"], []
    if date_from is not None:
        where.append("snapshot_time >= %s")
        params.append(datetime.combine(date_from, time.min, UTC))
    if date_to is not None:
        where.append("snapshot_time < %s")
        params.append(datetime.combine(date_to, time.min, UTC))
    with _transaction(settings, conn) as c:
        rows = c.execute(
            f"SELECT key FROM meta.bronze_objects WHERE {' AND '.join(where)} "
            "ORDER BY snapshot_time, key",
            params,
        ).fetchall()
    return [row[0] for row in rows]


def pending_objects(
    settings: Settings | None = None,
    limit: int = 96,
    *,
    max_attempts: int | None = None,
    stale_after: timedelta | None = None,
    conn: psycopg.Connection | None = None,
) -> list[LedgerRow]:
    """Rows silver still has to absorb, oldest snapshot first, at most ``limit``.

    Pending means ``landed`` or ``failed`` (a failed object is retried by the next batch;
    ``max_attempts`` leaves out rows that have already been claimed that often). With
    ``stale_after``, a row left ``processing`` for longer than that (its batch crashed before
    closing it) is pending too: silver's MERGE makes absorbing an object twice harmless.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    where = ["status IN ('landed', 'failed')"]
    params: list[Any] = []
    if stale_after is not None:
        where[0] = (
            "(status IN ('landed', 'failed') OR "
            "(status = 'processing' AND updated_at < now() - %s))"
        )
        params.append(stale_after)
    if max_attempts is not None:
        where.append("attempts < %s")
        params.append(max_attempts)
    params.append(limit)
    query = (
        f"SELECT {_COLUMNS} FROM meta.bronze_objects WHERE {' AND '.join(where)} "
        "ORDER BY snapshot_time, key LIMIT %s"
    )
    with _transaction(settings, conn) as c, c.cursor(row_factory=class_row(LedgerRow)) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def mark_processing(
    keys: Sequence[str],
    batch_id: str,
    *,
    reprocess: bool = False,
    settings: Settings | None = None,
    conn: psycopg.Connection | None = None,
) -> list[str]:
    """Claim ``keys`` for silver batch ``batch_id``; the keys actually claimed, sorted.

    Claims rows that are not ``processed`` (``reprocess=True`` claims processed ones too, for
    a deliberate re-run), bumps ``attempts`` and clears the last error. Keys that are unknown
    or not claimable are left out of the result: the caller must process only what it got.
    """
    if not batch_id:
        raise ValueError("batch_id is required")
    statuses = list(STATUSES) if reprocess else ["landed", "processing", "failed"]
    with _transaction(settings, conn) as c:
        claimed = c.execute(
            "UPDATE meta.bronze_objects SET status = 'processing', silver_batch_id = %s, "
            "attempts = attempts + 1, error = NULL, updated_at = now() "
            "WHERE key = ANY(%s) AND status = ANY(%s) RETURNING key",
            (batch_id, list(keys), statuses),
        ).fetchall()
    result = sorted(row[0] for row in claimed)
    log.info("ledger: batch %s claimed %d of %d object(s)", batch_id, len(result), len(keys))
    return result


def mark_processed(
    per_key_counts: Mapping[str, RowCounts],
    batch_id: str,
    version: int | None,
    *,
    settings: Settings | None = None,
    conn: psycopg.Connection | None = None,
) -> list[str]:
    """Close the batch's rows as ``processed`` with their accounting and the Delta version.

    All or nothing: every key must be ``processing`` under ``batch_id``; otherwise nothing
    changes and ``LedgerError`` names the keys (another batch re-claimed them, or they were
    never claimed). ``version`` is the ``flights_clean`` version that absorbed the rows (None
    when the batch committed nothing, e.g. every row was quarantined).
    """
    if not per_key_counts:
        return []
    keys = sorted(per_key_counts)
    counts = [per_key_counts[k] for k in keys]
    with _transaction(settings, conn) as c, c.transaction():
        closed = c.execute(
            "UPDATE meta.bronze_objects AS b SET status = 'processed', "
            "processed_at = now(), updated_at = now(), silver_version = %s, error = NULL, "
            "raw_rows = n.raw, clean_rows = n.clean, quarantined_rows = n.quarantined, "
            "duplicate_rows = n.duplicates "
            "FROM unnest(%s::text[], %s::int[], %s::int[], %s::int[], %s::int[]) "
            "AS n(key, raw, clean, quarantined, duplicates) "
            "WHERE b.key = n.key AND b.status = 'processing' AND b.silver_batch_id = %s "
            "RETURNING b.key",
            (
                version,
                keys,
                [n.raw for n in counts],
                [n.clean for n in counts],
                [n.quarantined for n in counts],
                [n.duplicates for n in counts],
                batch_id,
            ),
        ).fetchall()
        missing = sorted(set(keys) - {row[0] for row in closed})
        if missing:
            raise LedgerError(
                f"batch {batch_id} does not hold {len(missing)} object(s) it tried to close "
                f"(first: {missing[:3]}); nothing was marked processed. Another batch may "
                "have re-claimed them: check meta.bronze_objects.silver_batch_id"
            )
    log.info(
        "ledger: batch %s closed %d object(s) at silver version %s: %d raw rows",
        batch_id,
        len(keys),
        version,
        sum(n.raw for n in counts),
    )
    return keys


def mark_failed(
    keys: Sequence[str],
    error: str,
    *,
    batch_id: str | None = None,
    settings: Settings | None = None,
    conn: psycopg.Connection | None = None,
) -> list[str]:
    """Mark ``keys`` ``failed`` with ``error`` (say what to do next); the keys marked, sorted.

    Processed rows are never marked failed. With ``batch_id``, only rows that batch holds are
    touched, so a late failure report cannot overwrite a newer batch's claim.
    """
    if not error:
        raise ValueError("error is required: say what failed and what to do next")
    text = error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 3] + "..."
    query = (
        "UPDATE meta.bronze_objects SET status = 'failed', error = %s, updated_at = now() "
        "WHERE key = ANY(%s) AND status <> 'processed'"
    )
    params: list[Any] = [text, list(keys)]
    if batch_id is not None:
        query += " AND silver_batch_id = %s"
        params.append(batch_id)
    with _transaction(settings, conn) as c:
        marked = c.execute(query + " RETURNING key", params).fetchall()
    result = sorted(row[0] for row in marked)
    log.warning("ledger: %d object(s) marked failed: %s", len(result), text.splitlines()[0])
    return result
