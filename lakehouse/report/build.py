"""`lakehouse report`: one static HTML page with what an analyst sees in gold.

The page is a single file with inline CSS and inline SVG charts drawn here in Python: it opens
offline, from a mail attachment or a CI artifact, with no script, CDN or server. It reads gold
as the read-only role, so it can never show something an analyst could not query, and it reads
every panel in one read-only REPEATABLE READ transaction, so the charts, tables and freshness all
describe the same moment even while a gold refresh commits.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row

from lakehouse.gold.freshness import Freshness
from lakehouse.gold.sql import load as load_sql
from lakehouse.report.charts import Bar, Series, color, hbar_chart, line_chart
from lakehouse.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_DAYS = 14
TOP_AIRPORTS = 10
TOP_ROUTES = 10
TOP_AIRLINES = 15
NO_DATA = "No data yet"

# The chart ids (`data-chart` attributes): stable names a test or a reader's tooling can select.
CHART_AIRPORTS = "airport-daily-flights"
CHART_ROUTES = "busiest-routes"
CHART_SPEEDS = "airline-speeds"


@dataclass(frozen=True)
class AirportSeries:
    """One of the busiest airports of the window, with its flights on each day of it."""

    rank: int
    iata: str
    name: str | None
    total_flights: int
    departures: int
    arrivals: int
    flights_by_day: Mapping[date, int]  # days without a gold row are absent: 0 flights


@dataclass(frozen=True)
class Route:
    rank: int
    origin_iata: str
    origin_name: str | None
    destination_iata: str
    destination_name: str | None
    flights: int


@dataclass(frozen=True)
class AirlineSpeed:
    airline_icao: str
    airline_iata: str | None
    airline_name: str | None
    avg_ground_speed_kt: Decimal
    observations: int
    flights: int


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, read in one snapshot."""

    generated_at: datetime
    database: str
    days: int  # the requested window of the airport chart
    max_staleness: timedelta
    freshness: Freshness
    window: tuple[date, ...]  # the airport chart's x axis: every calendar day, first to last
    airports: tuple[AirportSeries, ...]
    routes_day: date | None
    routes: tuple[Route, ...]
    speeds_day: date | None
    speeds: tuple[AirlineSpeed, ...]


def read_report_data(
    settings: Settings, days: int = DEFAULT_DAYS, generated_at: datetime | None = None
) -> ReportData:
    """Read the report's numbers from gold as the read-only role.

    ``days`` is how many days, ending at the latest day in gold (data time, not today), the
    airport chart covers; the route and speed charts show each table's latest day.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    generated_at = generated_at or datetime.now(UTC)
    with psycopg.connect(settings.pg_conninfo("reader"), connect_timeout=10) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            with conn.cursor(row_factory=class_row(Freshness)) as cur:
                freshness = cur.execute(load_sql("freshness")).fetchone()
            assert freshness is not None  # the view always returns exactly one row
            with conn.cursor(row_factory=dict_row) as cur:
                airport_rows = cur.execute(
                    load_sql("airport_daily_flights", "lakehouse.report"),
                    {"days": days, "limit": TOP_AIRPORTS},
                ).fetchall()
                route_rows = cur.execute(
                    load_sql("top_busiest_routes"), {"limit": TOP_ROUTES, "flight_date": None}
                ).fetchall()
                speed_rows = cur.execute(
                    load_sql("airline_speeds", "lakehouse.report"), {"limit": TOP_AIRLINES}
                ).fetchall()
    window, airports = _airport_series(airport_rows)
    return ReportData(
        generated_at=generated_at,
        database=settings.pg_database,
        days=days,
        max_staleness=timedelta(minutes=settings.gold_max_staleness_minutes),
        freshness=freshness,
        window=window,
        airports=airports,
        routes_day=route_rows[0]["flight_date"] if route_rows else None,
        routes=tuple(
            Route(
                rank=r["rank"],
                origin_iata=r["origin_iata"],
                origin_name=r["origin_airport_name"],
                destination_iata=r["destination_iata"],
                destination_name=r["destination_airport_name"],
                flights=r["flights"],
            )
            for r in route_rows
        ),
        speeds_day=speed_rows[0]["flight_date"] if speed_rows else None,
        speeds=tuple(
            AirlineSpeed(
                airline_icao=r["airline_icao"],
                airline_iata=r["airline_iata"],
                airline_name=r["airline_name"],
                avg_ground_speed_kt=r["avg_ground_speed_kt"],
                observations=r["observations"],
                flights=r["flights"],
            )
            for r in speed_rows
        ),
    )


def _airport_series(
    rows: Sequence[dict[str, Any]],
) -> tuple[tuple[date, ...], tuple[AirportSeries, ...]]:
    if not rows:
        return (), ()
    first, last = rows[0]["first_day"], rows[0]["last_day"]
    window = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    by_airport: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_airport.setdefault(r["airport_iata"], []).append(r)
    series = tuple(
        AirportSeries(
            rank=group[0]["airport_rank"],
            iata=iata,
            name=group[0]["airport_name"],
            total_flights=int(group[0]["total_flights"]),
            departures=sum(r["departures"] for r in group),
            arrivals=sum(r["arrivals"] for r in group),
            flights_by_day={r["flight_date"]: r["flights"] for r in group},
        )
        for iata, group in by_airport.items()
    )
    return window, tuple(sorted(series, key=lambda s: s.rank))


# --- rendering ---------------------------------------------------------------------------------


def _ts(value: datetime | None) -> str:
    return "never" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(delta: timedelta) -> str:
    minutes = max(0, round(delta.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def _short(text: str, limit: int = 28) -> str:
    """A chart label that fits the label column; the full name stays in the table."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _name(value: str | None) -> str:
    return escape(value) if value else '<span class="unknown">&mdash;</span>'


def _freshness_status(data: ReportData) -> tuple[str, str, str]:
    """(css class, lag text, status text): how far gold's data trails silver's."""
    f = data.freshness
    if f.gold_refreshed_at is None:
        return "status-none", "gold never refreshed", "no gold yet"
    if f.silver_latest_observed_at is None:
        return "status-none", "silver has no observation", NO_DATA.lower()
    if f.gold_latest_observed_at is None:
        return "status-stale", "gold has seen no observation", "stale"
    lag = f.silver_latest_observed_at - f.gold_latest_observed_at
    bound = _duration(data.max_staleness)
    if lag <= data.max_staleness:
        return "status-ok", _duration(lag), f"fresh (within {bound})"
    return "status-stale", _duration(lag), f"stale (more than {bound})"


def _freshness_panel(data: ReportData) -> str:
    f = data.freshness
    css, lag, status = _freshness_status(data)
    age = (
        _duration(data.generated_at - f.silver_latest_observed_at)
        if f.silver_latest_observed_at
        else "n/a"
    )
    refresh = _ts(f.gold_refreshed_at) + (
        f" ({escape(f.gold_refresh_kind)})" if f.gold_refresh_kind else ""
    )
    items = [
        (
            "silver_latest_observed_at",
            "Latest observation (silver)",
            _ts(f.silver_latest_observed_at),
        ),
        ("gold_refreshed_at", "Latest gold refresh", refresh),
        ("gold_latest_observed_at", "Latest observation in gold", _ts(f.gold_latest_observed_at)),
        ("gold_lag", "Gold lags silver by", f'<span class="{css}">{escape(lag)}</span>'),
        ("status", "Gold status", f'<span class="{css}">{escape(status)}</span>'),
        ("observation_age", "Age of the latest observation", age),
        ("silver_last_synced_at", "Latest silver sync", _ts(f.silver_last_synced_at)),
        (
            "pending_changed_flights",
            "Flights changed since the refresh",
            f"{f.pending_changed_flights:,}",
        ),
    ]
    cells = "".join(
        f'<div><dt>{escape(label)}</dt><dd data-freshness="{key}">{value}</dd></div>'
        for key, label, value in items
    )
    return (
        '<section id="freshness"><h2>Freshness</h2>'
        '<p class="subtitle">Lag is measured in data time: silver\'s latest observation now '
        "versus the one the latest gold refresh saw.</p>"
        f'<dl class="panel">{cells}</dl></section>'
    )


def _empty(chart: str, what: str) -> str:
    return f'<p class="empty" data-empty-chart="{chart}">{NO_DATA}: {escape(what)}</p>'


def _table(head: Sequence[tuple[str, bool]], rows: Sequence[Sequence[str]]) -> str:
    """A table of already-escaped cells; ``head`` is (title, numeric) per column."""
    th = "".join(f'<th class="num">{t}</th>' if num else f"<th>{t}</th>" for t, num in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if num else f"<td>{c}</td>"
            for c, (_, num) in zip(cells, head, strict=True)
        )
        + "</tr>"
        for cells in rows
    )
    return (
        f'<div class="table-wrap"><table><thead><tr>{th}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _airports_section(data: ReportData) -> str:
    head = f'<section id="{CHART_AIRPORTS}"><h2>Flights per day, top {TOP_AIRPORTS} airports</h2>'
    if not data.airports:
        return head + _empty(CHART_AIRPORTS, "gold.daily_flight_counts has no rows.") + "</section>"
    first, last = data.window[0], data.window[-1]
    subtitle = (
        f'<p class="subtitle">Departures + arrivals per flight date (UTC), {first} to {last} '
        f"(the last {data.days} days of gold). Airports ranked by flights over these days.</p>"
    )
    series = [
        Series(
            key=a.iata,
            title=f"{a.iata} {a.name or ''}".strip(),
            values=[a.flights_by_day.get(d, 0) for d in data.window],
            color=color(i),
        )
        for i, a in enumerate(data.airports)
    ]
    legend = "".join(
        f'<li><span class="swatch" style="background:{s.color}"></span>{escape(s.key)}</li>'
        for s in series
    )
    chart = line_chart(
        CHART_AIRPORTS,
        f"Flights per day at the top {len(series)} airports, {first} to {last}",
        x_labels=[d.strftime("%b %d") for d in data.window],
        x_titles=[d.isoformat() for d in data.window],
        series=series,
        y_label="flights",
    )
    table = _table(
        [("#", True), ("Airport", False), ("Name", False)]
        + [(d.strftime("%m-%d"), True) for d in data.window]
        + [("Departures", True), ("Arrivals", True), ("Flights", True)],
        [
            [
                str(a.rank),
                f'<span class="swatch" style="background:{s.color}"></span>{escape(a.iata)}',
                _name(a.name),
                *(f"{v:,}" for v in s.values),
                f"{a.departures:,}",
                f"{a.arrivals:,}",
                f"{a.total_flights:,}",
            ]
            for a, s in zip(data.airports, series, strict=True)
        ],
    )
    return f'{head}{subtitle}<ul class="legend">{legend}</ul>{chart}{table}</section>'


def _routes_section(data: ReportData) -> str:
    head = f'<section id="{CHART_ROUTES}"><h2>Top {TOP_ROUTES} busiest routes</h2>'
    if not data.routes:
        return head + _empty(CHART_ROUTES, "gold.busiest_routes has no rows.") + "</section>"
    subtitle = (
        f'<p class="subtitle">Distinct flights per route on {data.routes_day} (UTC), the latest '
        "day in gold.busiest_routes.</p>"
    )
    bars = [
        Bar(
            label=f"{r.origin_iata} \u2192 {r.destination_iata}",
            title=f"{r.origin_name or r.origin_iata} to {r.destination_name or r.destination_iata}",
            value=r.flights,
            text=f"{r.flights:,}",
        )
        for r in data.routes
    ]
    chart = hbar_chart(
        CHART_ROUTES, f"Busiest routes on {data.routes_day}", bars, x_label="flights"
    )
    table = _table(
        [
            ("Rank", True),
            ("From", False),
            ("Origin airport", False),
            ("To", False),
            ("Destination airport", False),
            ("Flights", True),
        ],
        [
            [
                str(r.rank),
                escape(r.origin_iata),
                _name(r.origin_name),
                escape(r.destination_iata),
                _name(r.destination_name),
                f"{r.flights:,}",
            ]
            for r in data.routes
        ],
    )
    return f"{head}{subtitle}{chart}{table}</section>"


def _speeds_section(data: ReportData) -> str:
    head = (
        f'<section id="{CHART_SPEEDS}"><h2>Average ground speed by airline, '
        f"top {TOP_AIRLINES} by flights</h2>"
    )
    if not data.speeds:
        return (
            head + _empty(CHART_SPEEDS, "gold.average_speed_by_airline has no rows.") + "</section>"
        )
    subtitle = (
        f'<p class="subtitle">Mean ground speed of airborne observations on {data.speeds_day} '
        "(UTC), the latest day in gold.average_speed_by_airline; the airlines with the most "
        "flights that day, fastest first.</p>"
    )
    fastest_first = sorted(
        data.speeds, key=lambda s: (-s.avg_ground_speed_kt, s.airline_icao.encode())
    )
    bars = [
        Bar(
            label=_short(f"{s.airline_icao} {s.airline_name or ''}".strip()),
            title=f"{s.airline_name or s.airline_icao}, {s.flights:,} flights",
            value=float(s.avg_ground_speed_kt),
            text=f"{s.avg_ground_speed_kt:,.2f} kt",
        )
        for s in fastest_first
    ]
    chart = hbar_chart(
        CHART_SPEEDS,
        f"Average ground speed by airline on {data.speeds_day}",
        bars,
        x_label="knots",
    )
    table = _table(
        [
            ("Airline", False),
            ("IATA", False),
            ("Name", False),
            ("Avg speed (kt)", True),
            ("Observations", True),
            ("Flights", True),
        ],
        [
            [
                escape(s.airline_icao),
                _name(s.airline_iata),
                _name(s.airline_name),
                f"{s.avg_ground_speed_kt:,.2f}",
                f"{s.observations:,}",
                f"{s.flights:,}",
            ]
            for s in data.speeds
        ],
    )
    return f"{head}{subtitle}{chart}{table}</section>"


def render_report(data: ReportData) -> str:
    """The whole page as one self-contained HTML string."""
    css = (resources.files("lakehouse.report") / "style.css").read_text(encoding="utf-8")
    generated = _ts(data.generated_at)
    empty = not (data.airports or data.routes or data.speeds)
    banner = (
        f'<p class="empty" data-empty-report="true">{NO_DATA}: gold has no rows. Run the '
        "pipeline (or <code>lakehouse.gold.refresh.refresh_gold</code>) and build the report "
        "again.</p>"
        if empty
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Flights lakehouse report, {escape(generated)}</title>"
        f"<style>{css}</style></head><body><main>"
        "<h1>Flights lakehouse report</h1>"
        f'<p class="meta">Generated <time data-generated-at="{data.generated_at.isoformat()}">'
        f"{escape(generated)}</time> from the gold tables of database "
        f"<code>{escape(data.database)}</code>, read as the read-only role.</p>"
        f"{banner}{_freshness_panel(data)}{_airports_section(data)}{_routes_section(data)}"
        f"{_speeds_section(data)}"
        "<footer>Metric definitions: docs/metrics.md. Times are UTC; flight dates are the UTC "
        "date of a flight's first observation.</footer>"
        "</main></body></html>\n"
    )


def default_output(settings: Settings) -> Path:
    return Path(settings.local_dir) / "report" / "index.html"


def build_report(settings: Settings, out: Path | None = None, days: int = DEFAULT_DAYS) -> Path:
    """Read gold, render the page and write it to ``out``; return the path written.

    The file is replaced atomically, so a browser or web server never sees half a report.
    """
    started = time.perf_counter()
    data = read_report_data(settings, days=days)
    page = render_report(data)
    path = (out or default_output(settings)).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info(
        "report: %d airports over %d days, %d routes, %d airlines, %d bytes -> %s (%.2fs)",
        len(data.airports),
        len(data.window),
        len(data.routes),
        len(data.speeds),
        len(page.encode()),
        path,
        time.perf_counter() - started,
    )
    return path
