"""`lakehouse report` against the real gold schema, rendered in headless Chromium.

Gold rows are written by the writer role, the report reads them as the read-only role, and the
page is checked the way a reader gets it: as the DOM a real browser builds from the file. For the
geometry, a copy of the page gets a measuring script appended, so the bar lengths and point
heights asserted are the ones Chromium's layout actually drew, not the numbers the Python wrote.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lakehouse.cli import main as cli_main
from lakehouse.report.build import (
    CHART_AIRPORTS,
    CHART_ROUTES,
    CHART_SPEEDS,
    build_report,
    read_report_data,
    render_report,
)

pytestmark = pytest.mark.integration

OLD, D1, D2, D3 = date(2025, 9, 10), date(2025, 9, 18), date(2025, 9, 19), date(2025, 9, 20)
WINDOW = (D1, D2, D3)

# Flights per airport and day. Over D1..D3: LHR has the largest single value and no row on D2 (a
# zero on the chart); BCN, IST, MUC tie at 15 on the top-10 boundary (ties by IATA: MUC is out);
# ZRH is last; OLD is the busiest airport overall, but only on a day outside a 3-day window.
AIRPORT_FLIGHTS: dict[str, dict[date, int]] = {
    "AMS": {D1: 30, D2: 35, D3: 40},
    "LHR": {D1: 28, D3: 50},
    "CDG": {D1: 20, D2: 20, D3: 20},
    "FRA": {D1: 18, D2: 18, D3: 18},
    "MAD": {D1: 15, D2: 15, D3: 15},
    "FCO": {D1: 12, D2: 12, D3: 12},
    "JFK": {D1: 10, D2: 10, D3: 10},
    "DXB": {D1: 8, D2: 8, D3: 8},
    "BCN": {D1: 5, D2: 5, D3: 5},
    "IST": {D1: 5, D2: 5, D3: 5},
    "MUC": {D1: 5, D2: 5, D3: 5},
    "ZRH": {D3: 1},
    "OLD": {OLD: 999},
}
TOP10_3_DAYS = ("AMS", "LHR", "CDG", "FRA", "MAD", "FCO", "JFK", "DXB", "BCN", "IST")
# A name that must reach the reader as text, not markup; FCO has no dimension row (null name).
CDG_NAME = 'Paris "Charles de Gaulle" <T2> & co'

# Routes of D3 by rank: a tie at rank 2/3, the smallest possible count (1) at ranks 9 to 12.
ROUTES_D3 = [
    ("AMS", "LHR", 9),
    ("CDG", "JFK", 7),
    ("LHR", "AMS", 7),
    ("AMS", "CDG", 6),
    ("FRA", "MAD", 5),
    ("MAD", "FRA", 4),
    ("FCO", "AMS", 3),
    ("JFK", "LHR", 2),
    ("AMS", "FCO", 1),
    ("BCN", "IST", 1),
    ("DXB", "AMS", 1),
    ("IST", "BCN", 1),
]
# Airlines of D3 as (icao, flights, avg speed): 17 airlines, the two with fewest flights are
# out of the top 15; TAP's airborne observations all had 0 kt (boundary: a zero-length bar).
AIRLINES_D3 = [
    ("KLM", 17, "451.25"),
    ("BAW", 16, "470.00"),
    ("AFR", 15, "430.10"),
    ("DLH", 14, "455.55"),
    ("IBE", 13, "440.00"),
    ("AZA", 12, "420.00"),
    ("DAL", 11, "480.75"),
    ("UAE", 10, "495.00"),
    ("THY", 9, "465.40"),
    ("SWR", 8, "410.00"),
    ("EZY", 7, "380.00"),
    ("RYR", 6, "390.20"),
    ("VLG", 5, "375.00"),
    ("TAP", 4, "0.00"),
    ("SAS", 3, "400.00"),
    ("FIN", 2, "999.99"),
    ("AEE", 1, "300.00"),
]

MEASURE = """<script>
for (const el of document.querySelectorAll('svg[data-chart] .mark')) {
  const r = el.getBoundingClientRect();
  const box = [r.left, r.top, r.width, r.height].map(v => v.toFixed(2));
  el.setAttribute('data-drawn', box.join(' '));
}
</script>"""


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("chromium is not installed: run scripts/install_chromium.sh")
    return path


def run_chromium(chromium: str, page: Path, tmp_path: Path, *mode: str) -> str:
    """Open ``page`` in headless Chromium, offline, and return its stdout."""
    profile = tmp_path / f"chromium-profile-{page.stem}"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1000,2600",
            f"--user-data-dir={profile}",
            *mode,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result.stdout


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    chart: str | None  # the data-chart of the enclosing <svg>, if any
    text: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def value(self) -> float:
        return float(self.attrs["data-value"])

    @property
    def drawn(self) -> tuple[float, float, float, float]:
        """(left, top, width, height) as laid out by the browser."""
        left, top, width, height = (float(v) for v in self.attrs["data-drawn"].split())
        return left, top, width, height


class Dom(HTMLParser):
    """The elements of a serialised DOM, each knowing its chart and its text."""

    VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "source", "wbr", "col"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        parent_chart = self._open[-1].chart if self._open else None
        el = Element(tag, a, a.get("data-chart", parent_chart))
        self.elements.append(el)
        if tag not in self.VOID:
            self._open.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for el in self._open:
            el.text.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag)
            and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def marks(self, chart: str) -> list[Element]:
        return [e for e in self.elements if e.chart == chart and "mark" in e.classes]

    def text_of(self, tag: str | None = None, **attrs: str) -> str:
        (el,) = self.find(tag, **attrs)
        return "".join(el.text)


def render_dom(chromium: str, page: Path, tmp_path: Path) -> Dom:
    return Dom(run_chromium(chromium, page, tmp_path, "--dump-dom"))


def render_measured(chromium: str, page: Path, tmp_path: Path) -> Dom:
    """The page's DOM after layout, each mark carrying its drawn box in ``data-drawn``."""
    copy = tmp_path / f"measured-{page.name}"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"))
    return render_dom(chromium, copy, tmp_path)


# --- data -----------------------------------------------------------------------------------------


@pytest.fixture
def gold(pg, clean_lakehouse) -> None:
    """The known gold rows above, written as the writer, with dimension names for some codes."""
    pg.execute(
        "INSERT INTO silver.dim_airport (iata, name, country) VALUES "
        "('AMS', 'Amsterdam Schiphol', 'Netherlands'), ('LHR', 'London Heathrow', 'UK'), "
        "('CDG', %s, 'France')",
        (CDG_NAME,),
    )
    pg.execute("INSERT INTO silver.dim_airline (icao, iata, name) VALUES ('KLM', 'KL', 'KLM')")
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO gold.daily_flight_counts "
            "(airport_iata, flight_date, departures, arrivals, flights) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (iata, day, n // 2, n - n // 2, n)
                for iata, days in AIRPORT_FLIGHTS.items()
                for day, n in days.items()
            ],
        )
        cur.executemany(
            "INSERT INTO gold.busiest_routes "
            "(origin_iata, destination_iata, flight_date, flights, rank) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(o, d, D3, n, rank) for rank, (o, d, n) in enumerate(ROUTES_D3, start=1)]
            # An older day's route, busier than any of D3's: it must not be in the chart.
            + [("OLD", "AMS", D2, 500, 1)],
        )
        cur.executemany(
            "INSERT INTO gold.average_speed_by_airline "
            "(airline_icao, flight_date, avg_ground_speed_kt, observations, flights) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(icao, D3, Decimal(v), 3 * n, n) for icao, n, v in AIRLINES_D3]
            + [("OLD", D2, Decimal("100.00"), 900, 300)],
        )


@pytest.fixture
def report(settings, gold, tmp_path) -> Path:
    return build_report(settings, out=tmp_path / "report" / "index.html", days=3)


# --- tests ----------------------------------------------------------------------------------------


def test_report_draws_each_chart_with_one_mark_per_data_point(chromium, report, tmp_path):
    dom = render_dom(chromium, report, tmp_path)

    charts = {e.attrs["data-chart"] for e in dom.find("svg") if "data-chart" in e.attrs}
    assert charts == {CHART_AIRPORTS, CHART_ROUTES, CHART_SPEEDS}
    assert not dom.find(data_empty_chart=CHART_AIRPORTS)

    points = {
        (m.attrs["data-series"], m.attrs["data-label"]): m.value for m in dom.marks(CHART_AIRPORTS)
    }
    assert len(dom.marks(CHART_AIRPORTS)) == 10 * 3
    assert points == {
        (iata, day.isoformat()): AIRPORT_FLIGHTS[iata].get(day, 0)
        for iata in TOP10_3_DAYS
        for day in WINDOW
    }

    routes = [(m.attrs["data-label"], m.value) for m in dom.marks(CHART_ROUTES)]
    assert routes == [(f"{o} \u2192 {d}", n) for o, d, n in ROUTES_D3[:10]]

    speeds = {m.attrs["data-label"].split()[0]: m.value for m in dom.marks(CHART_SPEEDS)}
    assert speeds == {icao: float(v) for icao, _, v in AIRLINES_D3[:15]}


def test_bar_lengths_and_point_heights_follow_the_values(chromium, report, tmp_path):
    dom = render_measured(chromium, report, tmp_path)

    for chart in (CHART_ROUTES, CHART_SPEEDS):
        bars = dom.marks(chart)
        longest = max(bars, key=lambda b: b.drawn[2])
        assert longest.value == max(b.value for b in bars), chart
        # Lengths are proportional to values from a common zero baseline.
        assert len({b.drawn[0] for b in bars}) == 1, f"{chart}: bars start at different x"
        scale = longest.drawn[2] / longest.value
        for b in bars:
            assert b.drawn[2] == pytest.approx(b.value * scale, abs=0.6), (chart, b.attrs)
            if b.value > 0:
                assert b.drawn[3] > 5, f"{chart}: a bar is drawn without height"
    zero = [b for b in dom.marks(CHART_SPEEDS) if b.attrs["data-label"].startswith("TAP")]
    assert len(zero) == 1 and zero[0].drawn[2] == pytest.approx(0, abs=0.01)

    points = dom.marks(CHART_AIRPORTS)
    highest = min(points, key=lambda p: p.drawn[1])
    assert (highest.attrs["data-series"], highest.value) == ("LHR", 50)
    # Heights above the zero line (LHR's empty D2) are proportional to the values.
    (zero_point,) = [p for p in points if p.value == 0]
    per_flight = (zero_point.drawn[1] - highest.drawn[1]) / highest.value
    for p in points:
        assert zero_point.drawn[1] - p.drawn[1] == pytest.approx(p.value * per_flight, abs=0.6)
    # Larger values are drawn higher (smaller top), equal values at the same height.
    for a in points:
        for b in points:
            if a.value > b.value:
                assert a.drawn[1] < b.drawn[1], (a.attrs, b.attrs)
            elif a.value == b.value:
                assert a.drawn[1] == pytest.approx(b.drawn[1], abs=0.05)


def test_names_are_shown_as_text_and_unknown_names_as_a_dash(chromium, report, tmp_path):
    dom = render_dom(chromium, report, tmp_path)

    assert CDG_NAME in "".join(dom.find("main")[0].text)
    assert not dom.find("t2"), "a dimension name was parsed as markup"
    (fco_row,) = [e for e in dom.find("tr") if e.text[:2] == ["6", "FCO"]]
    assert fco_row.text[2] == "\u2014", "FCO has no dimension row: its name shows as a dash"


def test_empty_gold_renders_a_no_data_message_for_every_chart(
    chromium, settings, clean_lakehouse, tmp_path
):
    page = build_report(settings, out=tmp_path / "empty.html")
    dom = render_dom(chromium, page, tmp_path)

    assert not [e for e in dom.find("svg") if "data-chart" in e.attrs]
    for chart in (CHART_AIRPORTS, CHART_ROUTES, CHART_SPEEDS):
        assert dom.text_of(data_empty_chart=chart).startswith("No data yet")
    assert dom.find(data_empty_report="true")
    assert dom.text_of(data_freshness="gold_refreshed_at") == "never"
    assert dom.text_of(data_freshness="status") == "no gold yet"


def test_airports_are_ranked_over_the_whole_window_and_gaps_are_zero(settings, gold):
    data = read_report_data(settings, days=14)

    # 14 days back from D3 reaches OLD: the axis runs from there, every calendar day included.
    assert data.window == tuple(OLD + timedelta(days=i) for i in range((D3 - OLD).days + 1))
    assert [a.iata for a in data.airports] == ["OLD", *TOP10_3_DAYS[:9]]
    lhr = next(a for a in data.airports if a.iata == "LHR")
    assert (lhr.total_flights, lhr.departures + lhr.arrivals) == (78, 78)
    assert dict(lhr.flights_by_day) == {D1: 28, D3: 50}

    one_day = read_report_data(settings, days=1)
    assert one_day.window == (D3,)
    # D3 alone: 12 airports; the cut falls inside the BCN/IST/MUC tie, so MUC and ZRH are out.
    assert [a.iata for a in one_day.airports] == [
        "LHR",
        "AMS",
        "CDG",
        "FRA",
        "MAD",
        "FCO",
        "JFK",
        "DXB",
        "BCN",
        "IST",
    ]


def test_freshness_panel_shows_latest_observation_refresh_and_lag(settings, pg, clean_lakehouse):
    from lakehouse.gold.refresh import refresh_gold

    def observe(flight_id: str, at: datetime) -> None:
        pg.execute(
            "INSERT INTO silver.flights_clean (flight_id, observed_at, observed_date, latitude, "
            "longitude, origin_iata, destination_iata, airline_icao, ground_speed_kt, on_ground, "
            "bronze_key, snapshot_time, silver_batch_id) "
            "VALUES (%s, %s, %s, 52.3, 4.76, 'AMS', 'LHR', 'KLM', 420, 0, 'bronze/t.json', %s, "
            "'t')",
            (flight_id, at, at.date(), at),
        )

    t0 = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
    observe("a1", t0)
    refresh = refresh_gold(settings, full=True)
    observe("a1", t0 + timedelta(minutes=90))  # silver moves on; gold has not seen it yet
    bound_60_min = dataclasses.replace(settings, gold_max_staleness_minutes=60)
    data = read_report_data(bound_60_min, generated_at=t0 + timedelta(hours=3))
    dom = Dom(render_report(data))

    assert dom.text_of(data_freshness="silver_latest_observed_at") == "2025-09-20 13:30:00 UTC"
    assert dom.text_of(data_freshness="gold_latest_observed_at") == "2025-09-20 12:00:00 UTC"
    assert refresh.kind == "full"
    assert dom.text_of(data_freshness="gold_refreshed_at") == (
        f"{data.freshness.gold_refreshed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC (full)"
    )
    assert dom.text_of(data_freshness="gold_lag") == "1 h 30 min"
    assert dom.text_of(data_freshness="status") == "stale (more than 1 h 00 min)"
    assert dom.text_of(data_freshness="observation_age") == "1 h 30 min"
    assert dom.text_of(data_freshness="pending_changed_flights") == "1"
    # The one flight made it into every chart.
    assert [m.value for m in dom.marks(CHART_ROUTES)] == [1]
    assert [m.value for m in dom.marks(CHART_SPEEDS)] == [420]


def test_cli_writes_the_report_and_prints_its_path(settings, gold, tmp_path, capsys):
    out = tmp_path / "cli" / "report.html"

    assert cli_main(["report", "--out", str(out), "--days", "2"]) == 0

    printed = capsys.readouterr().out.strip()
    assert Path(printed) == out.resolve()
    dom = Dom(out.read_text(encoding="utf-8"))
    assert len(dom.marks(CHART_AIRPORTS)) == 10 * 2
    with pytest.raises(SystemExit, match="--days must be at least 1"):
        cli_main(["report", "--out", str(out), "--days", "0"])
