"""Apply the SQL migrations in ``lakehouse/migrations`` in order, once each, as the writer role.

Each file runs in its own transaction together with its row in ``meta.schema_migrations``, so a
failed migration leaves no trace and the next run retries it. A file already applied whose text
changed is an error: migrations are append-only.
"""

from __future__ import annotations

import hashlib
import logging
from importlib import resources
from typing import LiteralString

import psycopg

from lakehouse.settings import Settings

log = logging.getLogger(__name__)

_LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    name        text PRIMARY KEY,
    sha256      text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


def migration_files() -> list[tuple[str, LiteralString]]:
    """(name, text) of every shipped migration, in name order (the order they apply in).

    The files ship inside the package and are never built from input, so their text is as
    trusted as a literal in code (the type says so, for psycopg).
    """
    folder = resources.files("lakehouse") / "migrations"
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    migrations: list[tuple[str, LiteralString]] = []
    for p in files:
        text: LiteralString = p.read_text(encoding="utf-8")
        migrations.append((p.name, text))
    return migrations


def migrate(settings: Settings) -> list[str]:
    """Apply pending migrations; return the names applied."""
    applied_now: list[str] = []
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        conn.execute(_LEDGER_DDL)
        conn.commit()
        rows = conn.execute("SELECT name, sha256 FROM meta.schema_migrations").fetchall()
        done: dict[str, str] = dict(rows)
        for name, text in migration_files():
            digest = hashlib.sha256(text.encode()).hexdigest()
            if name in done:
                if done[name] != digest:
                    raise RuntimeError(
                        f"migration {name} changed after it was applied; add a new migration "
                        "file instead of editing an applied one"
                    )
                continue
            with conn.transaction():
                conn.execute(text)
                conn.execute(
                    "INSERT INTO meta.schema_migrations (name, sha256) VALUES (%s, %s)",
                    (name, digest),
                )
            applied_now.append(name)
            log.info("applied migration %s", name)
    return applied_now
