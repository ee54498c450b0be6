"""Which repairs to make, as span edits on each document's text (pure: no I/O).

``plan_fixes`` turns a Report into ``Edit`` objects against ``Document.text``;
``linkaudit.fix.formats`` maps them onto the file (front matter, JSON string
escapes) and writes it.  Keeping planning pure means the same report can be
previewed, tested with fixed data, and applied later without any network.

Decisions, each made once here:

* Only links are rewritten (``a``/``area`` ``href`` and Markdown link targets).
  Images, embeds and bare URLs in running text are what the reader sees or what
  the page loads; pointing them at an archive changes the article, not a link.
* ``--robust-links`` decorates ``<a>`` only (the Robust Links convention is
  about anchors) and only where an archive copy is known.  Markdown link syntax
  has no attributes, so Markdown links are reported as not decorated.
* ``--replace-dead`` keeps the original URL in ``data-originalurl`` (HTML); in
  Markdown there is nowhere to keep it, the target is simply replaced.
* ``--restore-lost`` on a stripped link (``text</span></a>`` with no opening
  tag) inserts ``<a href="...">`` at the start of the anchor text the audit
  reported: right after the last tag before the text, whitespace skipped.  That
  is where the stripped opening tags were, and it makes the link cover exactly
  the text the report named.  Inline closing tags inside the run (``</span>``)
  then close nothing and browsers ignore them, as they did before.
* Markdown reference links: the definition is rewritten (so every use
  changes) because repairs are decided per URL and so every use of one
  definition wants the same repair.  If an image also uses that definition,
  the link uses are converted to inline links instead, leaving the image alone.
"""

from __future__ import annotations

import enum
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from linkaudit.fix.html import AttrSpan, TagSpan, tag_at
from linkaudit.fix.markdown import MdTarget, encode_destination, markdown_targets
from linkaudit.fix.rewrite import Edit, escape_attribute, sort_edits
from linkaudit.model import Citation, CitationKind, Document, DocumentKind, Finding, Report, Verdict

__all__ = ["Plan", "Repair", "Skipped", "make_plan", "plan_fixes"]


class Repair(enum.StrEnum):
    """One selectable repair; the values are the CLI flag names."""

    ROBUST_LINKS = "robust-links"
    REPLACE_DEAD = "replace-dead"
    UPDATE_MOVED = "update-moved"
    RESTORE_LOST = "restore-lost"


DEAD = frozenset({Verdict.BROKEN, Verdict.STALE})
_UNCHECKED = frozenset({Verdict.SKIPPED, Verdict.INVALID, Verdict.LOST})
_LINK_ELEMENTS = frozenset({"a", "area"})
_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Skipped:
    """A repair that was wanted but not made, and why (shown with the dry run)."""

    document: str
    line: int
    column: int
    what: str
    repair: str
    why: str


@dataclass(frozen=True)
class Plan:
    edits: tuple[Edit, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@dataclass
class _Want:
    """What one citation should become: a new target and/or attributes to set."""

    href: str | None = None
    repair: str = ""
    attrs: list[tuple[str, str, bool]] = field(default_factory=list)  # name, value, overwrite

    def add(self, name: str, value: str, overwrite: bool) -> None:
        if all(existing != name for existing, _, _ in self.attrs):
            self.attrs.append((name, value, overwrite))

    @property
    def repairs(self) -> str:
        names = [self.repair] if self.repair else []
        if any(n == "data-versionurl" for n, _, _ in self.attrs):
            names.append(Repair.ROBUST_LINKS.value)
        return "+".join(names)


def _keep_fragment(final: str, original: str | None) -> str:
    """A moved URL's final address loses the cited ``#fragment``; keep it."""
    if original and "#" in original and "#" not in final:
        fragment = original.split("#", 1)[1]
        if fragment:
            return f"{final}#{fragment}"
    return final


def _robust(want: _Want, finding: Finding, original: str) -> None:
    copy = finding.archive
    if copy is None:
        return
    want.add("data-originalurl", original, False)
    want.add("data-versionurl", copy.url, True)
    want.add("data-versiondate", copy.captured_at.date().isoformat(), True)


def _want(finding: Finding, repairs: frozenset[Repair], skip: list[Skipped]) -> _Want | None:
    citation = finding.citation
    loc = citation.location
    verdict = finding.verdict

    def skipped(repair: Repair, why: str, what: str | None = None) -> None:
        label = what or citation.url_as_written or citation.text
        skip.append(Skipped(citation.document, loc.line, loc.column, label, repair.value, why))

    want = _Want()
    if verdict is Verdict.LOST:
        if Repair.RESTORE_LOST not in repairs:
            return None
        if finding.restoration is None:
            skipped(Repair.RESTORE_LOST, "no original URL was recovered for it", citation.text)
            return None
        original = finding.restoration.url
        want.href, want.repair = original, Repair.RESTORE_LOST.value
        result = finding.result
        if result is not None and Repair.REPLACE_DEAD in repairs and result.verdict in DEAD:
            if finding.archive is not None:
                want.href = finding.archive.url
                want.add("data-originalurl", original, False)
        elif (
            result is not None
            and Repair.UPDATE_MOVED in repairs
            and result.verdict is Verdict.MOVED
            and result.final_url
        ):
            want.href = _keep_fragment(result.final_url, original)
        if Repair.ROBUST_LINKS in repairs:
            _robust(want, finding, original)
        return want
    if citation.kind is not CitationKind.LINK:
        return None
    original = citation.url or citation.url_as_written or ""
    if Repair.REPLACE_DEAD in repairs and verdict in DEAD:
        if finding.archive is None:
            skipped(Repair.REPLACE_DEAD, f"{verdict.value}, but no archive copy was found")
        else:
            want.href, want.repair = finding.archive.url, Repair.REPLACE_DEAD.value
            want.add("data-originalurl", original, False)
    elif Repair.UPDATE_MOVED in repairs and verdict is Verdict.MOVED:
        final = finding.result.final_url if finding.result else None
        if not final or final == citation.url:
            skipped(Repair.UPDATE_MOVED, "moved, but no different final URL was recorded")
        else:
            want.href, want.repair = _keep_fragment(final, citation.url), Repair.UPDATE_MOVED.value
    # Markdown links get the attributes too, so the planner can say why it cannot place them.
    decorable = citation.element in ("a", "markdown")
    if Repair.ROBUST_LINKS in repairs and verdict not in _UNCHECKED and decorable:
        _robust(want, finding, original)
    if want.href is None and not want.attrs:
        return None
    return want


# -- HTML ------------------------------------------------------------------------------


def _value_edit(origin: str, text: str, attr: AttrSpan, value: str, repair: str) -> Edit:
    """Replace an attribute's value, keeping its quote style (unquoted values get quoted)."""
    if attr.quote is None:  # ``<a href>``: add the value after the name
        new = f'="{escape_attribute(value)}"'
        return Edit(origin, attr.end, attr.end, new, "", repair)
    if attr.quote == "":
        new = f'"{escape_attribute(value)}"'
    else:
        new = escape_attribute(value, attr.quote)
    return Edit(
        origin,
        attr.value_start,
        attr.value_end,
        new,
        text[attr.value_start : attr.value_end],
        repair,
    )


def _attribute_text(
    want: _Want, tag: TagSpan, quote: str
) -> tuple[str, list[tuple[AttrSpan, str]]]:
    """New attributes to insert (as text), and existing ones whose value must change."""
    inserted = ""
    updates: list[tuple[AttrSpan, str]] = []
    for name, value, overwrite in want.attrs:
        existing = tag.attrs.get(name)
        if existing is not None:
            if overwrite and existing.value != value:
                updates.append((existing, value))
            continue
        inserted += f" {name}={quote}{escape_attribute(value, quote)}{quote}"
    return inserted, updates


def _link_edits(
    origin: str, text: str, tag: TagSpan, href: AttrSpan | None, want: _Want
) -> list[Edit]:
    repair = want.repairs
    edits: list[Edit] = []
    quote = href.quote if href is not None and href.quote in ('"', "'") else '"'
    inserted, updates = _attribute_text(want, tag, quote or '"')
    if href is None:  # no href at all: add it (and the rest) right after the tag name
        assert want.href is not None
        new = f' href="{escape_attribute(want.href)}"' + inserted
        return [Edit(origin, tag.name_end, tag.name_end, new, "", repair)]
    tail = ""
    if want.href is not None and href.value != want.href:
        edit = _value_edit(origin, text, href, want.href, repair)
        if href.quote is None:  # valueless href: one insertion carries everything
            tail = edit.new
        else:
            edits.append(edit)
    if tail or inserted:
        edits.append(Edit(origin, href.end, href.end, tail + inserted, "", repair))
    for attr, value in updates:
        edits.append(_value_edit(origin, text, attr, value, repair))
    return edits


def _visible(text: str, offset: int, length: int) -> str:
    window = text[offset : offset + 4 * length + 400]
    return " ".join(html.unescape(_TAGS.sub("", window)).split())


def _locate(text: str, citation: Citation) -> int | None:
    """The href value offset of a link the extractor could not place exactly.

    Searches the start tags of the citation's element whose href is the URL as
    written and takes the one nearest the reported line (lxml reports the line
    where a start tag ends, so the nearest, not the first after, is right).
    """
    element, written = citation.element or "a", citation.url_as_written
    if written is None:
        return None
    best: tuple[int, int] | None = None
    pattern = re.compile(rf"<{re.escape(element)}[\t\n\f\r />]", re.IGNORECASE)
    for match in pattern.finditer(text):
        tag = tag_at(text, match.start())
        href = tag.attrs.get("href") if tag is not None and tag.name == element else None
        if href is None or href.value != written:
            continue
        distance = abs(text.count("\n", 0, match.start()) + 1 - citation.location.line)
        if best is None or distance < best[0]:
            best = (distance, href.value_start)
    return None if best is None else best[1]


def _html_edits(document: Document, finding: Finding, want: _Want) -> list[Edit] | str:
    """Edits for one citation in HTML source, or why it cannot be placed."""
    text, origin = document.text, document.origin
    citation = finding.citation
    offset = citation.location.offset
    if offset is None and citation.kind is not CitationKind.LOST:
        offset = _locate(text, citation)
    if offset is None or not 0 <= offset <= len(text):
        return "its exact position in the source is unknown"
    if citation.kind is CitationKind.LOST and citation.reason == "stripped_link":
        if not citation.text or text.startswith("<", offset):
            return "the lost link has no anchor text to link"
        if not _visible(text, offset, len(citation.text)).startswith(citation.text):
            return "the anchor text is not at the recorded position; the source changed"
        assert want.href is not None
        inserted, _ = _attribute_text(want, TagSpan("a", 0, 0, 0, {}), '"')
        new = f'<a href="{escape_attribute(want.href)}"{inserted}>'
        return [Edit(origin, offset, offset, new, "", want.repairs)]
    tag = tag_at(text, offset)
    element = citation.element or "a"
    if tag is None or tag.name != element:
        return "no matching tag at the recorded position; the source changed"
    href = tag.attrs.get("href")
    if citation.kind is CitationKind.LOST:
        if href is not None and href.value.strip() not in ("", "#"):
            return "the link has an href now; the source changed"
    elif href is None or href.value != citation.url_as_written:
        return "the href at the recorded position differs; the source changed"
    return _link_edits(origin, text, tag, href, want)


# -- Markdown ----------------------------------------------------------------------------


def _markdown_edits(
    document: Document, wanted: list[tuple[Finding, _Want]], skip: list[Skipped]
) -> list[Edit]:
    origin = document.origin
    targets = markdown_targets(document.text)
    by_url: dict[str, tuple[Finding, _Want]] = {}
    lost: list[tuple[Finding, _Want]] = []
    for finding, want in wanted:
        citation = finding.citation
        if want.href is None:
            if want.attrs:
                _skip(
                    skip,
                    finding,
                    Repair.ROBUST_LINKS,
                    "Markdown link syntax has no attributes (write the link as HTML)",
                )
            continue
        if citation.kind is CitationKind.LOST:
            lost.append((finding, want))
        elif citation.url_as_written is not None:
            by_url.setdefault(citation.url_as_written, (finding, want))
    image_labels = {t.label for t in targets if t.kind == "reference" and t.image}
    definitions = {t.label: t for t in targets if t.kind == "definition"}
    edits: list[Edit] = []
    done: set[str] = set()

    def edit(target: MdTarget, new: str, want: _Want) -> None:
        edits.append(
            Edit(
                origin,
                target.start,
                target.end,
                new,
                document.text[target.start : target.end],
                want.repair,
            )
        )

    for target in targets:
        if target.image:
            continue
        if target.kind in ("inline", "autolink") and target.url in by_url:
            _, want = by_url[target.url]
            assert want.href is not None
            edit(target, encode_destination(want.href, kind=target.kind, angle=target.angle), want)
            done.add(target.url)
        elif (
            target.kind == "definition"
            and target.url in by_url
            and target.label not in image_labels
        ):
            if any(
                t.kind == "reference" and t.label == target.label and not t.image for t in targets
            ):
                _, want = by_url[target.url]
                assert want.href is not None
                edit(target, encode_destination(want.href, kind="inline", angle=target.angle), want)
                done.add(target.url)
        elif target.kind == "reference":
            definition = definitions.get(target.label)
            url = definition.url if definition is not None else None
            if url in by_url and (definition is None or target.label in image_labels):
                _, want = by_url[url]
                assert want.href is not None
                title = f' "{_title(definition.title)}"' if definition and definition.title else ""
                new = "(" + encode_destination(want.href, kind="inline", angle=False) + title + ")"
                edit(target, new, want)
                done.add(url)
    placeholders = [
        t for t in targets if t.kind == "inline" and not t.image and t.url.strip() in ("", "#")
    ]
    lost.sort(key=lambda fw: (fw[0].citation.location.line, fw[0].citation.location.column))
    for (_finding, want), target in zip(lost, placeholders, strict=False):
        assert want.href is not None
        edit(target, encode_destination(want.href, kind="inline", angle=target.angle), want)
    for finding, _want in lost[len(placeholders) :]:
        _skip(skip, finding, Repair.RESTORE_LOST, "not found in the Markdown source")
    for url, (finding, want) in by_url.items():
        if url not in done:
            _skip(
                skip, finding, Repair(want.repair), "link target not found in the Markdown source"
            )
    return edits


def _title(title: str) -> str:
    return title.replace("\\", "\\\\").replace('"', '\\"')


def _skip(skip: list[Skipped], finding: Finding, repair: Repair, why: str) -> None:
    c = finding.citation
    what = c.url_as_written or c.text
    skip.append(Skipped(c.document, c.location.line, c.location.column, what, repair.value, why))


# -- entry points ------------------------------------------------------------------------


def make_plan(report: Report, repairs: Iterable[Repair]) -> Plan:
    """The edits (and the repairs that could not be made) for every document of ``report``.

    Documents need their ``text``: a report read back from JSON has none, so
    ``linkaudit.fix.formats`` loads the file and puts it back first.  Raises
    ``EditConflict`` if two repairs would touch the same characters.
    """
    selected = frozenset(repairs)
    if not selected:
        return Plan()
    documents = {doc.origin: doc for doc in report.documents}
    skip: list[Skipped] = []
    edits: list[Edit] = []
    markdown: dict[str, list[tuple[Finding, _Want]]] = {}
    for finding in report.findings:
        document = documents.get(finding.citation.document)
        want = _want(finding, selected, skip)
        if want is None:
            continue
        if document is None or not document.text:
            _skip(
                skip,
                finding,
                Repair(want.repair or Repair.ROBUST_LINKS.value),
                "the document's text is not available",
            )
            continue
        if document.kind is DocumentKind.MARKDOWN and finding.citation.element == "markdown":
            markdown.setdefault(document.origin, []).append((finding, want))
            continue
        placed = _html_edits(document, finding, want)
        if isinstance(placed, str):
            _skip(skip, finding, Repair(want.repair or Repair.ROBUST_LINKS.value), placed)
        else:
            edits.extend(placed)
    for origin, wanted in markdown.items():
        edits.extend(_markdown_edits(documents[origin], wanted, skip))
    by_document: dict[str, list[Edit]] = {}
    for edit in edits:
        by_document.setdefault(edit.document, []).append(edit)
    ordered = [e for origin in by_document for e in sort_edits(by_document[origin])]
    return Plan(edits=tuple(ordered), skipped=tuple(skip))


def plan_fixes(report: Report, repairs: set[Repair] | frozenset[Repair]) -> list[Edit]:
    """The span edits that apply ``repairs`` to the report's documents (none: no edits)."""
    return list(make_plan(report, repairs).edits)
