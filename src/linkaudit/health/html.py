"""The health report as one self-contained HTML page with inline SVG charts.

Same security model as the audit report (:mod:`linkaudit.report.html`): every
value from an article or the web is escaped, only http(s) URLs become links, and a
Content-Security-Policy allows nothing but this page's own hash-pinned style.
There is no script at all: the page is a document to read, mail and print, the
charts are static SVG, and long lists fold with ``<details>``.

Reading order: what the page covers, a table of contents, the headline numbers
and the charts (the first screenful, at full width), then the changes, archive
coverage and documents, each long list folded by document with its counts.  Each
chart is drawn twice, for wide screens and for phones, and CSS shows the one that
fits, so its text stays readable at both.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import timedelta

from linkaudit import __version__
from linkaudit.health.charts import NARROW, WIDE, Frame, Series, horizontal_bars, stacked_columns
from linkaudit.health.model import (
    CitationHealth,
    Coverage,
    DocumentHealth,
    HealthReport,
    RunPoint,
)
from linkaudit.history import Change, LinkStatus, RunDiff
from linkaudit.model import Verdict
from linkaudit.report.base import VERDICT_ORDER, one_line, utc_date, utc_stamp
from linkaudit.report.html import escape_html, link

_STYLE = """
:root { --fg: #1d2330; --muted: #5d6677; --line: #d9dde5; --soft: #f4f6f9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); margin: 0 auto; padding: 1.5rem; max-width: 80rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
.scope { margin: .25rem 0; }
.meta, .muted { color: var(--muted); font-size: .9rem; }
nav.toc { display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: .75rem 0;
  padding: .4rem 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
  gap: .6rem; margin: .75rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .8rem; }
.card .n { font-size: 1.5rem; font-weight: 700; display: block; }
.card.dead .n { color: #b42318; } .card.failing .n { color: #b54708; }
.card.alive .n { color: #067647; }
.warnings { background: #fffaeb; border: 1px solid #fedf89; padding: .5rem 1rem; }
.diff { background: var(--soft); padding: .6rem 1rem; border-radius: 6px; overflow-wrap: anywhere; }
figure { margin: 1.25rem 0; }
figcaption { margin-bottom: .35rem; }
figcaption .muted { display: block; }
svg.chart { display: block; width: 100%; height: auto; }
.narrow { display: none; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th { text-align: left; border-bottom: 2px solid var(--line); padding: .3rem; }
td { border-bottom: 1px solid var(--line); padding: .3rem; vertical-align: top;
  overflow-wrap: anywhere; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.when { white-space: nowrap; }
details.data summary { cursor: pointer; color: var(--muted); font-size: .85rem; }
.scroll { overflow-x: auto; max-width: 100%; }
details.group { border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0;
  padding: .3rem .6rem; }
details.group > summary { cursor: pointer; }
details.group > summary .count { color: var(--muted); margin-left: .4rem; white-space: nowrap; }
details.more > summary { cursor: pointer; color: var(--muted); margin: .4rem 0; }
ul.changes { margin: .4rem 0; padding-left: 1.2rem; }
ul.changes li { overflow-wrap: anywhere; }
.status { font-weight: 700; font-size: .8rem; text-transform: uppercase; white-space: nowrap; }
.s-confirmed_dead, .s-lost { color: #b42318; } .s-failing { color: #b54708; }
.s-alive { color: #067647; } .s-unknown { color: var(--muted); }
.url-plain { font-family: ui-monospace, monospace; font-size: .85em; color: #b42318; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em;
  overflow-wrap: anywhere; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 700px) {
  body { padding: .75rem; }
  .wide { display: none; }
  .narrow { display: block; max-width: 36rem; }
  .cards { grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .4rem; }
  .card { padding: .35rem .5rem; font-size: .8rem; }
  .card .n { font-size: 1.2rem; }
  table.findings, table.findings tbody, table.findings tr, table.findings td {
    display: block; width: 100%; }
  table.findings thead { display: none; }
  table.findings tr { border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0;
    padding: .3rem .5rem; }
  table.findings td { border: 0; padding: .1rem 0; }
  table.findings td[data-label]::before { content: attr(data-label) ": "; color: var(--muted);
    font-size: .8rem; font-weight: 600; }
}
@media print { body { padding: 0; max-width: none; } details.data { display: none; }
  .narrow { display: none; } .wide { display: block; }
  a { color: inherit; } tr { break-inside: avoid; } }
"""


def _sha256(source: str) -> str:
    return base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


#: Nothing but the page's own style; no script, images, frames, forms or fetches.
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_sha256(_STYLE)}'; "
    "img-src 'none'; base-uri 'none'; form-action 'none'"
)


_SEP = " \u00b7 "
#: Lists up to this long are shown open; longer ones fold by document.
_OPEN_UP_TO = 8
#: Groups shown before the rest folds away behind "and N more".
_KEEP = 10


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _status(item: CitationHealth) -> str:
    word = "lost" if item.lost else (item.status.value if item.status else "unknown")
    label = word.replace("_", " ")
    return f'<span class="status s-{escape_html(word)}">{escape_html(label)}</span>'


def _standing(item: CitationHealth) -> str:
    if item.lost:
        return "the link is missing from the article"
    parts = []
    if item.status in (LinkStatus.FAILING, LinkStatus.CONFIRMED_DEAD) and item.since:
        runs = "1 failed run" if item.failures == 1 else f"{item.failures} failed runs"
        parts.append(f"failing since {utc_date(item.since)} ({runs})")
    if item.confirmed_at:
        parts.append(f"confirmed dead {utc_date(item.confirmed_at)}")
    if item.verdict:
        parts.append(f"last check: {item.verdict} ({item.reason})")
    return "; ".join(parts)


def _capture(item: CitationHealth) -> str:
    cap = item.capture
    if cap is None:
        return '<span class="muted">no capture known</span>'
    near = "near" if cap.near else "far from"
    return (
        f"{link(cap.url, 'archived copy')} "
        f'<span class="muted">{escape_html(utc_date(cap.captured_at))}, '
        f"{cap.distance_days:.0f} days {near} citation date</span>"
    )


def _where(item: CitationHealth) -> str:
    return f"<code>{escape_html(item.document)}:{item.line}:{item.column}</code>"


def _url(item: CitationHealth) -> str:
    return link(item.url, short=True) if item.url else '<span class="muted">(no link)</span>'


def _data_table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{escape_html(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape_html(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return (
        '<details class="data"><summary>the numbers</summary><div class="scroll">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></details>"
    )


def _more(hidden: int, what: str) -> str:
    if hidden <= 0:
        return ""
    return f'<p class="muted">\u2026 and {hidden} more {what}: the JSON report lists them all.</p>'


def _doc_id(index: int) -> str:
    return f"doc-{index}"


# --------------------------------------------------------------------------- charts


def _figure(chart_id: str, title: str, note: str, drawn: tuple[str, str], table: str) -> str:
    """A chart with its heading first, drawn wide and narrow, and its numbers folded."""
    wide, narrow = drawn
    return (
        f'<figure id="{chart_id}"><figcaption><strong>{escape_html(title)}</strong>'
        f'<span class="muted">{escape_html(note)}</span></figcaption>'
        f'<div class="wide">{wide}</div><div class="narrow">{narrow}</div>{table}</figure>'
    )


def run_labels(points: Sequence[RunPoint]) -> list[str]:
    """Short x-axis labels for runs: ``29 Oct`` within a year, ``Oct 2026`` beyond."""
    if not points:
        return []
    span = points[-1].started_at - points[0].started_at
    pattern = "%d %b" if span <= timedelta(days=330) else "%b %Y"
    return [p.started_at.strftime(pattern).lstrip("0") for p in points]


def _verdict_chart(report: HealthReport) -> str:
    points = report.runs
    order = list(reversed(VERDICT_ORDER))  # ok at the bottom, worst on top
    series = [
        Series.styled(v.value, v.value, [p.counts.get(v.value, 0) for p in points]) for v in order
    ]
    tips = [f"run #{p.run_id}, {utc_stamp(p.started_at)}" for p in points]
    drawn = tuple(
        stacked_columns(
            f"verdicts-over-runs{suffix}",
            "Verdict counts over runs (citations)",
            run_labels(points),
            series,
            frame=frame,
            tips=tips,
        )
        for frame, suffix in _FRAMES
    )
    table = _data_table(
        ["run", "kind", "started", *[v.value for v in order]],
        [
            [
                p.run_id,
                p.kind.value,
                utc_stamp(p.started_at),
                *[p.counts.get(v.value, 0) for v in order],
            ]
            for p in points
        ],
    )
    return _figure(
        "trend-verdicts",
        "Verdict counts over runs",
        _runs_note(points),
        (drawn[0], drawn[1]),
        table,
    )


_FRAMES: tuple[tuple[Frame, str], ...] = ((WIDE, ""), (NARROW, "-narrow"))


def _runs_note(points: Sequence[RunPoint]) -> str:
    """Which runs the trend shows: the full audits (partial and empty runs are not
    points on a trend: a check of one file would look like the site shrinking)."""
    if not points:
        return "No run has seen a citation yet."
    first, last = utc_date(points[0].started_at), utc_date(points[-1].started_at)
    kinds = {p.kind.value for p in points}
    what = "full audit" if kinds == {"full"} else "run"
    return (
        f"Each column is one {what} from {first} to {last}: how every citation was judged. "
        "Runs that saw no citation are not plotted."
    )


def _year_chart(report: HealthReport) -> str:
    years = report.rot_by_year
    fields = ("confirmed_dead", "lost", "failing", "unknown", "alive")
    series = [
        Series.styled(name, name.replace("_", " "), [getattr(y, name) for y in years])
        for name in fields
    ]
    drawn = tuple(
        stacked_columns(
            f"rot-by-year{suffix}",
            "Rot by the year sources were cited",
            [y.year for y in years],
            series,
            frame=frame,
        )
        for frame, suffix in _FRAMES
    )
    table = _data_table(
        ["year", "citations", *fields, "rot"],
        [[y.year, y.citations, *[getattr(y, f) for f in fields], _pct(y.rot_share)] for y in years],
    )
    return _figure(
        "trend-years",
        "Rot by the year sources were cited",
        "Citations grouped by their document's citation date; rot is confirmed dead plus lost.",
        (drawn[0], drawn[1]),
        table,
    )


def _host_chart(report: HealthReport) -> str:
    hosts = report.top_hosts
    series = [
        Series.styled("confirmed_dead", "confirmed dead", [h.confirmed_dead for h in hosts]),
        Series.styled("failing", "failing", [h.failing for h in hosts]),
    ]
    drawn = tuple(
        horizontal_bars(
            f"top-hosts{suffix}",
            "Top hosts by dead links (distinct URLs)",
            [h.host for h in hosts],
            series,
            frame=frame,
        )
        for frame, suffix in _FRAMES
    )
    table = _data_table(
        ["host", "confirmed dead", "failing"],
        [[h.host, h.confirmed_dead, h.failing] for h in hosts],
    )
    return _figure(
        "trend-hosts",
        "Top hosts by dead links",
        "Distinct URLs per host.",
        (drawn[0], drawn[1]),
        table,
    )


# --------------------------------------------------------------------------- page


class HealthHtmlFormatter:
    """``linkaudit health --format html``."""

    name = "html"
    extension = "html"

    def __init__(self, max_rows: int = 300) -> None:
        # A whole site can have thousands of troubled documents; the page stays
        # readable and the JSON report keeps the full lists.
        self.max_rows = max_rows

    def render(self, report: HealthReport) -> str:
        """The whole page: its head, then one function per section, in reading order."""
        lines = [
            *_head(),
            *_header(report),
            _contents(report),
            *_summary_section(report),
            *_trends_section(report),
            *_drift_section(report, self.max_rows),
            *_changes_section(report.diff, report.documents),
            *_coverage_section(report.coverage, self.max_rows),
            *_documents_section(report.documents, self.max_rows),
            _footer(report),
            "</body></html>",
        ]
        return "\n".join(lines) + "\n"


def _head() -> list[str]:
    """Everything up to ``<body>``: the strict CSP first, then the pinned style."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape_html(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="linkaudit {escape_html(__version__)}">',
        "<title>Link health</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
    ]


def _header(report: HealthReport) -> list[str]:
    """The title, which documents and runs the page covers, and the store's warnings."""
    lines = [
        "<header><h1>Link health</h1>",
        f'<p class="scope">{escape_html(report.scope.text())}</p>',
        f'<p class="meta">Store <code>{escape_html(report.store)}</code>; generated '
        f"{escape_html(utc_stamp(report.generated_at))} by linkaudit "
        f"{escape_html(__version__)}.</p></header>",
    ]
    if report.warnings:
        items = "".join(f"<li>{escape_html(one_line(w))}</li>" for w in report.warnings)
        lines.append(f'<section class="warnings"><ul>{items}</ul></section>')
    return lines


def _contents(report: HealthReport) -> str:
    """The table of contents, with how much each section holds."""
    diff = report.diff
    changed = sum(
        len(kind)
        for kind in (
            diff.newly_confirmed_dead,
            diff.newly_failing,
            diff.recovered,
            diff.newly_archived,
        )
    )
    troubled = sum(1 for d in report.documents if d.findings)
    entries = [
        ("summary", "Summary"),
        ("trends", "Trends"),
        ("changes", f"Changes ({changed})"),
        ("coverage", f"Archive coverage ({_pct(report.coverage.share)})"),
        ("documents", f"Documents with problems ({troubled})"),
    ]
    links = "".join(f'<a href="#{key}">{escape_html(label)}</a>' for key, label in entries)
    return f'<nav class="toc" aria-label="Contents">{links}</nav>'


def _summary_section(report: HealthReport) -> list[str]:
    """The headline numbers, one card each (the changes have their own section)."""
    st = report.states
    cov = report.coverage
    cards = [
        ("dead", st.get("confirmed_dead", 0), "URLs confirmed dead"),
        ("failing", st.get("failing", 0), "URLs failing, not yet confirmed"),
        ("alive", st.get("alive", 0), "URLs alive"),
        ("unknown", st.get("unknown", 0), "URLs not yet judged"),
        ("lost", sum(d.lost for d in report.documents), "lost links"),
        ("coverage", _pct(cov.share), f"archived within {cov.near_days} days"),
    ]
    return [
        '<section id="summary" aria-label="Summary"><div class="cards">',
        *(
            f'<div class="card {cls}"><span class="n">{escape_html(n)}</span>'
            f"{escape_html(label)}</div>"
            for cls, n, label in cards
        ),
        "</div></section>",
    ]


def _trends_section(report: HealthReport) -> list[str]:
    """The three charts, full width, each with its numbers in a folded table."""
    return [
        '<section id="trends"><h2>Trends</h2>',
        _verdict_chart(report),
        _year_chart(report),
        _host_chart(report),
        "</section>",
    ]


def _drift_section(report: HealthReport, limit: int) -> list[str]:
    """``--drift`` runs only: drifted and changed sources per run, most changed first."""
    if not report.has_drift:
        return []
    rows: list[list[object]] = [
        [
            f"#{p.run_id}",
            utc_stamp(p.started_at),
            p.drift.get("drifted", 0),
            p.drift.get("changed", 0),
        ]
        for p in report.runs
        if p.drift
    ]
    items = "".join(
        f"<li><b>{escape_html(_pct(c.similarity))}</b> still there: "
        f"{link(c.url, short=True)} ({escape_html(c.level)})"
        + (f" {link(c.baseline_url, 'as cited')}" if c.baseline_url else "")
        + "</li>"
        for c in report.most_changed[:limit]
    )
    return [
        '<section id="drift"><h2>Content drift</h2>',
        "<p>Sources still online whose main text is no longer what was cited "
        "(<code>--drift</code>): drifted ones are <code>stale</code>, changed ones stay ok.</p>",
        _data_table(["Run", "Started", "drifted (stale)", "changed (ok)"], rows),
        f'<ol class="changed">{items}</ol>' if items else "",
        _more(len(report.most_changed) - limit, "changed sources"),
        "</section>",
    ]


def _changes_section(diff: RunDiff, documents: tuple[DocumentHealth, ...]) -> list[str]:
    """What changed in the latest full audit, each kind folded by citing document."""
    titles = {d.origin: d.title or d.origin for d in documents}
    return [
        '<section id="changes"><h2>Changes in the latest full audit</h2>',
        f'<p class="diff">{escape_html(_compared(diff))}</p>',
        _changes("Newly confirmed dead", diff.newly_confirmed_dead, titles),
        _changes("Newly failing", diff.newly_failing, titles),
        _changes("Recovered", diff.recovered, titles),
        _changes("Newly archived", diff.newly_archived, titles, archived=True),
        "</section>",
    ]


def _compared(diff: RunDiff) -> str:
    """Which runs the changes compare, and whether anything changed at all (the
    lists below name the links)."""
    if diff.run_id is None:
        return "No run recorded yet."
    run = f"Run #{diff.run_id} of {utc_date(diff.run_at)}"
    if diff.previous_id is None:
        return f"{run} is the first: nothing to compare it with yet."
    what = ": no link changed standing" if diff.empty else ""
    return f"{run}, compared with run #{diff.previous_id} of {utc_date(diff.previous_at)}{what}."


def _folded(groups: list[str], keep: int, what: str) -> str:
    """The first ``keep`` groups, and the rest behind one more fold."""
    if len(groups) <= keep:
        return "".join(groups)
    rest = "".join(groups[keep:])
    return (
        "".join(groups[:keep])
        + f'<details class="more"><summary>and {len(groups) - keep} more {what}</summary>'
        f"{rest}</details>"
    )


def _changes(
    title: str, changes: tuple[Change, ...], titles: dict[str, str], archived: bool = False
) -> str:
    """One kind of change: how many links in how many documents, then a folded list
    per document (most changed first), open when the whole list is short."""
    if not changes:
        return ""
    by_doc: dict[str, list[Change]] = {}
    for change in changes:
        for document in change.documents or ("(no document)",):
            by_doc.setdefault(document, []).append(change)
    ranked = sorted(by_doc.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    opened = " open" if sum(len(v) for v in by_doc.values()) <= _OPEN_UP_TO else ""
    groups = [
        f'<details class="group"{opened}><summary>{escape_html(one_line(titles.get(doc, doc)))}'
        f'<span class="count">{_count(len(items), "link")}</span></summary>'
        f'<ul class="changes">{"".join(_change_item(c, archived) for c in items)}</ul></details>'
        for doc, items in ranked
    ]
    return (
        f"<h3>{escape_html(title)}: {_count(len(changes), 'link')} in "
        f"{_count(len(by_doc), 'document')}</h3>{_folded(groups, _KEEP, 'documents')}"
    )


def _change_item(change: Change, archived: bool) -> str:
    if archived:
        when = escape_html(utc_date(change.captured_at))
        extra = f"{link(change.archive_url, 'archived copy')} {when}"
    else:
        extra = escape_html(f"since {utc_date(change.after.since)}") if change.after.since else ""
    return f'<li>{link(change.url, short=True)} <span class="muted">{extra}</span></li>'


def _coverage_section(cov: Coverage, limit: int) -> list[str]:
    """How much is archived near its citation date, then what is worth saving now."""
    lines = [
        '<section id="coverage"><h2>Archive coverage</h2>',
        f"<p>{escape_html(cov.near)} of {escape_html(cov.considered)} checked citations "
        f"({_pct(cov.share)}) have an archived capture within {escape_html(cov.near_days)} "
        f"days of their citation date; {escape_html(cov.far)} have captures only further "
        f"away; {escape_html(cov.none)} have no capture "
        "known (none exists, or none was looked up: live links are looked up with "
        "<code>--archive-all</code>).</p>",
    ]
    if cov.candidates:
        lines.append(_save_candidates(cov, limit))
    lines.append("</section>")
    return lines


def _save_candidates(cov: Coverage, limit: int) -> str:
    """Live URLs with no capture, most cited first: ``--save`` saves URLs, not citations."""
    urls = cov.candidate_urls()
    rows = "".join(_candidate_row(items) for _, items in urls[:limit])
    return (
        f'<details class="group"><summary>Live links with no capture '
        f'<span class="count">{_count(len(urls), "URL")}, '
        f"{_count(len(cov.candidates), 'citation')}</span>: candidates for "
        '<code>--save</code></summary><table class="findings"><thead><tr>'
        '<th>URL</th><th>Cited at</th><th class="n">Citations</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>{_more(len(urls) - limit, 'URLs')}</details>"
    )


def _candidate_row(items: tuple[CitationHealth, ...]) -> str:
    """One uncaptured URL: where it is first cited, and how often."""
    more = f' <span class="muted">and {len(items) - 1} more</span>' if len(items) > 1 else ""
    return (
        f'<tr><td data-label="URL">{_url(items[0])}</td>'
        f'<td data-label="Cited at">{_where(items[0])}{more}</td>'
        f'<td class="n" data-label="Citations">{len(items)}</td></tr>'
    )


def _documents_section(documents: tuple[DocumentHealth, ...], limit: int) -> list[str]:
    """The troubled documents, worst first, each folded to one line with its counts."""
    troubled = [d for d in documents if d.findings]
    lines = ['<section id="documents"><h2>Documents with problems, worst first</h2>']
    if troubled:
        groups = [_document(i, d) for i, d in enumerate(troubled[:limit])]
        lines.append(_folded(groups, 2 * _KEEP, "documents"))
        lines.append(_more(len(troubled) - limit, "documents"))
    clean = len(documents) - len(troubled)
    lines.append(f'<p class="muted">{clean} documents have no dead, failing or lost links.</p>')
    lines.append("</section>")
    return lines


def _document(index: int, doc: DocumentHealth) -> str:
    """One document, folded: its title and counts, then its troubled citations."""
    title = escape_html(one_line(doc.title)) if doc.title else escape_html(doc.origin)
    meta = [f"<code>{escape_html(doc.origin)}</code>"]
    if doc.canonical_url:
        meta.append(link(doc.canonical_url))
    if doc.cited_at:
        meta.append(f"cited {escape_html(utc_date(doc.cited_at))}")
    counts = _SEP.join(
        part
        for part in (
            f"{doc.confirmed_dead} dead" if doc.confirmed_dead else "",
            f"{doc.lost} lost" if doc.lost else "",
            f"{doc.failing} failing" if doc.failing else "",
        )
        if part
    )
    rows = "".join(
        f'<tr><td data-label="Standing">{_status(i)}</td><td data-label="Where">{_where(i)}</td>'
        f'<td data-label="Anchor text">{escape_html(one_line(i.anchor_text))}</td>'
        f'<td data-label="URL">{_url(i)}</td>'
        f'<td data-label="Evidence">{escape_html(_standing(i))}</td>'
        f'<td data-label="Archive">{_capture(i)}</td></tr>'
        for i in doc.findings
    )
    return (
        f'<details class="group document" id="{_doc_id(index)}"><summary><strong>{title}'
        f'</strong><span class="count">{escape_html(counts)} of '
        f"{_count(doc.citations, 'citation')}</span></summary><div>"
        f'<p class="meta">{_SEP.join(meta)}</p>'
        '<table class="findings"><thead><tr><th>Standing</th><th>Location</th>'
        "<th>Anchor text</th><th>URL</th><th>Evidence</th><th>Archive</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div></details>"
    )


def _footer(report: HealthReport) -> str:
    """What "confirmed dead" means under this report's policy, and the verdict words."""
    policy = report.policy
    return (
        f"<footer>A link is <strong>confirmed dead</strong> after failing (broken or stale) "
        f"in at least {policy.runs} runs spanning at least {policy.days} days; until then "
        "it is <strong>failing</strong> since its first failure. A pass resets it; "
        "blocked and unreachable results never count toward death. Verdict words: "
        + ", ".join(v.value for v in Verdict)
        + ".</footer>"
    )
