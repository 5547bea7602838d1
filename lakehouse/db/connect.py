"""psycopg connections for the lakehouse's roles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from lakehouse.settings import Settings, get_settings


@contextmanager
def connect(
    role: str = "writer", settings: Settings | None = None, *, autocommit: bool = False
) -> Iterator[psycopg.Connection]:
    """A connection as ``role`` (writer, reader or airflow); committed on success.

    Without autocommit the block is one transaction: it commits when the block ends and rolls
    back if it raises, so callers get all-or-nothing writes for free.
    """
    s = settings or get_settings()
    with psycopg.connect(s.pg_conninfo(role), autocommit=autocommit, connect_timeout=10) as conn:
        yield conn
