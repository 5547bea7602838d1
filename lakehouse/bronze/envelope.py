"""The bronze envelope: one snapshot's API responses, kept byte for byte, in one JSON line.

Bronze promises the responses exactly as received (docs/data-contracts.md). JSON parsers are
free to reorder keys and reformat numbers, so each body is embedded as a JSON *string* holding
its raw text (or base64 when the bytes are not UTF-8) next to the sha256 of those bytes: anyone
can prove that what silver parsed is what the API sent.

Everything here is pure (bytes in, bytes out); writing to S3 and the ledger live elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

ENVELOPE_VERSION = 1
SOURCES = ("fr24", "simulator")
FEED_META_KEYS = frozenset({"full_count", "version", "stats"})


class EnvelopeError(ValueError):
    """An envelope cannot be built or read as the data contract describes it."""


@dataclass(frozen=True)
class RawResponse:
    """One HTTP response as received: what was asked (url + params) and the body bytes."""

    url: str
    params: Mapping[str, str]
    status: int
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """Everything one scheduled fetch produced, ready to become one bronze object.

    A source returns a snapshot whole or raises: there is no partial snapshot.
    """

    source: str
    snapshot_time: datetime
    fetched_at: datetime
    client_package: str
    client_version: str
    responses: tuple[RawResponse, ...] = field(default_factory=tuple)

    @property
    def flight_count(self) -> int:
        """Raw rows over all responses (the ledger's ``flight_count``)."""
        return count_flights(self.responses)

    @property
    def key(self) -> str:
        """The bronze key under the default prefix; use ``snapshot_key`` for another prefix."""
        return snapshot_key(self.snapshot_time)

    def to_envelope(self) -> bytes:
        """The bronze object's bytes."""
        return build_envelope(
            self.source,
            self.snapshot_time,
            self.fetched_at,
            self.client_package,
            self.client_version,
            self.responses,
        )


@dataclass(frozen=True)
class Envelope:
    """A parsed envelope (tools and tests); bodies are back to their raw bytes."""

    envelope_version: int
    source: str
    snapshot_time: datetime
    fetched_at: datetime
    client_package: str
    client_version: str
    responses: tuple[RawResponse, ...]

    @property
    def flight_count(self) -> int:
        return count_flights(self.responses)


def require_utc(value: datetime, name: str = "snapshot_time") -> datetime:
    """Return ``value`` if it is timezone-aware with a zero UTC offset, else raise.

    Keys and envelope times are UTC by contract; a naive datetime would be read in the
    machine's local zone somewhere downstream, so it is refused rather than guessed.
    """
    if not isinstance(value, datetime):
        raise EnvelopeError(f"{name} must be a datetime, got {type(value).__name__}")
    offset = value.utcoffset()
    if offset is None:
        raise EnvelopeError(
            f"{name}={value.isoformat()} is naive; pass an aware UTC datetime, "
            "e.g. datetime(2025, 9, 20, 12, 0, tzinfo=UTC) or the DAG's data_interval_start"
        )
    if offset != timedelta(0):
        raise EnvelopeError(
            f"{name}={value.isoformat()} is not UTC (offset {offset}); convert it with "
            ".astimezone(UTC) first"
        )
    return value


def _require_whole_minute(value: datetime) -> None:
    if value.second or value.microsecond:
        raise EnvelopeError(
            f"snapshot_time={value.isoformat()} is not on a whole minute; bronze keys name the "
            "scheduled minute (flights_YYYYMMDD_HHMM), pass the schedule's time, not the clock"
        )


def format_snapshot_time(value: datetime) -> str:
    """``2025-09-20T12:00:00Z``: the envelope's and the ledger's spelling."""
    require_utc(value)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_fetched_at(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds: ``2025-09-20T12:00:03.123Z``."""
    require_utc(value, "fetched_at")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_utc(text: str) -> datetime:
    """Inverse of the two formatters above."""
    if not text.endswith("Z"):
        raise EnvelopeError(f"{text!r} is not a UTC time ending in 'Z'")
    try:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    except ValueError as exc:
        raise EnvelopeError(f"{text!r} is not ISO 8601") from exc


def snapshot_key(snapshot_time: datetime, prefix: str = "bronze") -> str:
    """``bronze/YYYY/MM/DD/flights_YYYYMMDD_HHMM.json`` for a scheduled snapshot time.

    The key is the snapshot's identity (written once, never replaced), so it must come from the
    schedule: naive, non-UTC and off-minute times are rejected instead of rounded.
    """
    require_utc(snapshot_time)
    _require_whole_minute(snapshot_time)
    t = snapshot_time.astimezone(UTC)
    prefix = prefix.strip("/")
    head = f"{prefix}/" if prefix else ""
    return f"{head}{t:%Y/%m/%d}/flights_{t:%Y%m%d_%H%M}.json"


def _encode_body(body: bytes) -> tuple[str, str]:
    try:
        return "utf-8", body.decode("utf-8")
    except UnicodeDecodeError:
        return "base64", base64.b64encode(body).decode("ascii")


def build_envelope(
    source: str,
    snapshot_time: datetime,
    fetched_at: datetime,
    client_package: str,
    client_version: str,
    responses: Iterable[RawResponse],
) -> bytes:
    """The envelope of docs/data-contracts.md as one line of UTF-8 JSON (no trailing newline).

    Deterministic: the same arguments always give the same bytes, so a re-run of a snapshot
    can be compared with what already landed.
    """
    if source not in SOURCES:
        raise EnvelopeError(f"source={source!r}; expected one of {SOURCES}")
    _require_whole_minute(require_utc(snapshot_time))
    items = []
    for index, response in enumerate(responses):
        if not isinstance(response.body, bytes | bytearray):
            raise EnvelopeError(f"response {index}: body must be bytes, not a parsed object")
        body = bytes(response.body)
        encoding, text = _encode_body(body)
        items.append(
            {
                "index": index,
                "request": {"url": response.url, "params": dict(response.params)},
                "status": int(response.status),
                "sha256": hashlib.sha256(body).hexdigest(),
                "body_encoding": encoding,
                "body": text,
            }
        )
    document = {
        "envelope_version": ENVELOPE_VERSION,
        "source": source,
        "snapshot_time": format_snapshot_time(snapshot_time),
        "fetched_at": format_fetched_at(fetched_at),
        "client": {"package": client_package, "version": client_version},
        "responses": items,
    }
    # ensure_ascii=False keeps bodies readable and compact; json escapes every control
    # character (newlines included), so the document stays on one line.
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_envelope(data: bytes) -> Envelope:
    """Read an envelope back, verifying every body against its sha256."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(f"not a JSON envelope: {exc}") from exc
    if not isinstance(document, dict):
        raise EnvelopeError("envelope must be a JSON object")
    try:
        version = document["envelope_version"]
        if version != ENVELOPE_VERSION:
            raise EnvelopeError(f"envelope_version {version!r} is not supported")
        responses = []
        for position, item in enumerate(document["responses"]):
            if item["index"] != position:
                raise EnvelopeError(f"response {position} carries index {item['index']}")
            if item["body_encoding"] == "utf-8":
                body = item["body"].encode("utf-8")
            elif item["body_encoding"] == "base64":
                body = base64.b64decode(item["body"], validate=True)
            else:
                raise EnvelopeError(f"response {position}: unknown body_encoding")
            if hashlib.sha256(body).hexdigest() != item["sha256"]:
                raise EnvelopeError(f"response {position}: body does not match its sha256")
            request = item["request"]
            responses.append(
                RawResponse(request["url"], dict(request["params"]), int(item["status"]), body)
            )
        client = document["client"]
        return Envelope(
            envelope_version=version,
            source=document["source"],
            snapshot_time=parse_utc(document["snapshot_time"]),
            fetched_at=parse_utc(document["fetched_at"]),
            client_package=client["package"],
            client_version=client["version"],
            responses=tuple(responses),
        )
    except (KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise EnvelopeError(f"envelope does not follow the data contract: {exc!r}") from exc


def count_body_flights(body: bytes) -> int:
    """Raw rows in one live-feed body: every key except ``full_count``, ``version``, ``stats``.

    A body that is not a JSON object holds no rows (sources never accept such a body into a
    snapshot, but tools may count anything). Invalid UTF-8 is read with U+FFFD replacement,
    exactly as silver reads it, so the ledger and silver count the same rows.
    """
    try:
        document = json.loads(body.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        return 0
    if not isinstance(document, dict):
        return 0
    return sum(1 for key in document if key not in FEED_META_KEYS)


def count_flights(responses: Iterable[RawResponse]) -> int:
    """Raw rows over a snapshot's responses; a flight seen by two tiles counts twice."""
    return sum(count_body_flights(response.body) for response in responses)
