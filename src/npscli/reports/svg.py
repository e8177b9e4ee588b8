"""Small, dependency-free SVG charts for the HTML report: an NPS trend line with its interval band.

The output is a self-contained ``<svg>`` element (no script, no external font or stylesheet), so the
report stays one file that a browser and SVG-capable mail clients show as is. Every text that comes
from the data (a location's name, a period label) is XML-escaped here. Coordinates are printed with
one decimal, so the same data always gives the same bytes.

Conventions: a period without responses leaves a gap (the line is not drawn across it); a period with
fewer responses than the low-n threshold is drawn as a hollow point; the shaded band is the 95%
interval of each period.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "Arial, Helvetica, sans-serif"
LINE = "#1f5f99"
BAND = "#9cc3e6"
GRID = "#e3e6ea"
AXIS = "#6b7280"
TEXT = "#374151"


@dataclass(frozen=True)
class Point:
    label: str  # the x-axis label, e.g. "W47" or "Nov"
    value: float | None  # NPS in points; None = no responses
    low: float | None = None
    high: float | None = None
    low_n: bool = False
    n: int = 0
    title: str = ""  # tooltip, e.g. "2025-W47: NPS 42.0 (30.1 to 52.3), n = 45"


def _f(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _step(span: float) -> int:
    if span > 120:
        return 50
    if span > 60:
        return 20
    return 10


def y_range(series: Iterable[Sequence[Point]]) -> tuple[float, float]:
    """A shared y-axis range for ``series`` (so small multiples compare), in whole ticks, within [-100, 100]."""
    values = [v for points in series for p in points for v in (p.value, p.low, p.high) if v is not None]
    if not values:
        return -100.0, 100.0
    low, high = min(values), max(values)
    step = _step(max(high - low, 1.0) + 10)
    bottom = max(-100.0, math.floor((low - 2) / step) * step)
    top = min(100.0, math.ceil((high + 2) / step) * step)
    if top - bottom < 2 * step:  # never a flat, zoomed-in axis that makes noise look like a trend
        top, bottom = min(100.0, top + step), max(-100.0, bottom - step)
    return float(bottom), float(top)


# The widest a character of the 11-pixel axis labels can be, in pixels: the page asks for Arial but a reader
# may get a wider face (DejaVu Sans, Verdana: "W" is a full em). Better a label too few than two on top
# of each other.
LABEL_CHAR_WIDTH = 11 * 0.72
LABEL_GAP = 6


def label_step(labels: Sequence[str], plot_width: float) -> int:
    """Label every n-th period so that no two x-axis labels can touch, whatever font the reader has."""
    count = len(labels)
    if count < 2:
        return 1
    widest = max((len(label) for label in labels), default=0) * LABEL_CHAR_WIDTH + LABEL_GAP
    spacing = plot_width / (count - 1)
    return max(1, math.ceil(widest / spacing))


def _segments(points: Sequence[Point]) -> list[list[int]]:
    runs: list[list[int]] = []
    current: list[int] = []
    for i, p in enumerate(points):
        if p.value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(i)
    if current:
        runs.append(current)
    return runs


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    width: int = 720,
    height: int = 260,
    yrange: tuple[float, float] | None = None,
    color: str = LINE,
    band_color: str = BAND,
    chart_id: str = "chart",
) -> str:
    """An NPS trend as an inline ``<svg>`` string: band = interval, line = NPS, hollow point = low n."""
    bottom, top = yrange or y_range([points])
    left, right, upper, lower = 40, 38, 26, 24
    plot_w, plot_h = width - left - right, height - upper - lower
    count = len(points)

    def x(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * i / (count - 1))

    def y(value: float) -> float:
        value = min(top, max(bottom, value))
        return upper + plot_h * (top - value) / (top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold" fill="{TEXT}">{escape(title)}</text>',
    ]
    step = _step(top - bottom)
    tick = math.ceil(bottom / step) * step
    while tick <= top + 1e-9:
        stroke = AXIS if tick == 0 else GRID
        out.append(
            f'<line x1="{left}" y1="{_f(y(tick))}" x2="{width - right}" y2="{_f(y(tick))}" stroke="{stroke}" '
            f'stroke-width="1"/>'
        )
        out.append(f'<text x="{left - 6}" y="{_f(y(tick) + 4)}" text-anchor="end" fill="{AXIS}">{tick:g}</text>')
        tick += step
    every = label_step([p.label for p in points], plot_w)
    for i, p in enumerate(points):
        if (count - 1 - i) % every == 0:  # counted back from the latest period, which is always labelled
            out.append(
                f'<text class="xlabel" x="{_f(x(i))}" y="{height - 8}" text-anchor="middle" '
                f'fill="{AXIS}">{escape(p.label)}</text>'
            )

    runs = _segments(points)
    for run in runs:  # the interval band first, under the line
        bounded = [i for i in run if points[i].low is not None and points[i].high is not None]
        if len(bounded) != len(run):
            continue
        if len(run) == 1:
            i = run[0]
            out.append(
                f'<line class="band" x1="{_f(x(i))}" y1="{_f(y(points[i].high))}" x2="{_f(x(i))}" '
                f'y2="{_f(y(points[i].low))}" stroke="{band_color}" stroke-width="8" stroke-linecap="round"/>'
            )
            continue
        upper_edge = [f"{_f(x(i))},{_f(y(points[i].high))}" for i in run]
        lower_edge = [f"{_f(x(i))},{_f(y(points[i].low))}" for i in reversed(run)]
        out.append(
            f'<polygon class="band" points="{" ".join(upper_edge + lower_edge)}" fill="{band_color}" '
            f'fill-opacity="0.55" stroke="none"/>'
        )
    for run in runs:
        if len(run) > 1:
            coords = " ".join(f"{_f(x(i))},{_f(y(points[i].value))}" for i in run)
            out.append(
                f'<polyline class="line" points="{coords}" fill="none" stroke="{color}" stroke-width="2.5" '
                f'stroke-linejoin="round"/>'
            )
    for i, p in enumerate(points):
        if p.value is None:
            continue
        fill = "#ffffff" if p.low_n else color
        tip = f"<title>{escape(p.title)}</title>" if p.title else ""
        out.append(
            f'<circle class="point" cx="{_f(x(i))}" cy="{_f(y(p.value))}" r="3.5" fill="{fill}" stroke="{color}" '
            f'stroke-width="1.5">{tip}</circle>'
        )
    last = next((i for i in range(count - 1, -1, -1) if points[i].value is not None), None)
    if last is None:
        out.append(
            # above the middle: on the full -100..100 axis the middle is the zero line, which would strike it through
            f'<text x="{_f(left + plot_w / 2)}" y="{_f(upper + plot_h / 2 - 8)}" text-anchor="middle" '
            f'fill="{AXIS}">no responses</text>'
        )
    else:
        value = points[last].value
        out.append(
            f'<text class="value" x="{_f(x(last) + 7)}" y="{_f(y(value) + 4)}" text-anchor="start" '
            f'font-weight="bold" fill="{color}">{value:.0f}</text>'
        )
    out.append("</svg>")
    return "".join(out)
