"""Put bronze objects in the bucket exactly once.

Bronze is immutable, so every write is a conditional create (``If-None-Match: *``): the object
store itself refuses to replace a key that exists (HTTP 412), which holds even when two runs
of the same interval race. A refused write is not an error: the key is already landed, and
whatever is stored there is the truth for that snapshot.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json"


class BronzeWriteError(RuntimeError):
    """An object could not be written or read back; the message says what to do next."""


@dataclass(frozen=True)
class WriteResult:
    """What one conditional create did: ``created`` False means the key was already there."""

    key: str
    created: bool
    byte_size: int
    seconds: float


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def put_once(
    client: Any, bucket: str, key: str, body: bytes, *, content_type: str = CONTENT_TYPE
) -> WriteResult:
    """Create ``key`` with ``body`` unless it exists; never replaces an object.

    A 412 answer means the key exists (``created=False``). A 409 means another writer's
    conditional create of the same key is in flight: that is raised, so the task retries and
    then finds the other writer's object.
    """
    started = time.perf_counter()
    try:
        client.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*"
        )
    except ClientError as exc:
        status = _status(exc)
        if status == 412:
            seconds = time.perf_counter() - started
            log.info("bronze: s3://%s/%s already landed; not replaced", bucket, key)
            return WriteResult(key, False, len(body), seconds)
        if status == 409:
            raise BronzeWriteError(
                f"s3://{bucket}/{key}: another writer is creating this key right now (409); "
                "retry in a few seconds: the retry will find its object and leave it be"
            ) from exc
        raise BronzeWriteError(
            f"s3://{bucket}/{key}: put failed with HTTP {status} ({exc}); check the object "
            "store endpoint, credentials and that the bucket exists (`lakehouse s3 init`)"
        ) from exc
    seconds = time.perf_counter() - started
    log.info("bronze: wrote s3://%s/%s, %d bytes in %.2fs", bucket, key, len(body), seconds)
    return WriteResult(key, True, len(body), seconds)


def object_exists(client: Any, bucket: str, key: str) -> bool:
    """True when ``key`` is in the bucket (a HEAD, no body transferred)."""
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _status(exc) == 404:
            return False
        raise BronzeWriteError(
            f"s3://{bucket}/{key}: HEAD failed with HTTP {_status(exc)} ({exc}); check the "
            "object store endpoint and credentials"
        ) from exc
    return True


def read_object(client: Any, bucket: str, key: str) -> bytes:
    """The stored bytes of ``key``."""
    return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())


def list_keys(client: Any, bucket: str, prefix: str) -> Iterator[str]:
    """Every key under ``prefix``, in the store's (lexicographic) order."""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield obj["Key"]
