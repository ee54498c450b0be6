"""The Markdown report: a PR comment or a GitHub job summary (``$GITHUB_STEP_SUMMARY``).

Compact on purpose: a summary table and one row per problem, with the evidence
(status chains) folded into ``<details>``.  GitHub renders raw HTML and turns
``@name`` into a notification, so every piece of article or web text is escaped:
Markdown punctuation gets a backslash, ``<``/``>``/``&`` become entities, ``|`` cannot
split a table cell, and mentions are broken with an invisible word joiner.
Only http(s) URLs become links.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from linkaudit.model import Finding, Hop, Report
from linkaudit.report.base import (
    VERDICT_ORDER,
    anchor_label,
    archive_trouble,
    capture_note,
    counts,
    is_safe_href,
    moved_to,
    one_line,
    problems,
    summary_line,
    target_url,
    utc_date,
    warnings_of,
    what_to_do,
    where_text,
)

_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_MENTION = re.compile(r"@(?=\w)")
#: What GitHub turns into a link by itself in plain text (GFM's extended autolinks:
#: ``www.``, ``http://``, ``https://``, ``ftp://``; e-mail addresses are broken at
#: the ``@`` with the mentions).  A word joiner after the prefix keeps it text.
_AUTOLINK = re.compile(r"(?i)(www)(?=\.)|(https?|ftp)(?=:)")
_ARROW = " \u2192 "
_URL_SAFE = "-._~:/?#[]@!$&'*+,;=%"


def md_text(text: str, limit: int | None = None, *, link_label: bool = False) -> str:
    """Untrusted text as inert Markdown on one line (safe inside a table cell).

    ``link_label``: the text of a link linkaudit makes, where GitHub makes no
    autolink, so URLs there need no word joiner (which would be copied along).
    """
    flat = one_line(text)
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "\u2026"
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _SPECIALS.sub(r"\\\1", flat)
    if not link_label:
        flat = _AUTOLINK.sub(lambda m: m.group() + "\u2060", flat)
    return _MENTION.sub("@\u2060", flat)


def md_code(text: str) -> str:
    """Untrusted text as an inline code span that is safe inside a table cell."""
    flat = one_line(text).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def md_link(url: str | None, label: str | None = None, limit: int | None = 80) -> str:
    """A link for http(s) URLs; anything else (``javascript:``, ``data:``) as plain text."""
    if not url:
        return md_text(label or "")
    shown = md_text(label if label is not None else url, limit, link_label=is_safe_href(url))
    if not is_safe_href(url):
        return f"{shown} ({md_code(url)})" if label is not None else md_code(url)
    return f"[{shown}]({quote(url, safe=_URL_SAFE)})"


def _hop(hop: Hop) -> str:
    status = str(hop.status) if hop.status is not None else "no answer"
    note = f" ({hop.note})" if hop.note else ""
    return md_code(f"{hop.method} {hop.url} \u2192 {status}{note}")


class MarkdownFormatter:
    """GitHub-flavoured Markdown; ``max_rows`` keeps a summary under GitHub's size cap."""

    name = "markdown"
    extension = "md"

    def __init__(self, max_rows: int = 200) -> None:
        self.max_rows = max_rows

    def render(self, report: Report, *, color: bool = False) -> str:
        out: list[str] = []
        if len(report.documents) == 1:
            doc = report.documents[0]
            out.append(f"## linkaudit: {md_text(doc.title or doc.origin)}")
        else:
            out.append(f"## linkaudit: {len(report.documents)} documents")
        out.append("")
        for doc in report.documents:
            cited = f" \u00b7 cited {utc_date(doc.cited_at)}" if doc.cited_at else ""
            title = f"{md_text(doc.title)} \u00b7 " if doc.title else ""
            out.append(f"- {title}{md_code(doc.origin)}{cited}")
        out.append("")
        out.extend(_banner(report))
        out.append(f"**{md_text(summary_line(report))}**")
        out.append("")
        if report.changes:
            out.append(f"Since the last run: {md_text(report.changes)}")
            out.append("")
        warnings = list(warnings_of(report))
        if warnings:
            out.extend(f"> \u26a0\ufe0f {md_text(w)}  " for w in warnings)
            out.append("")

        tally = counts(report)
        out.append("| verdict | citations |")
        out.append("|:--|--:|")
        out.extend(f"| {v.value} | {tally[v]} |" for v in VERDICT_ORDER if tally[v])
        out.append("")

        found = problems(report)
        if not found:
            out.append("No problems found.")
            return "\n".join(out) + "\n"
        shown = found[: self.max_rows]
        out.append(f"### Problems ({len(found)})")
        out.append("")
        out.append("| verdict | where | link | what to do |")
        out.append("|:--|:--|:--|:--|")
        for f in shown:
            reason = f" {md_code(f.reason)}" if f.reason else ""
            out.append(
                f"| **{f.verdict.value}**{reason} | {md_code(where_text(f))} "
                f"| {_link_cell(f)} | {_fix_cell(f, report)} |"
            )
        if len(found) > len(shown):
            out.append("")
            out.append(f"\u2026 and {len(found) - len(shown)} more; see the full report.")
        out.append("")
        out.append("<details>")
        out.append(f"<summary>Evidence ({len(shown)})</summary>")
        out.append("")
        for f in shown:
            out.extend(_evidence(f))
        out.append("</details>")
        return "\n".join(out) + "\n"


def _banner(report: Report) -> list[str]:
    """What the run could not reach: GitHub renders each as a warning box."""
    out: list[str] = []
    for outage in report.outages:
        out.extend(["> [!WARNING]", f"> {md_text(outage.message)}", ""])
    return out


def _link_cell(f: Finding) -> str:
    url = target_url(f)
    if url is None:
        return md_text(anchor_label(f), 80)
    return md_link(url, anchor_label(f))


def _fix_cell(f: Finding, report: Report) -> str:
    """The repair when there is one (new URL, restored href, archived copy), else what
    to do, and why a dead link has no copy when the lookup ran into trouble."""
    new = moved_to(f)
    if new:
        return f"update to {md_link(new)}"
    if f.restoration is not None:
        return f"restore {md_link(f.restoration.url)}"
    if f.archive is not None:
        return f"use the {md_link(f.archive.url, 'archived copy')} ({md_text(capture_note(f))})"
    trouble = archive_trouble(f, report)
    return md_text(what_to_do(f, report)) + (f" ({md_text(trouble)})" if trouble else "")


def _evidence(f: Finding) -> list[str]:
    cit = f.citation
    lines = [
        f"- **{f.verdict.value}** \u201c{md_text(anchor_label(f), 120)}\u201d at "
        f"{md_code(where_text(f))}  "
    ]
    url = target_url(f)
    if url:
        lines.append(f"  URL: {md_code(url)}  ")
    if f.detail:
        lines.append(f"  {md_text(f.detail)}  ")
    if f.result is not None and f.result.chain:
        chain = _ARROW.join(_hop(h) for h in f.result.chain)
        lines.append(f"  chain: {chain}  ")
    if cit.context:
        lines.append(f"  context: \u201c{md_text(cit.context, 300)}\u201d  ")
    if f.restoration is not None:
        lines.append(f"  restored from: {md_link(f.restoration.evidence_url)}  ")
    lines.extend(_drift_lines(f))
    lines.append("")
    return lines


def _drift_lines(f: Finding) -> list[str]:
    """``--drift`` evidence: the baseline compared with, and what disappeared."""
    d = f.drift
    if d is None or d.level == "same":
        return []
    which = "archived copy" if d.baseline == "archive" else "first observation"
    baseline = md_link(d.baseline_url, which) if d.baseline_url else which
    out = [f"  drift: {d.similarity:.0%} of the main text in the {baseline} is still there  "]
    if d.title_before != d.title_after:
        out.append(
            f"  title then \u201c{md_text(d.title_before, 120)}\u201d, "
            f"now \u201c{md_text(d.title_after, 120)}\u201d  "
        )
    if d.disappeared:
        out.append(f"  gone: \u201c{md_text(d.disappeared, 300)}\u201d  ")
    return out
