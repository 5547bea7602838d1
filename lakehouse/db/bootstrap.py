"""Create the roles, databases and schemas the lakehouse needs; idempotent, run as a superuser.

Ownership is split on purpose: schemas belong to ``lakehouse_owner`` (no login), so the pipeline's
writer role can create and change tables inside them but can never drop a schema; the reader role
sees ``gold`` and nothing else. Passwords come from settings, which read them from the environment.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from lakehouse.settings import Settings

log = logging.getLogger(__name__)

OWNER_ROLE = "lakehouse_owner"
SCHEMAS = ("meta", "silver", "gold")


def _ensure_role(cur: psycopg.Cursor, name: str, password: str | None) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    exists = cur.fetchone() is not None
    verb = "ALTER" if exists else "CREATE"
    if password is None:
        cur.execute(sql.SQL(verb + " ROLE {} NOLOGIN").format(sql.Identifier(name)))
    else:
        cur.execute(
            sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            )
        )


def _ensure_database(cur: psycopg.Cursor, name: str, owner: str) -> None:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if cur.fetchone() is None:
        cur.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )
        log.info("created database %s", name)


def bootstrap(admin_conninfo: str, settings: Settings) -> None:
    """Roles and databases (cluster level), then schemas and grants in the lakehouse database."""
    writer, reader = settings.pg_writer_user, settings.pg_reader_user
    with psycopg.connect(admin_conninfo, autocommit=True) as conn, conn.cursor() as cur:
        _ensure_role(cur, OWNER_ROLE, None)
        _ensure_role(cur, writer, settings.require("pg_writer_password"))
        _ensure_role(cur, reader, settings.require("pg_reader_password"))
        _ensure_role(cur, settings.pg_airflow_user, settings.require("pg_airflow_password"))
        _ensure_database(cur, settings.pg_database, OWNER_ROLE)
        _ensure_database(cur, settings.pg_airflow_database, settings.pg_airflow_user)

    lakehouse_db = psycopg.conninfo.make_conninfo(admin_conninfo, dbname=settings.pg_database)
    ident = sql.Identifier
    with psycopg.connect(lakehouse_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident(settings.pg_database))
        )
        cur.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(
                ident(settings.pg_database), ident(writer), ident(reader)
            )
        )
        cur.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for schema in SCHEMAS:
            cur.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                    ident(schema), ident(OWNER_ROLE)
                )
            )
            cur.execute(
                sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(
                    ident(schema), ident(writer)
                )
            )
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA gold TO {}").format(ident(reader)))
        # Tables the writer creates in gold are readable by the reader; nothing else is.
        cur.execute(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA gold GRANT SELECT ON TABLES TO {}"
            ).format(ident(writer), ident(reader))
        )
    log.info("bootstrap done: roles %s, %s; schemas %s", writer, reader, ", ".join(SCHEMAS))
