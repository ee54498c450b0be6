"""The health report in Markdown: for a job summary, an issue or a newsletter to editors.

Tables and lists only (no charts: Markdown renderers disagree on inline SVG, and
GitHub strips it); the numbers behind the HTML charts are here as tables.  Text
from articles and the web is escaped with the audit report's helpers.
"""

from __future__ import annotations

from linkaudit.health.model import CitationHealth, Coverage, DocumentHealth, HealthReport
from linkaudit.history import Change
from linkaudit.report.base import VERDICT_ORDER, utc_date, utc_stamp
from linkaudit.report.markdown import md_code, md_link, md_text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _where(item: CitationHealth) -> str:
    return md_code(f"{item.document}:{item.line}:{item.column}")


def _status(item: CitationHealth) -> str:
    if item.lost:
        return "**lost**"
    word = item.status.value if item.status else "unknown"
    return f"**{word.replace('_', ' ')}**"


def _change_list(title: str, changes: tuple[Change, ...], limit: int) -> list[str]:
    if not changes:
        return []
    lines = [f"**{title}** ({len(changes)}):", ""]
    for c in changes[:limit]:
        extra = ""
        if c.archive_url:
            extra = f" \u2192 {md_link(c.archive_url, 'archived copy')} {utc_date(c.captured_at)}"
        elif c.after.since:
            extra = f" (since {utc_date(c.after.since)})"
        docs = ", ".join(md_code(d) for d in c.documents)
        lines.append(f"- {md_link(c.url)}{extra} in {docs}")
    if len(changes) > limit:
        lines.append(f"- \u2026 and {len(changes) - limit} more")
    lines.append("")
    return lines


class HealthMarkdownFormatter:
    """``linkaudit health --format markdown``."""

    name = "markdown"
    extension = "md"

    def __init__(self, max_rows: int = 100) -> None:
        self.max_rows = max_rows

    def render(self, report: HealthReport) -> str:
        """The whole page: one function per section, in the order an editor reads them."""
        sections = (
            _title(report),
            _standing_table(report),
            _changes(report, self.max_rows),
            _verdicts_over_runs(report),
            _drift_section(report, self.max_rows),
            _rot_by_year(report),
            _top_hosts(report),
            _archive_coverage(report.coverage, self.max_rows),
            _worst_documents(report.documents, self.max_rows),
            [_footnote(report)],
        )
        return "\n".join(line for section in sections for line in section) + "\n"


def _title(report: HealthReport) -> list[str]:
    """The heading, which run the page describes, and any warnings about the store."""
    lines = ["# Link health", "", md_text(report.scope.text()), ""]
    if report.run_id is not None:
        lines += [
            f"Latest run #{report.run_id} on {utc_stamp(report.run_at)}. "
            f"Store: {md_code(report.store)}.",
            "",
        ]
    for warning in report.warnings:
        lines += [f"> **Warning:** {md_text(warning)}", ""]
    return lines


def _standing_table(report: HealthReport) -> list[str]:
    """One row of headline numbers: the HTML page's summary cards, as a table."""
    st = report.states
    return [
        "| Confirmed dead | Failing | Alive | Unknown | Lost | Archived near citation |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {st.get('confirmed_dead', 0)} | {st.get('failing', 0)} | {st.get('alive', 0)} "
        f"| {st.get('unknown', 0)} | {sum(d.lost for d in report.documents)} "
        f"| {_pct(report.coverage.share)} |",
        "",
    ]


def _changes(report: HealthReport, limit: int) -> list[str]:
    """What changed in the latest full audit: the summary sentence, then each kind's URLs."""
    diff = report.diff
    return [
        "## Changes in the latest full audit",
        "",
        md_text(diff.text()),
        "",
        *_change_list("Newly confirmed dead", diff.newly_confirmed_dead, limit),
        *_change_list("Newly failing", diff.newly_failing, limit),
        *_change_list("Recovered", diff.recovered, limit),
        *_change_list("Newly archived", diff.newly_archived, limit),
    ]


def _verdicts_over_runs(report: HealthReport) -> list[str]:
    """Verdict counts per run plotted on the HTML page (full audits that saw citations);
    only verdicts that occur get a column, to keep it narrow."""
    lines = ["## Verdicts over runs", ""]
    if report.runs:
        verdicts = [v for v in VERDICT_ORDER if any(p.counts.get(v.value) for p in report.runs)]
        lines.append("| Run | Started | " + " | ".join(v.value for v in verdicts) + " |")
        lines.append("|---|---|" + "---:|" * len(verdicts))
        for p in report.runs:
            cells = " | ".join(str(p.counts.get(v.value, 0)) for v in verdicts)
            lines.append(f"| #{p.run_id} | {utc_stamp(p.started_at)} | {cells} |")
    else:
        lines.append("No runs yet.")
    lines.append("")
    return lines


def _drift_section(report: HealthReport, limit: int) -> list[str]:
    """``--drift`` runs only: cited pages that no longer say what was cited, over runs,
    and the most-changed sources first."""
    if not report.has_drift:
        return []
    lines = ["## Content drift", "", "| Run | Started | drifted (stale) | changed (ok) |"]
    lines.append("|---|---|---:|---:|")
    for p in report.runs:
        if p.drift:
            lines.append(
                f"| #{p.run_id} | {utc_stamp(p.started_at)} | {p.drift.get('drifted', 0)} "
                f"| {p.drift.get('changed', 0)} |"
            )
    if report.most_changed:
        lines += ["", "Most changed sources (share of the cited text still there):", ""]
        for c in report.most_changed[:limit]:
            baseline = f" ({md_link(c.baseline_url, 'as cited')})" if c.baseline_url else ""
            lines.append(f"- {_pct(c.similarity)} {md_code(c.url)} {c.level}{baseline}")
    lines.append("")
    return lines


def _rot_by_year(report: HealthReport) -> list[str]:
    """Standing of citations grouped by the year their document cited them."""
    lines = ["## Rot by the year sources were cited", ""]
    if report.rot_by_year:
        lines.append("| Year | Citations | Confirmed dead | Lost | Failing | Alive | Rot |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for y in report.rot_by_year:
            lines.append(
                f"| {y.year} | {y.citations} | {y.confirmed_dead} | {y.lost} | {y.failing} "
                f"| {y.alive} | {_pct(y.rot_share)} |"
            )
    else:
        lines.append("No dated citations yet.")
    lines.append("")
    return lines


def _top_hosts(report: HealthReport) -> list[str]:
    """The hosts with the most dead or failing URLs: where rot concentrates."""
    lines = ["## Top hosts by dead links", ""]
    if report.top_hosts:
        lines.append("| Host | Confirmed dead | Failing |")
        lines.append("|---|---:|---:|")
        for h in report.top_hosts:
            lines.append(f"| {md_text(h.host)} | {h.confirmed_dead} | {h.failing} |")
    else:
        lines.append("No host has dead or failing links.")
    lines.append("")
    return lines


def _archive_coverage(cov: Coverage, limit: int) -> list[str]:
    """How much is archived near its citation date, then what is worth saving now."""
    lines = [
        "## Archive coverage",
        "",
        f"{cov.near} of {cov.considered} checked citations ({_pct(cov.share)}) have a "
        f"capture within {cov.near_days} days of their citation date; {cov.far} only "
        f"further away; {cov.none} have no capture known.",
        "",
    ]
    if cov.candidates:
        lines += _save_candidates(cov, limit)
    return lines


def _save_candidates(cov: Coverage, limit: int) -> list[str]:
    """Live URLs with no capture, most cited first: ``--save`` saves URLs, not citations."""
    urls = cov.candidate_urls()
    lines = [
        f"Live links with no capture ({_count(len(urls), 'URL')}, "
        f"{_count(len(cov.candidates), 'citation')}), candidates for `--save`:",
        "",
    ]
    for url, items in urls[:limit]:
        more = f" and {len(items) - 1} more" if len(items) > 1 else ""
        lines.append(f"- {md_link(url)} at {_where(items[0])}{more}")
    if len(urls) > limit:
        lines.append(f"- \u2026 and {len(urls) - limit} more URLs")
    lines.append("")
    return lines


def _worst_documents(documents: tuple[DocumentHealth, ...], limit: int) -> list[str]:
    """The overview table of troubled documents, then one section per document."""
    lines = ["## Worst documents first", ""]
    troubled = [d for d in documents if d.findings]
    if not troubled:
        return [*lines, "No document has dead, failing or lost links.", ""]
    lines += _document_table(troubled, limit)
    for i, doc in enumerate(troubled[:limit]):
        lines += _document_section(i, doc, limit)
    return lines


def _document_table(troubled: list[DocumentHealth], limit: int) -> list[str]:
    """One row per troubled document, linking to its section below."""
    lines = ["| Document | Dead | Lost | Failing | Citations |", "|---|---:|---:|---:|---:|"]
    for i, d in enumerate(troubled[:limit]):
        label = md_text(d.title or d.origin, 80)
        lines.append(
            f"| [{label}](#doc-{i}) | {d.confirmed_dead} | {d.lost} | {d.failing} | {d.citations} |"
        )
    if len(troubled) > limit:
        lines.append(f"\n\u2026 and {len(troubled) - limit} more documents.")
    lines.append("")
    return lines


def _document_section(index: int, doc: DocumentHealth, limit: int) -> list[str]:
    """A document's heading (the table's link target) and its troubled citations."""
    cited = f", cited {utc_date(doc.cited_at)}" if doc.cited_at else ""
    return [
        f'<a id="doc-{index}"></a>',
        f"### {md_text(doc.title or doc.origin, 120)}",
        "",
        f"{md_code(doc.origin)}{cited}",
        "",
        *(_finding_line(item) for item in doc.findings[:limit]),
        "",
    ]


def _finding_line(item: CitationHealth) -> str:
    """One troubled citation: standing, place, anchor text, URL, since when, archived copy.

    A lost link has no failing streak (there is no URL to fail), so no "since".
    """
    since = f", failing since {utc_date(item.since)}" if item.since and not item.lost else ""
    if item.confirmed_at:
        since += f", confirmed dead {utc_date(item.confirmed_at)}"
    archived = f"; {md_link(item.capture.url, 'archived copy')}" if item.capture else ""
    target = md_link(item.url) if item.url else "(no link)"
    return (
        f"- {_status(item)} {_where(item)} \u201c{md_text(item.anchor_text, 80)}"
        f"\u201d {target}{since}{archived}"
    )


def _footnote(report: HealthReport) -> str:
    """What "confirmed dead" means under the policy the numbers were computed with."""
    policy = report.policy
    return (
        f"_Confirmed dead: failed (broken or stale) in at least {policy.runs} runs spanning "
        f"at least {policy.days} days; blocked and unreachable never count._"
    )
