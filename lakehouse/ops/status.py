"""`lakehouse status`: where the pipeline stands, from Postgres alone (no Spark start)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg

from lakehouse.settings import Settings


def pipeline_status(settings: Settings) -> dict[str, Any]:
    with psycopg.connect(settings.pg_conninfo("writer")) as conn:
        by_status: dict[str, int] = dict(
            conn.execute(
                "SELECT status, count(*) FROM meta.bronze_objects GROUP BY status ORDER BY 1"
            ).fetchall()
        )
        oldest_pending, newest = conn.execute(
            "SELECT min(snapshot_time) FILTER (WHERE status <> 'processed'), max(snapshot_time) "
            "FROM meta.bronze_objects"
        ).fetchone() or (None, None)
        accounting = conn.execute(
            "SELECT coalesce(sum(raw_rows), 0), coalesce(sum(clean_rows), 0), "
            "coalesce(sum(quarantined_rows), 0), coalesce(sum(duplicate_rows), 0), "
            "max(silver_version) FROM meta.bronze_objects WHERE status = 'processed'"
        ).fetchone()
        syncs = conn.execute(
            "SELECT table_name, delta_version, synced_at FROM meta.sync_state ORDER BY 1"
        ).fetchall()
        failed = conn.execute(
            "SELECT key, attempts, left(error, 160) FROM meta.bronze_objects "
            "WHERE status = 'failed' ORDER BY snapshot_time DESC LIMIT 5"
        ).fetchall()
        freshness = None
        if conn.execute("SELECT to_regclass('gold.freshness')").fetchone() != (None,):
            cur = conn.execute("SELECT * FROM gold.freshness")
            row = cur.fetchone()
            if row is not None and cur.description is not None:
                freshness = dict(zip([c.name for c in cur.description], row, strict=True))
    raw, clean, quarantined, duplicates, version = accounting or (0, 0, 0, 0, None)
    return {
        "ledger": by_status,
        "backlog": sum(n for s, n in by_status.items() if s != "processed"),
        "oldest_unprocessed_snapshot": oldest_pending,
        "newest_snapshot": newest,
        "rows": {"raw": raw, "clean": clean, "quarantined": quarantined, "duplicates": duplicates},
        "flights_clean_version": version,
        "sync": [{"table": t, "delta_version": v, "synced_at": at} for t, v, at in syncs],
        "recent_failures": [{"key": k, "attempts": a, "error": e} for k, a, e in failed],
        "gold_freshness": freshness,
    }


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    return str(value)


def format_status(status: dict[str, Any]) -> str:
    lines = ["ledger (bronze objects by status):"]
    for name, count in status["ledger"].items() or {"(empty)": 0}.items():
        lines.append(f"  {name:<12} {count}")
    lines.append(
        f"backlog: {status['backlog']} object(s); oldest unprocessed snapshot "
        f"{status['oldest_unprocessed_snapshot'] or '-'}; newest {status['newest_snapshot'] or '-'}"
    )
    rows = status["rows"]
    version = status["flights_clean_version"]
    lines.append(
        f"silver rows: raw {rows['raw']} = clean {rows['clean']} + quarantined "
        f"{rows['quarantined']} + duplicates {rows['duplicates']}; flights_clean "
        f"v{version if version is not None else '-'}"
    )
    lines.append("postgres sync:")
    for s in status["sync"] or [{"table": "(never synced)", "delta_version": "-", "synced_at": ""}]:
        lines.append(f"  {s['table']:<20} v{s['delta_version']}  {_shown(s['synced_at'])}")
    freshness = status["gold_freshness"]
    if not freshness:
        lines.append("gold freshness: no gold refresh yet")
    else:
        lines.append("gold freshness:")
        for name, value in freshness.items():
            lines.append(f"  {name:<28} {_shown(value)}")
    for f in status["recent_failures"]:
        lines.append(f"failed: {f['key']} (attempts {f['attempts']}): {f['error']}")
    return "\n".join(lines)
