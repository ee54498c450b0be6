"""Inline SVG charts for the health page: no script, no library, no external file.

Drawn server-side as plain ``<svg>`` markup so the page works offline, prints,
and stays under a CSP that allows no script and no images (inline SVG is part of
the document, not a loaded image).  Colours are presentation attributes, never
``style=``: a strict CSP blocks inline style attributes.  Every label is escaped;
each bar carries a ``<title>`` tooltip, and each chart a data table beside it for
screen readers and for copying numbers.

Readable at any width: a chart is drawn for a given width (the page draws a wide
one and a narrow one and shows the one that fits), its axis labels are thinned to
what that width holds and kept inside it, and its legend wraps.  Each meaning has
a colour *and* a texture (solid, hatched, dotted, cross-hatched) chosen so that
neighbours in a stack differ in both: the legend still works printed in greyscale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: Colour and texture by meaning, shared by the charts' legends.  Stacked
#: neighbours alternate dark and light, and solid and textured.
STYLES: dict[str, tuple[str, str]] = {
    "ok": ("#2f8f4e", ""),
    "alive": ("#2f8f4e", ""),
    "skipped": ("#d0d5dd", ""),
    "unknown": ("#d0d5dd", ""),
    "moved": ("#7f56d9", "hatch"),
    "unreachable": ("#84caff", "dots"),
    "blocked": ("#2e90fa", ""),
    "fragment_missing": ("#fdb022", "hatch"),
    "insecure": ("#93370d", "dots"),
    "invalid": ("#dd2590", "cross"),
    "stale": ("#f79009", ""),
    "failing": ("#f79009", "hatch"),
    "broken": ("#b42318", ""),
    "confirmed_dead": ("#b42318", ""),
    "lost": ("#101828", "cross"),
}

#: Backwards-compatible view: the colour of each meaning.
COLORS: dict[str, str] = {name: color for name, (color, _) in STYLES.items()}

_INK = "#1d2330"
_MUTED = "#5d6677"
_GRID = "#d9dde5"
_DARK_BASES = {"#2f8f4e", "#7f56d9", "#93370d", "#dd2590", "#b42318", "#101828"}


@dataclass(frozen=True)
class Series:
    """One stacked segment across all categories; ``key`` names its style."""

    name: str
    values: Sequence[int]
    color: str = "#667085"
    pattern: str = ""  # "", "hatch", "dots" or "cross"

    @classmethod
    def styled(cls, key: str, name: str, values: Sequence[int]) -> Series:
        color, pattern = STYLES.get(key, ("#667085", ""))
        return cls(name, values, color, pattern)


@dataclass(frozen=True)
class Frame:
    """How big a chart is drawn: its viewBox width and height, and its text size."""

    width: int
    height: int
    font: int

    def text_width(self, text: str) -> float:
        """A generous estimate of a label's width (no font metrics server-side)."""
        return len(text) * self.font * 0.62


#: The page's two renderings of each chart: for wide screens and for phones.
WIDE = Frame(1000, 260, 13)
NARROW = Frame(380, 300, 12)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _pattern(pattern_id: str, series: Series) -> str:
    """A texture over the series' colour; white on dark colours, ink on light ones."""
    ink = "#ffffff" if series.color in _DARK_BASES else _INK
    base = f'<rect width="6" height="6" fill="{_e(series.color)}"></rect>'
    marks = {
        "hatch": f'<line x1="0" y1="0" x2="0" y2="6" stroke="{ink}" stroke-width="2"></line>',
        "dots": f'<circle cx="3" cy="3" r="1.3" fill="{ink}"></circle>',
        "cross": (
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{ink}" stroke-width="1.5"></line>'
            f'<line x1="0" y1="3" x2="6" y2="3" stroke="{ink}" stroke-width="1.5"></line>'
        ),
    }[series.pattern]
    rotate = ' patternTransform="rotate(45)"' if series.pattern != "dots" else ""
    return (
        f'<pattern id="{_e(pattern_id)}" width="6" height="6" patternUnits="userSpaceOnUse"'
        f"{rotate}>{base}{marks}</pattern>"
    )


class _Paints:
    """Each series' fill: its colour, or a texture defined once in the chart."""

    def __init__(self, chart_id: str, series: Sequence[Series]) -> None:
        self.defs: list[str] = []
        self.fills: list[str] = []
        for index, s in enumerate(series):
            if s.pattern:
                pattern_id = f"{chart_id}-p{index}"
                self.defs.append(_pattern(pattern_id, s))
                self.fills.append(f"url(#{pattern_id})")
            else:
                self.fills.append(s.color)

    def markup(self) -> str:
        return f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""


def _legend(
    series: Sequence[Series], fills: Sequence[str], frame: Frame, x0: float
) -> tuple[str, int]:
    """The legend, wrapped into rows that fit the width; its markup and height."""
    parts: list[str] = []
    x, y = x0, frame.font + 4
    row_height = frame.font + 10
    for s, fill in zip(series, fills, strict=True):
        item = 18 + frame.text_width(s.name) + 14
        if x > x0 and x + item > frame.width - 4:
            x, y = x0, y + row_height
        size = frame.font - 1
        parts.append(
            f'<rect x="{x:.1f}" y="{y - size + 1:.1f}" width="{size}" height="{size}" '
            f'fill="{_e(fill)}" stroke="{_INK}" stroke-width="0.5"></rect>'
            f'<text x="{x + size + 5:.1f}" y="{y:.1f}" font-size="{frame.font}" '
            f'fill="{_INK}">{_e(s.name)}</text>'
        )
        x += item
    return f'<g class="legend">{"".join(parts)}</g>', int(y + 8)


def _open(chart_id: str, title: str, frame: Frame, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{_e(chart_id)}" '
        f'viewBox="0 0 {frame.width} {height}" width="{frame.width}" height="{height}" '
        f'role="img" aria-labelledby="{_e(chart_id)}-title" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>'
    )


def _empty(chart_id: str, title: str, frame: Frame) -> str:
    height = 120
    return (
        _open(chart_id, title, frame, height)
        + f'<text x="{frame.width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
        f'font-size="{frame.font}" fill="{_MUTED}">No data yet</text></svg>'
    )


def shown_labels(labels: Sequence[str], slot: float, frame: Frame) -> list[int]:
    """Which category labels fit under their columns: evenly thinned, the first and
    the last always shown (the range the axis covers), none overlapping."""
    n = len(labels)
    if n == 0:
        return []
    widest = max(frame.text_width(label) for label in labels) + 10
    step = max(1, math.ceil(widest / slot))
    picked = list(range(0, n, step))
    if picked[-1] != n - 1:
        if (n - 1 - picked[-1]) * slot < widest and len(picked) > 1:
            picked.pop()
        picked.append(n - 1)
    return picked


def stacked_columns(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    frame: Frame = WIDE,
    tips: Sequence[str] | None = None,
) -> str:
    """Vertical stacked bars, one per label (runs over time, years), drawn for
    ``frame``.  ``tips`` are the labels' long forms for the bars' tooltips."""
    shown = [s for s in series if any(s.values)]
    totals = [sum(s.values[i] for s in shown) for i in range(len(labels))]
    if not labels or not any(totals):
        return _empty(chart_id, title, frame)
    paints = _Paints(chart_id, shown)
    legend, legend_height = _legend(list(reversed(shown)), list(reversed(paints.fills)), frame, 8)
    top_value = _nice_max(max(totals))
    left = int(frame.text_width(str(top_value))) + 14
    right, top, bottom = 8, legend_height + 10, frame.font + 16
    plot_w, plot_h = frame.width - left - right, frame.height - top - bottom
    slot = plot_w / len(labels)
    bar_w = max(min(slot * 0.72, 56), 1.5)
    out = [_open(chart_id, title, frame, frame.height), paints.markup(), legend]
    out += _y_axis(frame, left, top, plot_h, top_value)
    tip = tips or labels
    for i in range(len(labels)):
        x = left + slot * i + (slot - bar_w) / 2
        out += _column(shown, paints.fills, i, x, bar_w, top + plot_h, plot_h / top_value, tip[i])
    for i in shown_labels(labels, slot, frame):
        out.append(_x_label(labels[i], left + slot * i + slot / 2, top + plot_h, frame))
    out.append("</svg>")
    return "".join(out)


def _y_axis(frame: Frame, left: int, top: int, plot_h: float, top_value: int) -> list[str]:
    """Gridlines and values at 0, half and the top of the axis."""
    out = []
    for tick in (0, top_value / 2, top_value):
        y = top + plot_h - plot_h * tick / top_value
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{frame.width - 8}" y2="{y:.1f}" '
            f'stroke="{_GRID}" stroke-width="1"></line>'
            f'<text x="{left - 6}" y="{y + frame.font * 0.35:.1f}" text-anchor="end" '
            f'font-size="{frame.font}" fill="{_MUTED}">{tick:g}</text>'
        )
    return out


def _column(
    shown: Sequence[Series],
    fills: Sequence[str],
    i: int,
    x: float,
    bar_w: float,
    base: float,
    scale: float,
    tip: str,
) -> list[str]:
    """One stacked column, bottom up, each segment with its tooltip."""
    out = []
    for s, fill in zip(shown, fills, strict=True):
        value = s.values[i]
        if not value:
            continue
        h = value * scale
        base -= h
        out.append(
            f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" fill="{_e(fill)}"><title>{_e(tip)}: {value} '
            f"{_e(s.name)}</title></rect>"
        )
    return out


def _x_label(label: str, center: float, axis: float, frame: Frame) -> str:
    """A category label under its column, moved inwards if it would be cut off."""
    half = frame.text_width(label) / 2
    x = min(max(center, half + 2), frame.width - half - 2)
    return (
        f'<text class="x-label" x="{x:.1f}" y="{axis + frame.font + 6:.1f}" '
        f'text-anchor="middle" font-size="{frame.font}" fill="{_INK}">{_e(label)}</text>'
    )


def horizontal_bars(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    frame: Frame = WIDE,
) -> str:
    """Horizontal stacked bars, one row per label (hosts).  On a narrow frame each
    label sits above its bar, so long host names keep the whole width."""
    shown = [s for s in series if any(s.values)]
    totals = [sum(s.values[i] for s in shown) for i in range(len(labels))]
    if not labels or not any(totals):
        return _empty(chart_id, title, frame)
    paints = _Paints(chart_id, shown)
    legend, legend_height = _legend(shown, paints.fills, frame, 8)
    rows = _Rows(frame, labels, legend_height + 8)
    out = [_open(chart_id, title, frame, rows.height), paints.markup(), legend]
    scale = (frame.width - rows.left - 40) / max(totals)
    for i, label in enumerate(rows.labels):
        bar_y, bar_h = rows.bar(i)
        out.append(rows.label(i, label))
        x = float(rows.left)
        for s, fill in zip(shown, paints.fills, strict=True):
            if s.values[i]:
                w = s.values[i] * scale
                out.append(
                    f'<rect class="bar" x="{x:.1f}" y="{bar_y:.1f}" width="{w:.1f}" '
                    f'height="{bar_h:.1f}" fill="{_e(fill)}"><title>{_e(labels[i])}: '
                    f"{s.values[i]} {_e(s.name)}</title></rect>"
                )
                x += w
        out.append(
            f'<text x="{x + 6:.1f}" y="{bar_y + bar_h * 0.75:.1f}" font-size="{frame.font}" '
            f'fill="{_MUTED}">{totals[i]}</text>'
        )
    out.append("</svg>")
    return "".join(out)


class _Rows:
    """The rows of a horizontal bar chart: labels beside the bars on a wide frame,
    above them on a narrow one (cut to what the width holds)."""

    def __init__(self, frame: Frame, labels: Sequence[str], top: int) -> None:
        self.frame = frame
        self.above = frame.width < 600
        limit = int((frame.width - 16) / (frame.font * 0.62)) if self.above else 40
        self.labels = [
            text if len(text) <= limit else text[: limit - 1] + "\u2026" for text in labels
        ]
        widest = frame.text_width(max(self.labels, key=len)) + 16
        self.left = 8 if self.above else int(min(max(widest, 120), 320))
        self.row = frame.font * (3.2 if self.above else 2)
        self.top = top
        self.height = int(top + self.row * len(labels) + 8)

    def bar(self, i: int) -> tuple[float, float]:
        """Where row ``i``'s bar is: its top and its height."""
        y = self.top + self.row * i
        if self.above:
            return y + self.frame.font + 4, self.row - self.frame.font - 8
        return y + 3, self.row - 6

    def label(self, i: int, text: str) -> str:
        font = self.frame.font
        if self.above:
            y = self.top + self.row * i + font
            return (
                f'<text x="{self.left}" y="{y:.1f}" font-size="{font}" fill="{_INK}">'
                f"{_e(text)}</text>"
            )
        bar_y, bar_h = self.bar(i)
        return (
            f'<text x="{self.left - 8}" y="{bar_y + bar_h * 0.75:.1f}" text-anchor="end" '
            f'font-size="{font}" fill="{_INK}">{_e(text)}</text>'
        )
