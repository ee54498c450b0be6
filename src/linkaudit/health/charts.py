"""Inline SVG charts for the health page: no script, no library, no external file.

Drawn server-side as plain ``<svg>`` markup so the page works offline, prints,
and stays under a CSP that allows no script and no images (inline SVG is part of
the document, not a loaded image).  Colours are presentation attributes, never
``style=``: a strict CSP blocks inline style attributes.  Every label is escaped;
each bar carries a ``<title>`` tooltip, and each chart a data table beside it for
screen readers and for copying numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: Colours by meaning, shared with the page's legend and CSS.
COLORS: dict[str, str] = {
    "confirmed_dead": "#b42318",
    "broken": "#b42318",
    "lost": "#7a271a",
    "stale": "#e04f16",
    "failing": "#f79009",
    "invalid": "#c11574",
    "insecure": "#9a5b00",
    "fragment_missing": "#dc9a00",
    "moved": "#6941c6",
    "blocked": "#175cd3",
    "unreachable": "#53b1fd",
    "skipped": "#98a2b3",
    "unknown": "#98a2b3",
    "ok": "#067647",
    "alive": "#067647",
}


@dataclass(frozen=True)
class Series:
    """One stacked segment across all categories."""

    name: str
    values: Sequence[int]
    color: str = "#667085"


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


def _legend(series: Sequence[Series], x: float, y: float) -> str:
    parts = []
    offset = 0.0
    for s in series:
        parts.append(
            f'<rect x="{x + offset:.1f}" y="{y - 9:.1f}" width="10" height="10" '
            f'fill="{_e(s.color)}"></rect>'
            f'<text x="{x + offset + 14:.1f}" y="{y:.1f}" font-size="11">{_e(s.name)}</text>'
        )
        offset += 24 + 6.5 * len(s.name)
    return f'<g class="legend">{"".join(parts)}</g>'


def _empty(chart_id: str, title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{_e(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title"><title id="{_e(chart_id)}-title">{_e(title)}'
        f'</title><text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" '
        f'font-size="13" fill="#5d6677">No data yet</text></svg>'
    )


def stacked_columns(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 720,
    height: int = 280,
) -> str:
    """Vertical stacked bars, one per label (runs over time, years)."""
    shown = [s for s in series if any(s.values)]
    totals = [sum(s.values[i] for s in shown) for i in range(len(labels))]
    if not labels or not any(totals):
        return _empty(chart_id, title, width, height)
    left, right, top, bottom = 44, 10, 28, 46
    plot_w = width - left - right
    plot_h = height - top - bottom
    top_value = _nice_max(max(totals))
    slot = plot_w / len(labels)
    bar_w = max(min(slot * 0.7, 48), 2)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{_e(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        _legend(shown, left, 14),
    ]
    for tick in (0, top_value / 2, top_value):
        y = top + plot_h - plot_h * tick / top_value
        label = f"{tick:g}"
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#d9dde5" stroke-width="1"></line>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5d6677">{label}</text>'
        )
    every = max(1, round(len(labels) / 12))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar_w) / 2
        base = float(top + plot_h)
        for s in shown:
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / top_value
            base -= h
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{_e(s.color)}"><title>{_e(label)}: {value} '
                f"{_e(s.name)}</title></rect>"
            )
        if i % every == 0:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'font-size="11" fill="#1d2330">{_e(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def horizontal_bars(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 720,
    row: int = 24,
) -> str:
    """Horizontal stacked bars, one row per label (hosts)."""
    shown = [s for s in series if any(s.values)]
    totals = [sum(s.values[i] for s in shown) for i in range(len(labels))]
    height = 36 + row * max(len(labels), 1) + 8
    if not labels or not any(totals):
        return _empty(chart_id, title, width, max(height, 120))
    left = min(max(len(max(labels, key=len)) * 7 + 12, 120), 300)
    right = 40
    top = 30
    plot_w = width - left - right
    top_value = max(totals)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{_e(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        _legend(shown, left, 14),
    ]
    for i, label in enumerate(labels):
        y = top + row * i
        shown_label = label if len(label) <= 40 else label[:39] + "\u2026"
        out.append(
            f'<text x="{left - 8}" y="{y + row * 0.65:.1f}" text-anchor="end" font-size="12" '
            f'fill="#1d2330">{_e(shown_label)}</text>'
        )
        x = float(left)
        for s in shown:
            value = s.values[i]
            if not value:
                continue
            w = plot_w * value / top_value
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" '
                f'height="{row - 6}" fill="{_e(s.color)}"><title>{_e(label)}: {value} '
                f"{_e(s.name)}</title></rect>"
            )
            x += w
        out.append(
            f'<text x="{x + 6:.1f}" y="{y + row * 0.65:.1f}" font-size="11" '
            f'fill="#5d6677">{totals[i]}</text>'
        )
    out.append("</svg>")
    return "".join(out)
