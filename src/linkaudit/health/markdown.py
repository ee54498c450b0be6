"""The health report in Markdown: for a job summary, an issue or a newsletter to editors.

Tables and lists only (no charts: Markdown renderers disagree on inline SVG, and
GitHub strips it); the numbers behind the HTML charts are here as tables.  Text
from articles and the web is escaped with the audit report's helpers.
"""

from __future__ import annotations

from linkaudit.health.model import CitationHealth, HealthReport
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
        st = report.states
        cov = report.coverage
        policy = report.policy
        out = ["# Link health", ""]
        if report.run_id is not None:
            out.append(
                f"{report.total_runs} runs recorded; latest run #{report.run_id} on "
                f"{utc_stamp(report.run_at)}. Store: {md_code(report.store)}."
            )
        else:
            out.append("No runs recorded yet.")
        out.append("")
        for warning in report.warnings:
            out.append(f"> **Warning:** {md_text(warning)}")
            out.append("")
        out += [
            "| Confirmed dead | Failing | Alive | Unknown | Lost | Archived near citation |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {st.get('confirmed_dead', 0)} | {st.get('failing', 0)} | {st.get('alive', 0)} "
            f"| {st.get('unknown', 0)} | {sum(d.lost for d in report.documents)} "
            f"| {_pct(cov.share)} |",
            "",
            "## Changes since the previous run",
            "",
            md_text(report.diff.text()),
            "",
        ]
        diff = report.diff
        out += _change_list("Newly confirmed dead", diff.newly_confirmed_dead, self.max_rows)
        out += _change_list("Newly failing", diff.newly_failing, self.max_rows)
        out += _change_list("Recovered", diff.recovered, self.max_rows)
        out += _change_list("Newly archived", diff.newly_archived, self.max_rows)

        out += ["## Verdicts over runs", ""]
        if report.runs:
            verdicts = [v for v in VERDICT_ORDER if any(p.counts.get(v.value) for p in report.runs)]
            out.append("| Run | Started | " + " | ".join(v.value for v in verdicts) + " |")
            out.append("|---|---|" + "---:|" * len(verdicts))
            for p in report.runs:
                cells = " | ".join(str(p.counts.get(v.value, 0)) for v in verdicts)
                out.append(f"| #{p.run_id} | {utc_stamp(p.started_at)} | {cells} |")
        else:
            out.append("No runs yet.")
        out.append("")

        out += ["## Rot by the year sources were cited", ""]
        if report.rot_by_year:
            out.append("| Year | Citations | Confirmed dead | Lost | Failing | Alive | Rot |")
            out.append("|---|---:|---:|---:|---:|---:|---:|")
            for y in report.rot_by_year:
                out.append(
                    f"| {y.year} | {y.citations} | {y.confirmed_dead} | {y.lost} | {y.failing} "
                    f"| {y.alive} | {_pct(y.rot_share)} |"
                )
        else:
            out.append("No dated citations yet.")
        out.append("")

        out += ["## Top hosts by dead links", ""]
        if report.top_hosts:
            out.append("| Host | Confirmed dead | Failing |")
            out.append("|---|---:|---:|")
            for h in report.top_hosts:
                out.append(f"| {md_text(h.host)} | {h.confirmed_dead} | {h.failing} |")
        else:
            out.append("No host has dead or failing links.")
        out.append("")

        out += [
            "## Archive coverage",
            "",
            f"{cov.near} of {cov.considered} checked citations ({_pct(cov.share)}) have a "
            f"capture within {cov.near_days} days of their citation date; {cov.far} only "
            f"further away; {cov.none} have no capture known.",
            "",
        ]
        if cov.candidates:
            urls = cov.candidate_urls()
            out.append(
                f"Live links with no capture ({_count(len(urls), 'URL')}, "
                f"{_count(len(cov.candidates), 'citation')}), candidates for `--save`:"
            )
            out.append("")
            for url, items in urls[: self.max_rows]:
                more = f" and {len(items) - 1} more" if len(items) > 1 else ""
                out.append(f"- {md_link(url)} at {_where(items[0])}{more}")
            if len(urls) > self.max_rows:
                out.append(f"- \u2026 and {len(urls) - self.max_rows} more URLs")
            out.append("")

        out += ["## Worst documents first", ""]
        troubled = [d for d in report.documents if d.findings]
        if troubled:
            out.append("| Document | Dead | Lost | Failing | Citations |")
            out.append("|---|---:|---:|---:|---:|")
            for i, d in enumerate(troubled[: self.max_rows]):
                label = md_text(d.title or d.origin, 80)
                out.append(
                    f"| [{label}](#doc-{i}) | {d.confirmed_dead} | {d.lost} | {d.failing} "
                    f"| {d.citations} |"
                )
            if len(troubled) > self.max_rows:
                out.append(f"\n\u2026 and {len(troubled) - self.max_rows} more documents.")
            out.append("")
            for i, d in enumerate(troubled[: self.max_rows]):
                out.append(f'<a id="doc-{i}"></a>')
                out.append(f"### {md_text(d.title or d.origin, 120)}")
                out.append("")
                out.append(
                    f"{md_code(d.origin)}"
                    + (f", cited {utc_date(d.cited_at)}" if d.cited_at else "")
                )
                out.append("")
                for item in d.findings[: self.max_rows]:
                    since = (
                        f", failing since {utc_date(item.since)}"
                        if item.since and not item.lost
                        else ""
                    )
                    if item.confirmed_at:
                        since += f", confirmed dead {utc_date(item.confirmed_at)}"
                    archived = (
                        f"; {md_link(item.capture.url, 'archived copy')}" if item.capture else ""
                    )
                    target = md_link(item.url) if item.url else "(no link)"
                    out.append(
                        f"- {_status(item)} {_where(item)} \u201c{md_text(item.anchor_text, 80)}"
                        f"\u201d {target}{since}{archived}"
                    )
                out.append("")
        else:
            out.append("No document has dead, failing or lost links.")
            out.append("")
        out.append(
            f"_Confirmed dead: failed (broken or stale) in at least {policy.runs} runs spanning "
            f"at least {policy.days} days; blocked and unreachable never count._"
        )
        return "\n".join(out) + "\n"
