"""The HTML report: one self-contained page an editor can open, filter, search and print.

Everything the page needs is inline (no external CSS, JS, fonts or images), so it can
be mailed or attached to a ticket and still work offline.

Security model: anchor texts, URLs, titles, status notes -- everything that came
from the article or the web -- is hostile until proven otherwise.

- Rows are rendered here, server-side, with ``html.escape`` on every interpolation
  (attributes included); the script only filters, sorts and expands existing rows
  and never turns data into markup.
- Only ``http:``/``https:`` URLs become ``<a href>``; ``javascript:``, ``data:`` and
  anything else is shown as text.
- A Content-Security-Policy meta allows nothing but this page's own style and script,
  pinned by their SHA-256 hashes: even if an injection slipped through, no injected
  script, style, image, frame or form could run or load.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from linkaudit import __version__
from linkaudit.model import (
    ArchiveCopy,
    CheckResult,
    Citation,
    Document,
    Finding,
    Hop,
    OutageKind,
    Report,
    Restoration,
    Verdict,
)
from linkaudit.report.base import (
    VERDICT_ORDER,
    anchor_label,
    archive_trouble,
    capture_note,
    counts,
    is_problem,
    is_safe_href,
    moved_to,
    one_line,
    severity_sort_key,
    short_url,
    summary_line,
    target_url,
    utc_date,
    utc_stamp,
    warnings_of,
    what_to_do,
    where_text,
)

_STYLE = """
:root { --fg: #1d2330; --muted: #5d6677; --line: #d9dde5; --bg: #fff; --soft: #f4f6f9;
  --red: #b42318; --amber: #9a5b00; --blue: #175cd3; --green: #067647; --grey: #667085; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); margin: 0 auto; padding: 1.5rem; max-width: 90rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
header .doc { margin: .35rem 0; overflow-wrap: anywhere; }
header .doc .title { font-weight: 600; }
.muted, header .meta { color: var(--muted); font-size: .9rem; }
.summary { font-weight: 600; margin: 1rem 0 .5rem; }
.warnings { background: #fffaeb; border: 1px solid #fedf89; padding: .5rem 1rem;
  overflow-wrap: anywhere; }
.banner { background: #fef3f2; border: 2px solid var(--red); border-radius: 6px;
  padding: .6rem 1rem; margin: 1rem 0; overflow-wrap: anywhere; }
.banner strong { color: var(--red); }
.controls { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin: .75rem 0; }
.chip, .preset, .toggle, th button { font: inherit; cursor: pointer; }
.chip { border: 1px solid var(--line); border-radius: 999px; padding: .2rem .7rem;
  background: var(--soft); color: var(--muted); }
.chip[aria-pressed="true"] { background: var(--fg); border-color: var(--fg); color: #fff; }
.chip .n { font-weight: 700; margin-left: .25rem; }
.preset { border: 0; background: none; color: var(--blue); text-decoration: underline; }
#search { font: inherit; padding: .3rem .6rem; min-width: 18rem; border: 1px solid var(--line);
  border-radius: 6px; margin-left: auto; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
col.c-verdict { width: 9rem; } col.c-text { width: 18%; } col.c-url { width: 27%; }
col.c-todo { width: 21%; }
th { text-align: left; border-bottom: 2px solid var(--line); white-space: nowrap; }
th button { border: 0; background: none; padding: .4rem .2rem; font-weight: 600; color: var(--fg); }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
td { vertical-align: top; padding: .45rem .3rem; border-bottom: 1px solid var(--line);
  overflow-wrap: anywhere; }
tbody.finding tr.more td { background: var(--soft); border-bottom: 1px solid var(--line); }
td.c-verdict { white-space: nowrap; }
.where { display: block; color: var(--muted); font-size: .8rem; margin-top: .15rem; }
.todo { font-weight: 600; }
.toggle { border: 1px solid var(--line); background: var(--bg); border-radius: 4px;
  width: 1.6rem; padding: 0; }
.toggle[aria-expanded="true"] { background: var(--soft); }
.verdict { display: inline-block; font-weight: 700; font-size: .8rem; text-transform: uppercase;
  letter-spacing: .02em; padding: .05rem .4rem; border-radius: 4px; color: #fff;
  background: var(--c, var(--grey)); }
.v-lost, .v-broken, .v-stale, .v-invalid { --c: var(--red); }
.v-insecure, .v-fragment_missing, .v-moved { --c: var(--amber); }
.v-blocked, .v-unreachable { --c: var(--blue); }
.v-ok { --c: var(--green); }
.v-skipped { --c: var(--grey); }
.chip[aria-pressed="true"] { background: var(--c, var(--fg)); border-color: var(--c, var(--fg)); }
code, .url-plain { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .85em; overflow-wrap: anywhere; }
td.c-url a, td.c-url .url-plain { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas,
  monospace; font-size: .85em; }
.url-plain { color: var(--red); }
.detail, .when { color: var(--muted); font-size: .88rem; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .25rem 1rem;
  margin: 0; }
dt { font-weight: 600; color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
ol.chain { margin: 0; padding-left: 1.2rem; }
.status { font-weight: 700; }
.empty { color: var(--muted); padding: 1rem 0; }
footer { margin-top: 1.5rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 700px) {
  body { padding: .75rem; }
  #search { min-width: 0; width: 100%; margin-left: 0; }
  table, tbody, tr, td { display: block; width: 100%; }
  table { table-layout: auto; }
  colgroup, thead { display: none; }
  tbody.finding { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 .75rem;
    padding: .35rem .5rem; }
  tbody.finding[hidden], tbody.finding tr.more[hidden] { display: none; }
  td { border: 0; padding: .2rem 0; }
  td[data-label]::before { content: attr(data-label); display: block; color: var(--muted);
    font-size: .75rem; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
  tbody.finding tr.more td { border-radius: 6px; padding: .5rem; }
  dl { grid-template-columns: minmax(0, 1fr); gap: 0; }
  dd { margin-bottom: .4rem; }
}
@media print {
  body { padding: 0; max-width: none; font-size: 11pt; }
  .controls, .toggle, .preset { display: none !important; }
  tbody.finding tr.more[hidden] { display: table-row; }
  tbody.finding[hidden] { display: none; }
  a { color: inherit; text-decoration: none; }
  .verdict { color: #000; background: none !important; border: 1px solid #000; }
  tr { break-inside: avoid; }
}
"""

_SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("findings");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies);
  var chips = Array.prototype.slice.call(document.querySelectorAll("button.chip"));
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var empty = document.getElementById("no-match");

  function pressed(button) { return button.getAttribute("aria-pressed") === "true"; }

  function apply() {
    var on = {};
    chips.forEach(function (chip) { if (pressed(chip)) { on[chip.dataset.verdict] = true; } });
    var query = search.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var visible = on[row.dataset.verdict] === true &&
        (query === "" || row.dataset.search.indexOf(query) !== -1);
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = String(count);
    empty.hidden = count !== 0;
  }

  chips.forEach(function (chip) {
    chip.addEventListener("click", function () {
      chip.setAttribute("aria-pressed", pressed(chip) ? "false" : "true");
      apply();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("button[data-preset]"), function (button) {
    button.addEventListener("click", function () {
      var preset = button.dataset.preset;
      chips.forEach(function (chip) {
        var on = preset === "all" || (preset === "problems" && chip.dataset.problem === "true");
        chip.setAttribute("aria-pressed", on ? "true" : "false");
      });
      apply();
    });
  });
  search.addEventListener("input", apply);

  var heads = Array.prototype.slice.call(table.querySelectorAll("th[data-sort]"));
  heads.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = "k" + th.dataset.sort;
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.dataset[key], y = b.dataset[key];
        var c = x < y ? -1 : (x > y ? 1 : 0);
        return c !== 0 ? c * dir : Number(a.dataset.order) - Number(b.dataset.order);
      });
      rows.forEach(function (row) { table.appendChild(row); });
    });
  });

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    var more = document.getElementById(button.getAttribute("aria-controls"));
    if (more) { more.hidden = !open; }
  }
  table.addEventListener("click", function (event) {
    var button = event.target.closest("button.toggle");
    if (button) { setOpen(button, button.getAttribute("aria-expanded") !== "true"); }
  });
  var expand = document.getElementById("expand-all");
  expand.addEventListener("click", function () {
    var open = expand.getAttribute("aria-pressed") !== "true";
    expand.setAttribute("aria-pressed", open ? "true" : "false");
    expand.textContent = open ? "collapse all" : "expand all";
    Array.prototype.forEach.call(table.querySelectorAll("button.toggle"), function (button) {
      setOpen(button, open);
    });
  });

  apply();
})();
"""


def _sha256(source: str) -> str:
    return base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


#: The page's policy: nothing but its own (hash-pinned) style and script.
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_sha256(_STYLE)}'; "
    f"script-src 'sha256-{_sha256(_SCRIPT)}'; "
    "img-src 'none'; base-uri 'none'; form-action 'none'"
)

_SEP = " \u00b7 "

#: The table's columns: sort key (``data-k<key>`` on each row), CSS class, heading.
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("verdict", "c-verdict", "Verdict"),
    ("location", "c-text", "Citation"),
    ("url", "c-url", "URL"),
    ("reason", "c-reason", "Reason"),
    ("todo", "c-todo", "What to do"),
)


def escape_html(value: object) -> str:
    """Escape for element content and quoted attributes alike."""
    return escape(str(value), quote=True)


def link(url: str | None, label: str | None = None, *, short: bool = False) -> str:
    """A clickable link for http(s) only; any other scheme is inert text.

    ``short`` shows a long URL cut in the middle, the whole of it in the title.
    """
    if not url:
        return ""
    text = escape_html(label if label is not None else (short_url(url) if short else url))
    title = f' title="{escape_html(url)}"' if short and short_url(url) != url else ""
    if is_safe_href(url):
        return (
            f'<a href="{escape_html(url)}" rel="noopener noreferrer nofollow" target="_blank"'
            f"{title}>{text}</a>"
        )
    shown = text if label is None else f"{text} ({escape_html(url)})"
    return f'<span class="url-plain" title="not a web link; not clickable">{shown}</span>'


def _hop(hop: Hop) -> str:
    status = escape_html(hop.status) if hop.status is not None else "no answer"
    note = f' <span class="detail">{escape_html(hop.note)}</span>' if hop.note else ""
    target = f" \u2192 {link(hop.location)}" if hop.location else ""
    return (
        f'<li><span class="status">{status}</span> {escape_html(hop.method)} {link(hop.url)}'
        f"{target}{note}</li>"
    )


def _todo_cell(f: Finding, report: Report) -> str:
    """What to do, in words, with the repair at hand as its link: the new URL, the
    restored href or the archived copy (and why a dead link has none when the lookup
    ran into trouble; the long notes stay in the evidence)."""
    new = moved_to(f)
    if new:
        return f'<div class="todo">update the link to</div>{link(new, short=True)}'
    if f.restoration is not None:
        return (
            f'<div class="todo">restore the link to</div>{link(f.restoration.url, short=True)}'
            f'<div class="when">from the {link(f.restoration.evidence_url, "archived article")}'
            "</div>"
        )
    todo = escape_html(what_to_do(f, report))
    if f.archive is not None and todo.endswith("archived copy"):
        todo = f"{todo.removesuffix('archived copy')}{link(f.archive.url, 'archived copy')}"
    out = f'<div class="todo">{todo}</div>'
    if f.archive is not None:
        out += f'<div class="when">{escape_html(capture_note(f))}</div>'
    trouble = archive_trouble(f, report)
    if trouble:
        out += f'<div class="detail">{escape_html(trouble)}</div>'
    return out


#: One entry of a finding's evidence list: a label and its (already escaped) markup.
_Entry = tuple[str, str]


def _details(f: Finding) -> str:
    """The evidence under a finding, as a definition list an editor reads top down.

    First what was cited and found, then where the request led, then the repairs
    on offer, then how the citation was written and when it was checked.  An entry
    with nothing to say is left out rather than shown empty.
    """
    entries = [
        *_cited_entries(f),
        *_path_entries(f.result),
        *_drift_entries(f),
        *_repair_entries(f),
        ("Citation", _citation_kind(f.citation)),
        *_check_entries(f.result),
    ]
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in entries) + "</dl>"


def _cited_entries(f: Finding) -> list[_Entry]:
    """The sentence around the link, the verdict's evidence, and the URL as written/resolved.

    The resolved URL is shown only when it differs, so a plain absolute link does
    not appear twice.
    """
    cit = f.citation
    entries: list[_Entry] = []
    if cit.context:
        entries.append(("Context", f"\u201c{escape_html(one_line(cit.context))}\u201d"))
    if f.detail:
        entries.append(("Evidence", escape_html(f.detail)))
    if cit.url_as_written is not None:
        entries.append(("As written", f"<code>{escape_html(cit.url_as_written)}</code>"))
    if cit.url and cit.url != cit.url_as_written:
        entries.append(("Resolved", link(cit.url)))
    return entries


def _drift_entries(f: Finding) -> list[_Entry]:
    """``--drift``: how much of the cited text is still there, against which baseline,
    the titles then and now, and what disappeared and appeared (short excerpts)."""
    d = f.drift
    if d is None:
        return []
    which = "archived copy" if d.baseline == "archive" else "first observation"
    when = f" of {escape_html(utc_date(d.baseline_at))}" if d.baseline_at else ""
    target = link(d.baseline_url, which) if d.baseline_url else escape_html(which)
    entries: list[_Entry] = [
        ("Still there", f"{d.similarity:.0%} of the main text in the {target}{when}")
    ]
    if d.title_before != d.title_after:
        entries.append(
            (
                "Title",
                f"then \u201c{escape_html(d.title_before)}\u201d, "
                f"now \u201c{escape_html(d.title_after)}\u201d",
            )
        )
    if d.disappeared:
        entries.append(
            ("Before", f'<blockquote class="before">{escape_html(d.disappeared)}</blockquote>')
        )
    if d.appeared:
        entries.append(
            ("After", f'<blockquote class="after">{escape_html(d.appeared)}</blockquote>')
        )
    if d.quote:
        entries.append(("Quotation", escape_html(d.quote.replace("_", " "))))
    return entries


def _path_entries(result: CheckResult | None) -> list[_Entry]:
    """Every hop the check took and where it ended (nothing for an unchecked citation)."""
    if result is None:
        return []
    entries: list[_Entry] = []
    if result.chain:
        hops = "".join(_hop(h) for h in result.chain)
        entries.append(("Status chain", f'<ol class="chain">{hops}</ol>'))
    if result.final_url:
        entries.append(("Final URL", link(result.final_url)))
    return entries


def _repair_entries(f: Finding) -> list[_Entry]:
    """What an editor can do about it: the new URL, a restored href, an archived copy.

    A note about the archive (none found, lookup failed) stands in only when
    there is no copy to show.
    """
    entries: list[_Entry] = []
    new = moved_to(f)
    if new:
        entries.append(("Fix", f"update the link to {link(new)}"))
    if f.restoration is not None:
        entries.append(("Restored href", _restored_href(f.restoration)))
    if f.archive is not None:
        entries.append(("Archived copy", _archived_copy(f, f.archive)))
    elif f.archive_note:
        entries.append(("Archive", escape_html(f.archive_note)))
    return entries


def _restored_href(rest: Restoration) -> str:
    """The recovered href with the archived article that proves it (and its capture date)."""
    when = f" (captured {escape_html(utc_date(rest.captured_at))})" if rest.captured_at else ""
    return f"{link(rest.url)}<div class='when'>found in {link(rest.evidence_url)}{when}</div>"


def _archived_copy(f: Finding, copy: ArchiveCopy) -> str:
    """The copy's link with when, where and (if recorded) with what status it was captured."""
    status = f", status {escape_html(copy.status)}" if copy.status is not None else ""
    return (
        f"{link(copy.url)}<div class='when'>{escape_html(capture_note(f))}, "
        f"{escape_html(copy.archive)}{status}</div>"
    )


def _citation_kind(cit: Citation) -> str:
    """How the citation is written: its kind, element[attribute], rel and relation."""
    markup = f"{cit.element}[{cit.attribute}]" if cit.element and cit.attribute else cit.element
    kind = escape_html(cit.kind.value) + (
        f" \u00b7 <code>{escape_html(markup)}</code>" if markup else ""
    )
    if cit.rel:
        kind += f" \u00b7 rel={escape_html(' '.join(cit.rel))}"
    return kind + f" \u00b7 {escape_html(cit.relation.value)}"


def _check_entries(result: CheckResult | None) -> list[_Entry]:
    """When and how the link was checked (attempts, cache), and the checker's notes."""
    if result is None:
        return []
    checked = [f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}"]
    if result.checked_at:
        checked.insert(0, utc_stamp(result.checked_at))
    if result.from_cache:
        checked.append("from cache")
    entries: list[_Entry] = [("Checked", escape_html(", ".join(checked)))]
    if result.notes:
        entries.append(("Notes", "<br>".join(escape_html(n) for n in result.notes)))
    return entries


def _search_text(f: Finding) -> str:
    """Everything a reader may type into the search box to find this row."""
    cit = f.citation
    return " ".join(
        one_line(part)
        for part in (
            f.verdict.value,
            f.reason,
            f.detail,
            cit.text,
            target_url(f) or "",
            cit.document,
            cit.context,
            (f.result.final_url or "") if f.result else "",
            f.archive.url if f.archive else "",
            f.restoration.url if f.restoration else "",
        )
        if part
    ).lower()


def _row(index: int, f: Finding, doc_index: int, report: Report) -> str:
    """One finding: its row (verdict, citation, URL, reason, what to do) and its
    evidence, folded.  Each cell carries its heading for the narrow-screen cards."""
    cit = f.citation
    url = target_url(f)
    loc = cit.location
    attrs = {
        "class": "finding",
        "data-verdict": f.verdict.value,
        "data-problem": "true" if is_problem(f.verdict) else "false",
        "data-order": str(index),
        "data-kverdict": f"{100 - f.verdict.severity:03d}",
        "data-klocation": f"{doc_index:04d}:{loc.line:08d}:{loc.column:06d}",
        "data-kurl": (url or "").lower(),
        "data-kreason": f.reason,
        "data-ktodo": what_to_do(f, report),
        "data-search": _search_text(f),
    }
    attr_text = " ".join(f'{k}="{escape_html(v)}"' for k, v in attrs.items())
    more_id = f"more-{index}"
    url_cell = link(url, short=True) if url else '<span class="detail">(no link)</span>'
    detail = f'<div class="detail">{escape_html(f.detail)}</div>' if f.detail else ""
    return (
        f"<tbody {attr_text}>\n"
        f'<tr class="row"><td class="c-verdict"><button type="button" class="toggle" '
        f'aria-expanded="false" aria-controls="{more_id}" title="evidence">\u25b8</button> '
        f'<span class="verdict v-{escape_html(f.verdict.value)}">'
        f"{escape_html(f.verdict.value)}</span></td>"
        f'<td class="c-text">{escape_html(anchor_label(f))}'
        f'<code class="where">{escape_html(where_text(f))}</code></td>'
        f'<td class="c-url" data-label="URL">{url_cell}</td>'
        f'<td class="c-reason" data-label="Reason"><code>{escape_html(f.reason)}</code>'
        f"{detail}</td>"
        f'<td class="c-todo" data-label="What to do">{_todo_cell(f, report)}</td></tr>\n'
        f'<tr class="more" id="{more_id}" hidden><td colspan="{len(_COLUMNS)}">'
        f"{_details(f)}</td></tr>\n</tbody>"
    )


#: Rows the page holds at most.  A row with its evidence is ~1.8 KB of HTML: a
#: 100,000-link run made a 179 MB page no browser would open.  Findings are sorted
#: worst first, so what is cut is the tail of ``ok`` (then the mildest problems);
#: the page says so, and the JSON and CSV reports keep every row.
MAX_HTML_ROWS = 5000


class HtmlFormatter:
    """A single self-contained HTML5 page (inline style and script, strict CSP)."""

    name = "html"
    extension = "html"

    def __init__(self, max_rows: int = MAX_HTML_ROWS) -> None:
        self.max_rows = max_rows

    def render(self, report: Report, *, color: bool = False) -> str:
        """The whole page: head, header, summary, filters, the findings table, footer."""
        docs = report.documents
        page_title = _page_title(docs)
        every = sorted(report.findings, key=severity_sort_key(report))
        findings = every[: self.max_rows]
        left_out = _left_out(every[self.max_rows :])
        lines = [
            *_head(page_title),
            "<body>",
            "<header>",
            f"<h1>Link audit: {escape_html(page_title)}</h1>",
            *(_document_line(doc) for doc in docs),
            f'<p class="meta">Checked {escape_html(utc_stamp(report.started_at))} to '
            f"{escape_html(utc_stamp(report.finished_at))} by linkaudit "
            f"{escape_html(__version__)}</p>",
            "</header>",
            *_banner(report),
            *_warnings(report),
            f'<p class="summary">{escape_html(summary_line(report))}</p>',
            *_filter_controls(counts(report)),
            f'<p class="muted">Showing <span id="shown">{len(findings)}</span> of '
            f"{len(findings)} citations.</p>",
            *left_out,
            *_findings_table(findings, report),
            '<p class="empty" id="no-match" hidden>No citation matches these filters.</p>',
            _FOOTER,
            f"<script>{_SCRIPT}</script>",
            "</body>",
            "</html>",
        ]
        return "\n".join(lines) + "\n"


def _left_out(rest: list[Finding]) -> list[str]:
    """The note for the rows a very large run leaves off the page, by verdict."""
    if not rest:
        return []
    tally: dict[Verdict, int] = {}
    for finding in rest:
        tally[finding.verdict] = tally.get(finding.verdict, 0) + 1
    parts = ", ".join(f"{tally[v]:,} {v.value}" for v in VERDICT_ORDER if v in tally)
    return [
        f'<p class="warnings" id="left-out">{len(rest):,} more citations are not on this page '
        f"({escape_html(parts)}), so that a browser can open it: the JSON and CSV reports "
        "list every citation.</p>"
    ]


_FOOTER = (
    "<footer>Verdicts: ok (live), moved (update the link), broken (gone), stale "
    "(answers, content gone), blocked (refused to verify), unreachable (may be "
    "transient), insecure (TLS fails), fragment_missing (#anchor not on the page), "
    "invalid (not a URL), skipped (not checked), lost (the link is missing).</footer>"
)


def _page_title(docs: tuple[Document, ...]) -> str:
    """One document's title (or origin), else how many documents the page covers."""
    if len(docs) == 1:
        return one_line(docs[0].title or docs[0].origin)
    return f"{len(docs)} documents"


def _head(page_title: str) -> list[str]:
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
        f"<title>Link audit: {escape_html(page_title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
    ]


def _document_line(doc: Document) -> str:
    """One audited document in the header: title, origin, canonical URL, citation date."""
    meta = [f"<code>{escape_html(doc.origin)}</code>"]
    if doc.canonical_url:
        meta.append(link(doc.canonical_url))
    if doc.cited_at:
        source = f" ({escape_html(doc.cited_at_source)})" if doc.cited_at_source else ""
        meta.append(f"cited {escape_html(utc_date(doc.cited_at))}{source}")
    title = f'<span class="title">{escape_html(one_line(doc.title))}</span> ' if doc.title else ""
    return f'<div class="doc">{title}<span class="meta">{_SEP.join(meta)}</span></div>'


def _banner(report: Report) -> list[str]:
    """What the run could not reach, at the top: it changes how every row reads."""
    return [
        f'<section class="banner" role="alert"><strong>{escape_html(_OUTAGE[o.kind])}</strong> '
        f"{escape_html(o.message)}</section>"
        for o in report.outages
    ]


_OUTAGE = {
    OutageKind.NETWORK: "This run could not reach the network.",
    OutageKind.ARCHIVES: "This run could not reach the archives.",
}


def _warnings(report: Report) -> list[str]:
    """The run's warnings in one box, or nothing at all when there are none."""
    warnings = list(warnings_of(report))
    if not warnings:
        return []
    items = "".join(f"<li>{escape_html(one_line(w))}</li>" for w in warnings)
    return [f'<section class="warnings"><strong>Warnings</strong><ul>{items}</ul></section>']


def _filter_controls(tally: dict[Verdict, int]) -> list[str]:
    """A chip per verdict present, the presets, expand-all and the search box.

    Problem verdicts start pressed, so the page opens on what needs work; a run
    with no problem at all starts with every chip pressed instead of an empty table.
    """
    any_problem = any(is_problem(v) and n for v, n in tally.items())
    chips = [
        _chip(verdict, tally[verdict], pressed=is_problem(verdict) or not any_problem)
        for verdict in VERDICT_ORDER
        if tally[verdict]
    ]
    return [
        '<nav class="controls" aria-label="Filters">',
        *chips,
        '<button type="button" class="preset" data-preset="problems">problems</button>',
        '<button type="button" class="preset" data-preset="all">all</button>',
        '<button type="button" class="preset" id="expand-all" aria-pressed="false">'
        "expand all</button>",
        '<input type="search" id="search" placeholder="Search text, URL, reason\u2026" '
        'aria-label="Search findings" autocomplete="off">',
        "</nav>",
    ]


def _chip(verdict: Verdict, count: int, *, pressed: bool) -> str:
    """The filter button of one verdict, with its count."""
    return (
        f'<button type="button" class="chip v-{verdict.value}" '
        f'data-verdict="{verdict.value}" '
        f'data-problem="{"true" if is_problem(verdict) else "false"}" '
        f'aria-pressed="{"true" if pressed else "false"}">{verdict.value}'
        f'<span class="n">{count}</span></button>'
    )


def _findings_table(findings: list[Finding], report: Report) -> list[str]:
    """The sortable table, one ``<tbody>`` per finding (its row and its evidence).

    Each row carries its document's position so that sorting by location keeps
    documents in report order; a finding of an unknown document sorts last.
    Column widths are fixed (``<colgroup>``), so a long URL wraps inside a column
    wide enough to read it instead of squeezing it to a few characters a line.
    """
    docs = report.documents
    doc_index = {doc.origin: i for i, doc in enumerate(docs)}
    cols = "".join(f'<col class="{css}">' for _, css, _ in _COLUMNS)
    heads = "".join(
        f'<th data-sort="{key}" scope="col"><button type="button">{label}</button></th>'
        for key, _, label in _COLUMNS
    )
    return [
        f'<table id="findings">\n<colgroup>{cols}</colgroup>\n<thead><tr>{heads}</tr></thead>',
        *(
            _row(i, finding, doc_index.get(finding.citation.document, len(docs)), report)
            for i, finding in enumerate(findings)
        ),
        "</table>",
    ]
