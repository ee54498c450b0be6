"""The health report as one self-contained HTML page with inline SVG charts.

Same security model as the audit report (:mod:`linkaudit.report.html`): every
value from an article or the web is escaped, only http(s) URLs become links, and a
Content-Security-Policy allows nothing but this page's own hash-pinned style.
There is no script at all: the page is a document to read, mail and print, and
the charts are static SVG.
"""

from __future__ import annotations

import base64
import hashlib

from linkaudit import __version__
from linkaudit.health.charts import COLORS, Series, horizontal_bars, stacked_columns
from linkaudit.health.model import CitationHealth, Coverage, DocumentHealth, HealthReport
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
.meta, .muted { color: var(--muted); font-size: .9rem; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .6rem 1rem; min-width: 9rem; }
.card .n { font-size: 1.5rem; font-weight: 700; display: block; }
.card.dead .n { color: #b42318; } .card.failing .n { color: #b54708; }
.card.alive .n { color: #067647; }
.warnings { background: #fffaeb; border: 1px solid #fedf89; padding: .5rem 1rem; }
.diff { background: var(--soft); padding: .6rem 1rem; border-radius: 6px; }
figure { margin: 1rem 0; overflow-x: auto; }
figcaption { color: var(--muted); font-size: .9rem; }
svg.chart { max-width: 100%; height: auto; font-family: inherit; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th { text-align: left; border-bottom: 2px solid var(--line); padding: .3rem; }
td { border-bottom: 1px solid var(--line); padding: .3rem; vertical-align: top;
  overflow-wrap: anywhere; }
td.n, th.n { text-align: right; white-space: nowrap; }
details.data summary { cursor: pointer; color: var(--muted); font-size: .85rem; }
.status { font-weight: 700; font-size: .8rem; text-transform: uppercase; white-space: nowrap; }
.s-confirmed_dead, .s-lost { color: #b42318; } .s-failing { color: #b54708; }
.s-alive { color: #067647; } .s-unknown { color: var(--muted); }
.url-plain { font-family: ui-monospace, monospace; font-size: .85em; color: #b42318; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media print { body { padding: 0; max-width: none; } details.data { display: none; }
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
    return link(item.url) if item.url else '<span class="muted">(no link)</span>'


def _data_table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{escape_html(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape_html(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return (
        '<details class="data"><summary>data</summary>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
    )


def _changes(title: str, changes: tuple[Change, ...], archived: bool = False) -> str:
    if not changes:
        return ""
    rows = []
    for c in changes:
        extra = (
            f"{link(c.archive_url, 'archived copy')} {escape_html(utc_date(c.captured_at))}"
            if archived
            else escape_html(f"since {utc_date(c.after.since)}" if c.after.since else "")
        )
        docs = ", ".join(f"<code>{escape_html(d)}</code>" for d in c.documents)
        rows.append(f"<tr><td>{link(c.url)}</td><td>{docs}</td><td>{extra}</td></tr>")
    return (
        f"<h3>{escape_html(title)} ({len(changes)})</h3><table><thead><tr><th>URL</th>"
        f"<th>Cited in</th><th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _more(hidden: int, what: str) -> str:
    if hidden <= 0:
        return ""
    return f'<p class="muted">\u2026 and {hidden} more {what}: the JSON report lists them all.</p>'


def _doc_id(index: int) -> str:
    return f"doc-{index}"


def _document(index: int, doc: DocumentHealth) -> str:
    title = (
        escape_html(one_line(doc.title)) if doc.title else f"<code>{escape_html(doc.origin)}</code>"
    )
    meta = [f"<code>{escape_html(doc.origin)}</code>"]
    if doc.canonical_url:
        meta.append(link(doc.canonical_url))
    if doc.cited_at:
        meta.append(f"cited {escape_html(utc_date(doc.cited_at))}")
    rows = "".join(
        f"<tr><td>{_status(i)}</td><td>{_where(i)}</td><td>{escape_html(one_line(i.anchor_text))}</td>"
        f"<td>{_url(i)}</td><td>{escape_html(_standing(i))}</td><td>{_capture(i)}</td></tr>"
        for i in doc.findings
    )
    return (
        f'<section class="document" id="{_doc_id(index)}"><h3>{title}</h3>'
        f'<p class="meta">{_SEP.join(meta)}</p>'
        "<table><thead><tr><th>Standing</th><th>Location</th><th>Anchor text</th><th>URL</th>"
        f"<th>Evidence</th><th>Archive</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _verdict_chart(report: HealthReport) -> str:
    labels = [f"#{p.run_id} {utc_date(p.started_at)}" for p in report.runs]
    order = list(reversed(VERDICT_ORDER))  # ok at the bottom, worst on top
    series = [
        Series(v.value, [p.counts.get(v.value, 0) for p in report.runs], COLORS[v.value])
        for v in order
    ]
    chart = stacked_columns(
        "verdicts-over-runs", "Verdict counts over runs (citations)", labels, series
    )
    table = _data_table(
        ["run", "started", *[v.value for v in order]],
        [
            [p.run_id, utc_stamp(p.started_at), *[p.counts.get(v.value, 0) for v in order]]
            for p in report.runs
        ],
    )
    return (
        "<h3>Verdict counts over runs</h3>"
        f"<figure>{chart}<figcaption>Each bar is one run: how every citation was judged."
        f"</figcaption>{table}</figure>"
    )


def _year_chart(report: HealthReport) -> str:
    years = report.rot_by_year
    fields = ("confirmed_dead", "lost", "failing", "unknown", "alive")
    series = [
        Series(name.replace("_", " "), [getattr(y, name) for y in years], COLORS[name])
        for name in fields
    ]
    chart = stacked_columns(
        "rot-by-year", "Rot by the year sources were cited", [y.year for y in years], series
    )
    table = _data_table(
        ["year", "citations", *fields, "rot"],
        [[y.year, y.citations, *[getattr(y, f) for f in fields], _pct(y.rot_share)] for y in years],
    )
    return (
        "<h3>Rot by the year sources were cited</h3>"
        f"<figure>{chart}<figcaption>Citations grouped by their document's citation date; "
        f"rot is confirmed dead plus lost.</figcaption>{table}</figure>"
    )


def _host_chart(report: HealthReport) -> str:
    hosts = report.top_hosts
    series = [
        Series("confirmed dead", [h.confirmed_dead for h in hosts], COLORS["confirmed_dead"]),
        Series("failing", [h.failing for h in hosts], COLORS["failing"]),
    ]
    chart = horizontal_bars(
        "top-hosts", "Top hosts by dead links (distinct URLs)", [h.host for h in hosts], series
    )
    table = _data_table(
        ["host", "confirmed dead", "failing"],
        [[h.host, h.confirmed_dead, h.failing] for h in hosts],
    )
    return (
        "<h3>Top hosts by dead links</h3>"
        f"<figure>{chart}<figcaption>Distinct URLs per host.</figcaption>{table}</figure>"
    )


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
            *_summary_cards(report),
            *_changes_section(report.diff),
            *_trends_section(report),
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
    """The title, which run and store the page describes, and the store's warnings."""
    latest = (
        f"latest run #{report.run_id} on {escape_html(utc_stamp(report.run_at))}"
        if report.run_id is not None
        else "no runs yet"
    )
    lines = [
        "<header><h1>Link health</h1>",
        f'<p class="meta">{escape_html(report.total_runs)} runs recorded; {latest}; store '
        f"<code>{escape_html(report.store)}</code>; "
        f"generated {escape_html(utc_stamp(report.generated_at))} "
        f"by linkaudit {escape_html(__version__)}.</p></header>",
    ]
    if report.warnings:
        items = "".join(f"<li>{escape_html(one_line(w))}</li>" for w in report.warnings)
        lines.append(f'<section class="warnings"><ul>{items}</ul></section>')
    return lines


def _summary_cards(report: HealthReport) -> list[str]:
    """The headline numbers, one card each, before any detail."""
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
        '<section class="cards" aria-label="Summary">',
        *(
            f'<div class="card {cls}"><span class="n">{escape_html(n)}</span>'
            f"{escape_html(label)}</div>"
            for cls, n, label in cards
        ),
        "</section>",
    ]


def _changes_section(diff: RunDiff) -> list[str]:
    """What changed since the previous run: the summary sentence, then a table per kind.

    A kind without changes leaves an empty line, as it always has.
    """
    return [
        '<h2 id="changes">Changes since the previous run</h2>',
        f'<p class="diff">{escape_html(diff.text())}</p>',
        _changes("Newly confirmed dead", diff.newly_confirmed_dead),
        _changes("Newly failing", diff.newly_failing),
        _changes("Recovered", diff.recovered),
        _changes("Newly archived", diff.newly_archived, archived=True),
    ]


def _trends_section(report: HealthReport) -> list[str]:
    """The three charts, each with its numbers in a collapsed table."""
    return [
        '<h2 id="trends">Trends</h2>',
        _verdict_chart(report),
        _year_chart(report),
        _host_chart(report),
    ]


def _coverage_section(cov: Coverage, limit: int) -> list[str]:
    """How much is archived near its citation date, then what is worth saving now."""
    lines = [
        '<h2 id="coverage">Archive coverage</h2>',
        f"<p>{escape_html(cov.near)} of {escape_html(cov.considered)} checked citations "
        f"({_pct(cov.share)}) have an archived capture within {escape_html(cov.near_days)} "
        f"days of their citation date; {escape_html(cov.far)} have captures only further "
        f"away; {escape_html(cov.none)} have no capture "
        "known (none exists, or none was looked up: live links are looked up with "
        "<code>--archive-all</code>).</p>",
    ]
    if cov.candidates:
        lines.append(_save_candidates(cov, limit))
    return lines


def _save_candidates(cov: Coverage, limit: int) -> str:
    """Live URLs with no capture, most cited first: ``--save`` saves URLs, not citations."""
    urls = cov.candidate_urls()
    rows = "".join(_candidate_row(items) for _, items in urls[:limit])
    return (
        f"<h3>Live links with no capture ({_count(len(urls), 'URL')}, "
        f"{_count(len(cov.candidates), 'citation')}): candidates for "
        "<code>--save</code></h3><table><thead><tr>"
        '<th>URL</th><th>Cited at</th><th class="n">Citations</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>{_more(len(urls) - limit, 'URLs')}"
    )


def _candidate_row(items: tuple[CitationHealth, ...]) -> str:
    """One uncaptured URL: where it is first cited, and how often."""
    more = f' <span class="muted">and {len(items) - 1} more</span>' if len(items) > 1 else ""
    return (
        f"<tr><td>{_url(items[0])}</td><td>{_where(items[0])}{more}</td>"
        f'<td class="n">{len(items)}</td></tr>'
    )


def _documents_section(documents: tuple[DocumentHealth, ...], limit: int) -> list[str]:
    """The worst documents: an overview table, one section each, and how many are clean."""
    troubled = [d for d in documents if d.findings]
    lines = ['<h2 id="documents">Worst documents first</h2>']
    if troubled:
        lines.append(_worst_table(troubled, limit))
        lines.extend(_document(i, d) for i, d in enumerate(troubled[:limit]))
    clean = len(documents) - len(troubled)
    lines.append(f'<p class="muted">{clean} documents have no dead, failing or lost links.</p>')
    return lines


def _worst_table(troubled: list[DocumentHealth], limit: int) -> str:
    """One row per troubled document, linking to its section below."""
    rows = "".join(
        f'<tr><td><a href="#{_doc_id(i)}">'
        f"{escape_html(one_line(d.title or d.origin))}</a></td>"
        f'<td class="n">{d.confirmed_dead}</td><td class="n">{d.lost}</td>'
        f'<td class="n">{d.failing}</td><td class="n">{d.citations}</td></tr>'
        for i, d in enumerate(troubled[:limit])
    )
    return (
        '<table id="worst"><thead><tr><th>Document</th><th class="n">Dead</th>'
        '<th class="n">Lost</th><th class="n">Failing</th><th class="n">Citations</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>" + _more(len(troubled) - limit, "documents")
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
