"""One snapshot from source to ledger, and ranges of them: what the DAG and the CLI run.

A snapshot is fetched whole, written once (conditional create) and then recorded in the ledger.
The key comes from the scheduled time, never the clock, so re-running an interval finds its
object already landed: it is then neither fetched again nor replaced, and the run still
succeeds. If a run dies between the write and the ledger insert, ``reconcile`` repairs it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lakehouse.bronze.envelope import (
    format_fetched_at,
    format_snapshot_time,
    parse_utc,
    require_utc,
    snapshot_key,
)
from lakehouse.bronze.ledger import LedgerEntry, entry_for_object, record_objects
from lakehouse.bronze.source import SnapshotSource, make_source
from lakehouse.bronze.writer import object_exists, put_once, read_object
from lakehouse.s3 import s3_client
from lakehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: The snapshot grid of the default schedule (``*/15 * * * *``); ranges step by it.
SLOT = timedelta(minutes=15)
#: A range stops after this many failures in a row: the service is down, not one snapshot bad.
MAX_CONSECUTIVE_FAILURES = 3


@dataclass(frozen=True)
class LandedSnapshot:
    """The object for one scheduled time, and whether this call created it."""

    entry: LedgerEntry
    created: bool
    fetch_s: float
    write_s: float

    @property
    def key(self) -> str:
        return self.entry.key


@dataclass(frozen=True)
class IngestOutcome:
    """What ingesting one snapshot did; ``error`` set means nothing was landed by this call."""

    snapshot_time: datetime
    key: str
    created: bool = False
    registered: bool = False
    flight_count: int = 0
    byte_size: int = 0
    fetch_s: float = 0.0
    write_s: float = 0.0
    ledger_s: float = 0.0
    seconds: float = 0.0
    error: str | None = None

    @property
    def state(self) -> str:
        """``landed``, ``already landed`` or ``failed``, for progress lines."""
        if self.error is not None:
            return "failed"
        return "landed" if self.created else "already landed"


@dataclass(frozen=True)
class RangeSummary:
    """A multi-snapshot run: every outcome in slot order, and totals."""

    start: datetime
    end: datetime
    outcomes: list[IngestOutcome] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False

    @property
    def landed(self) -> int:
        return sum(1 for o in self.outcomes if o.error is None and o.created)

    @property
    def already_landed(self) -> int:
        return sum(1 for o in self.outcomes if o.error is None and not o.created)

    @property
    def failed(self) -> list[IngestOutcome]:
        return [o for o in self.outcomes if o.error is not None]

    @property
    def registered(self) -> int:
        return sum(1 for o in self.outcomes if o.registered)

    @property
    def flights(self) -> int:
        return sum(o.flight_count for o in self.outcomes if o.created)

    @property
    def bytes(self) -> int:
        return sum(o.byte_size for o in self.outcomes if o.created)


def land_snapshot(
    snapshot_time: datetime,
    *,
    settings: Settings | None = None,
    source: SnapshotSource | None = None,
    client: Any = None,
) -> LandedSnapshot:
    """Fetch and write the snapshot of ``snapshot_time`` unless its object already landed.

    One step on purpose: the snapshot is written whole or not at all. The returned entry
    always describes the *stored* object (re-read when it was already there), so the ledger
    never records bytes that are not in the bucket.
    """
    s = settings or get_settings()
    require_utc(snapshot_time)
    key = snapshot_key(snapshot_time, s.bronze_prefix)
    client = client or s3_client(s)
    started = time.perf_counter()
    if object_exists(client, s.bucket, key):
        entry = entry_for_object(key, read_object(client, s.bucket, key))
        seconds = time.perf_counter() - started
        log.info(
            "bronze %s: already landed (%d flights, %d bytes); not fetched again, %.2fs",
            key,
            entry.flight_count,
            entry.byte_size,
            seconds,
        )
        return LandedSnapshot(entry, False, 0.0, seconds)

    source = source or make_source(s)
    snapshot = source.fetch(snapshot_time)
    body = snapshot.to_envelope()
    fetch_s = time.perf_counter() - started
    written = put_once(client, s.bucket, key, body)
    if written.created:
        entry = LedgerEntry(
            key=key,
            snapshot_time=snapshot.snapshot_time,
            # as the envelope spells it (milliseconds), so ledger and object agree exactly
            fetched_at=parse_utc(format_fetched_at(snapshot.fetched_at)),
            source=snapshot.source,
            flight_count=snapshot.flight_count,
            byte_size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
        )
    else:  # another run landed it between our HEAD and PUT: its object is the truth
        entry = entry_for_object(key, read_object(client, s.bucket, key))
    write_s = time.perf_counter() - started - fetch_s
    log.info(
        "bronze %s: %s, %d flights in %d responses, %d bytes; fetch %.2fs, write %.2fs",
        key,
        "landed" if written.created else "already landed (raced)",
        entry.flight_count,
        len(snapshot.responses),
        entry.byte_size,
        fetch_s,
        write_s,
    )
    return LandedSnapshot(entry, written.created, fetch_s, write_s)


def ingest_snapshot(
    snapshot_time: datetime,
    *,
    settings: Settings | None = None,
    source: SnapshotSource | None = None,
    client: Any = None,
) -> IngestOutcome:
    """Land one snapshot and record it in the ledger (the CLI's unit of work)."""
    s = settings or get_settings()
    started = time.perf_counter()
    landed = land_snapshot(snapshot_time, settings=s, source=source, client=client)
    ledger_started = time.perf_counter()
    inserted = record_objects([landed.entry], settings=s)
    ledger_s = time.perf_counter() - ledger_started
    return IngestOutcome(
        snapshot_time=snapshot_time,
        key=landed.key,
        created=landed.created,
        registered=bool(inserted),
        flight_count=landed.entry.flight_count,
        byte_size=landed.entry.byte_size,
        fetch_s=landed.fetch_s,
        write_s=landed.write_s,
        ledger_s=ledger_s,
        seconds=time.perf_counter() - started,
    )


def snapshot_slots(start: datetime, end: datetime, step: timedelta = SLOT) -> list[datetime]:
    """Every slot of the ``step`` grid with ``start <= slot < end`` (UTC, aligned to midnight)."""
    require_utc(start, "start")
    require_utc(end, "end")
    if step <= timedelta(0) or timedelta(days=1) % step:
        raise ValueError(f"step {step} must divide a day")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    first = midnight + -((midnight - start) // step) * step  # ceil to the grid
    slots = []
    t = first
    while t < end:
        slots.append(t)
        t += step
    return slots


def parse_utc_arg(text: str) -> datetime:
    """A command-line time as aware UTC: ``2025-09-20T12:00Z``, or a bare date (its midnight).

    A time without a zone is refused rather than guessed: bronze keys are UTC.
    """
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO date or time ({exc})") from exc
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no zone; bronze is UTC: write {text}Z")
    return value.astimezone(UTC)


def ingest_range(
    start: datetime,
    end: datetime,
    *,
    settings: Settings | None = None,
    source: SnapshotSource | None = None,
    client: Any = None,
    on_snapshot: Callable[[int, int, IngestOutcome], None] | None = None,
) -> RangeSummary:
    """Ingest every slot in ``[start, end)``, one after another (a backfill).

    A failed snapshot does not stop the range (its outcome carries the error and a re-run
    fills the gap), but ``MAX_CONSECUTIVE_FAILURES`` in a row do: then a service is down.
    ``on_snapshot(position, total, outcome)`` is called after each slot, for progress.
    """
    s = settings or get_settings()
    slots = snapshot_slots(start, end)
    source = source or make_source(s)
    client = client or s3_client(s)
    started = time.perf_counter()
    outcomes: list[IngestOutcome] = []
    streak = 0
    stopped = False
    for position, slot in enumerate(slots, 1):
        slot_started = time.perf_counter()
        try:
            outcome = ingest_snapshot(slot, settings=s, source=source, client=client)
            streak = 0
        except Exception as exc:
            streak += 1
            log.exception("bronze %s: failed", format_snapshot_time(slot))
            outcome = IngestOutcome(
                snapshot_time=slot,
                key=snapshot_key(slot, s.bronze_prefix),
                seconds=time.perf_counter() - slot_started,
                error=f"{type(exc).__name__}: {exc}",
            )
        outcomes.append(outcome)
        if on_snapshot is not None:
            on_snapshot(position, len(slots), outcome)
        if streak >= MAX_CONSECUTIVE_FAILURES and position < len(slots):
            stopped = True
            log.error(
                "bronze range: %d failures in a row, stopping with %d slot(s) left; fix the "
                "cause and run the same range again (landed slots are kept and skipped)",
                streak,
                len(slots) - position,
            )
            break
    summary = RangeSummary(start, end, outcomes, time.perf_counter() - started, stopped)
    log.info(
        "bronze range %s..%s: %d slot(s), %d landed, %d already landed, %d failed; "
        "%d flights, %d bytes in %.1fs",
        format_snapshot_time(start),
        format_snapshot_time(end),
        len(slots),
        summary.landed,
        summary.already_landed,
        len(summary.failed),
        summary.flights,
        summary.bytes,
        summary.seconds,
    )
    return summary


# ---- Airflow task entry points: plain JSON in and out, for XCom ------------------------------


def interval_snapshot_time(data_interval_start: datetime) -> datetime:
    """The snapshot time of a DAG run: its data interval start in UTC, on the whole minute.

    Scheduled runs start on the grid already; a manual run's interval starts at the trigger
    instant, whose seconds a bronze key cannot name.
    """
    if data_interval_start.tzinfo is None:
        raise ValueError("data_interval_start must be timezone-aware")
    t = datetime.fromtimestamp(data_interval_start.timestamp(), UTC)
    return t.replace(second=0, microsecond=0)


def land_interval(data_interval_start: datetime) -> dict[str, Any]:
    """Task: fetch and write the interval's snapshot; returns its ledger entry for the next task."""
    landed = land_snapshot(interval_snapshot_time(data_interval_start))
    return {**landed.entry.to_dict(), "created": landed.created}


def register_landed(landed: Mapping[str, Any]) -> dict[str, Any]:
    """Task: record the entry ``land_interval`` returned; idempotent."""
    entry = LedgerEntry.from_dict(landed)
    inserted = record_objects([entry])
    log.info(
        "ledger %s: %s (%d flights, %d bytes)",
        entry.key,
        "recorded" if inserted else "already recorded",
        entry.flight_count,
        entry.byte_size,
    )
    return {"key": entry.key, "recorded": bool(inserted)}


# ---- progress text for the CLI ------------------------------------------------------------------


def format_progress(position: int, total: int, outcome: IngestOutcome) -> str:
    """One line per snapshot: position, key, what happened, counts and seconds."""
    o = outcome
    width = len(str(total))
    if o.error is not None:
        detail = o.error
    else:
        detail = (
            f"{o.flight_count:>7,} flights {o.byte_size / 1e6:7.2f} MB  "
            f"fetch {o.fetch_s:5.2f}s write {o.write_s:5.2f}s ledger {o.ledger_s:5.2f}s"
        )
    return f"[{position:>{width}}/{total}] {o.key}  {o.state:<14} {detail}  {o.seconds:6.2f}s"


def format_summary(summary: RangeSummary, source: str) -> str:
    """The closing line of a multi-snapshot run."""
    done = len(summary.outcomes)
    per = summary.seconds / done if done else 0.0
    stopped = " (stopped early)" if summary.stopped_early else ""
    return (
        f"{done} snapshot(s) {format_snapshot_time(summary.start)}.."
        f"{format_snapshot_time(summary.end)} from {source}{stopped}: {summary.landed} landed, "
        f"{summary.already_landed} already landed, {len(summary.failed)} failed; "
        f"{summary.registered} ledger row(s) added; {summary.flights:,} flights, "
        f"{summary.bytes / 1e6:.1f} MB in {summary.seconds:.1f}s ({per:.2f}s per snapshot)"
    )
