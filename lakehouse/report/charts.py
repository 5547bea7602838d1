"""Charts as inline SVG strings, drawn in Python so the report needs no script and no network.

Every data point is one element with class ``mark`` and a ``data-value`` attribute, inside an
``<svg data-chart=...>``: a reader can hover it (an SVG ``<title>`` is the tooltip), and a test
can count the marks and compare their rendered sizes with their values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Tableau 10: distinct at a glance, and readable for the common colour-vision deficiencies.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
BAR_COLOR = "#4e79a7"
WIDTH = 880


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a value for every x position."""

    key: str  # short code shown in the legend, e.g. an airport's IATA code
    title: str  # longer text for tooltips
    values: Sequence[float]
    color: str


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart."""

    label: str
    title: str
    value: float
    text: str  # the value as printed at the end of the bar


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_scale(max_value: float, integer: bool) -> tuple[float, float]:
    """An axis top and tick step of 1, 2 or 5 times a power of ten, with four or five ticks.

    Round steps keep gridlines readable; ``integer`` forbids steps below 1 so a count axis never
    shows half a flight.
    """
    if max_value <= 0:
        return (1.0, 1.0)
    raw = max_value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integer:
        step = max(step, 1.0)
    return (math.ceil(max_value / step - 1e-9) * step, step)


def _ticks(top: float, step: float) -> list[float]:
    return [i * step for i in range(round(top / step) + 1)]


def _fmt_tick(value: float, step: float) -> str:
    return f"{value:,.0f}" if step >= 1 else f"{value:,.1f}"


def _num(value: float) -> str:
    """A coordinate: two decimals are sub-pixel, and keep the markup short."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _data_value(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def line_chart(
    chart: str,
    title: str,
    x_labels: Sequence[str],
    x_titles: Sequence[str],
    series: Sequence[Series],
    y_label: str,
) -> str:
    """Lines over shared x positions (days), one circle mark per (series, x) point."""
    left, right, top_pad, bottom = 56, 40, 16, 44
    height = 340
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    n = len(x_labels)
    y_top, step = nice_scale(max((v for s in series for v in s.values), default=0), integer=True)

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - v / y_top)

    parts = [
        f'<svg data-chart="{escape(chart)}" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in _ticks(y_top, step):
        ty = _num(y(tick))
        parts.append(
            f'<line class="grid" x1="{left}" x2="{WIDTH - right}" y1="{ty}" y2="{ty}"/>'
            f'<text class="tick" x="{left - 8}" y="{ty}" text-anchor="end" '
            f'dominant-baseline="middle">{_fmt_tick(tick, step)}</text>'
        )
    # At most about twelve date labels, whatever the window: every k-th day, always the last.
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text class="tick" x="{_num(x(i))}" y="{height - bottom + 18}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(
        f'<text class="axis-label" x="14" y="{_num(top_pad + plot_h / 2)}" '
        f'transform="rotate(-90 14 {_num(top_pad + plot_h / 2)})" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    for s in series:
        points = " ".join(f"{_num(x(i))},{_num(y(v))}" for i, v in enumerate(s.values))
        parts.append(
            f'<g class="series" data-series="{escape(s.key)}">'
            f'<polyline class="line" points="{points}" stroke="{s.color}"/>'
        )
        for i, v in enumerate(s.values):
            parts.append(
                f'<circle class="mark" data-series="{escape(s.key)}" '
                f'data-label="{escape(x_titles[i])}" data-value="{_data_value(v)}" '
                f'cx="{_num(x(i))}" cy="{_num(y(v))}" r="4" fill="{s.color}">'
                f"<title>{escape(s.title)}, {escape(x_titles[i])}: {v:,.0f} {escape(y_label)}"
                "</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(chart: str, title: str, bars: Sequence[Bar], x_label: str) -> str:
    """Horizontal bars from a zero baseline, in the given order, one rect mark per bar."""
    left, right, top_pad, bottom = 220, 72, 8, 40
    row = 28
    height = top_pad + row * len(bars) + bottom
    plot_w = WIDTH - left - right
    integer = all(float(b.value).is_integer() for b in bars)
    x_top, step = nice_scale(max((b.value for b in bars), default=0), integer=integer)

    def w(v: float) -> float:
        return plot_w * v / x_top

    parts = [
        f'<svg data-chart="{escape(chart)}" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    axis_y = top_pad + row * len(bars)
    for tick in _ticks(x_top, step):
        tx = _num(left + w(tick))
        parts.append(
            f'<line class="grid" x1="{tx}" x2="{tx}" y1="{top_pad}" y2="{axis_y}"/>'
            f'<text class="tick" x="{tx}" y="{axis_y + 16}" text-anchor="middle">'
            f"{_fmt_tick(tick, step)}</text>"
        )
    parts.append(
        f'<text class="axis-label" x="{_num(left + plot_w / 2)}" y="{height - 4}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    for i, b in enumerate(bars):
        y = top_pad + row * i
        mid = _num(y + row / 2)
        bar_w = w(b.value)
        parts.append(
            f'<text class="bar-label" x="{left - 8}" y="{mid}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(b.label)}</text>'
            f'<rect class="mark" data-label="{escape(b.label)}" '
            f'data-value="{_data_value(b.value)}" x="{left}" y="{_num(y + 4)}" '
            f'width="{_num(bar_w)}" height="{row - 8}" fill="{BAR_COLOR}">'
            f"<title>{escape(b.title)}: {escape(b.text)}</title></rect>"
            f'<text class="bar-value" x="{_num(left + bar_w + 6)}" y="{mid}" '
            f'dominant-baseline="middle">{escape(b.text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
