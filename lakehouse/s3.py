"""The S3 client every module uses: path-style addressing against the configured endpoint."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from lakehouse.settings import Settings, get_settings


def s3_client(settings: Settings | None = None, *, timeout_s: float = 30.0) -> Any:
    """A boto3 S3 client for the lakehouse's object store (versitygw locally, S3 elsewhere)."""
    s = settings or get_settings()
    return boto3.client(
        "s3",
        endpoint_url=s.s3_endpoint_url,
        region_name=s.s3_region,
        aws_access_key_id=s.require("s3_access_key"),
        aws_secret_access_key=s.require("s3_secret_key"),
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"max_attempts": 5, "mode": "standard"},
            # versitygw and most S3-compatible servers accept the classic checksum behaviour only
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def ensure_bucket(settings: Settings | None = None) -> bool:
    """Create the lakehouse bucket if it is missing; True when it was created."""
    s = settings or get_settings()
    client = s3_client(s)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if s.bucket in existing:
        return False
    client.create_bucket(Bucket=s.bucket)
    return True


class ObjectStoreUnavailable(RuntimeError):
    """The object store does not answer; the message names the endpoint and what to do."""


def require_reachable(settings: Settings | None = None, *, timeout_s: float = 5.0) -> None:
    """Fail at once, and say so plainly, when the object store does not answer.

    Spark's S3A client retries a refused connection for minutes and then fails deep inside a
    Py4J trace; one cheap HEAD of the bucket before a job starts turns that into a short error
    that names the endpoint, while nothing has been claimed or written yet.
    """
    s = settings or get_settings()
    try:
        s3_client(s, timeout_s=timeout_s).head_bucket(Bucket=s.bucket)
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
        raise ObjectStoreUnavailable(
            f"the object store at {s.s3_endpoint_url} (bucket {s.bucket}) does not answer: "
            f"{exc}. Nothing was read or written. Start it (`make services-up` locally) or fix "
            "LAKEHOUSE_S3_ENDPOINT_URL, then run the job again."
        ) from exc
