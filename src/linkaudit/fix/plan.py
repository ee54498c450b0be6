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
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from linkaudit.archive.reach import NOT_RESTORED
from linkaudit.fix.html import AttrSpan, TagSpan, tag_at
from linkaudit.fix.markdown import MdTarget, encode_destination, markdown_targets
from linkaudit.fix.rewrite import Edit, escape_attribute, sort_edits
from linkaudit.model import (
    ArchiveCopy,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Finding,
    Report,
    Verdict,
)
from linkaudit.reasons import Reason

__all__ = ["Plan", "Repair", "Skipped", "make_plan", "plan_fixes"]


class Repair(enum.StrEnum):
    """One selectable repair; the values are the CLI flag names."""

    ROBUST_LINKS = "robust-links"
    REPLACE_DEAD = "replace-dead"
    UPDATE_MOVED = "update-moved"
    RESTORE_LOST = "restore-lost"
    REPLACE_DRIFTED = "replace-drifted"


DEAD = frozenset({Verdict.BROKEN, Verdict.STALE})
#: Stale because the live page is no longer what was cited (``--drift``): the page
#: is there, so pointing readers at the archive is asked for on its own
#: (``--replace-drifted``), never by ``--replace-dead``.
DRIFTED = frozenset({Reason.CONTENT_CHANGED, Reason.QUOTE_MISSING})
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
class _RepairRequest:
    """What one citation should become: a new target and/or attributes to set."""

    href: str | None = None
    repair: str = ""
    attrs: list[tuple[str, str, bool]] = field(default_factory=list)  # name, value, overwrite

    def add(self, name: str, value: str, overwrite: bool) -> None:
        if all(existing != name for existing, _, _ in self.attrs):
            self.attrs.append((name, value, overwrite))

    def add_robust_links(self, copy: ArchiveCopy | None, original: str) -> None:
        """The Robust Links attributes (original URL, archive copy and its date), given a copy."""
        if copy is None:
            return
        self.add("data-originalurl", original, False)
        self.add("data-versionurl", copy.url, True)
        self.add("data-versiondate", copy.captured_at.date().isoformat(), True)

    @property
    def repairs(self) -> str:
        names = [self.repair] if self.repair else []
        if any(n == "data-versionurl" for n, _, _ in self.attrs):
            names.append(Repair.ROBUST_LINKS.value)
        return "+".join(names)


_Requested = tuple[Finding, _RepairRequest]


def _keep_fragment(final: str, original: str | None) -> str:
    """A moved URL's final address loses the cited ``#fragment``; keep it."""
    if original and "#" in original and "#" not in final:
        fragment = original.split("#", 1)[1]
        if fragment:
            return f"{final}#{fragment}"
    return final


def _skipped(finding: Finding, repair: Repair, why: str, what: str | None = None) -> Skipped:
    """The record of a repair wanted for ``finding`` but not made, labelled ``what`` or its URL."""
    c = finding.citation
    label = what or c.url_as_written or c.text
    return Skipped(c.document, c.location.line, c.location.column, label, repair.value, why)


def _lost_request(
    finding: Finding, repairs: frozenset[Repair]
) -> tuple[_RepairRequest | None, list[Skipped]]:
    """A lost link restored to its recovered URL, or to that URL's archive copy or new address.

    The recovered URL was itself checked: if it is dead (and a copy is known)
    or has moved, and those repairs are selected, the restored link points
    where a reader can follow it.
    """
    if Repair.RESTORE_LOST not in repairs:
        return None, []
    citation = finding.citation
    if finding.restoration is None:
        why = "no original URL was recovered for it"
        if finding.archive_note.startswith(NOT_RESTORED):
            cause = finding.archive_note.removeprefix(NOT_RESTORED).lstrip(": ")
            why = f"restoration could not run ({cause}); audit again when the archive answers"
        return None, [_skipped(finding, Repair.RESTORE_LOST, why, citation.text)]
    original = finding.restoration.url
    request = _RepairRequest(original, Repair.RESTORE_LOST.value)
    result = finding.result
    if result is not None and Repair.REPLACE_DEAD in repairs and result.verdict in DEAD:
        if finding.archive is not None:
            request.href = finding.archive.url
            request.add("data-originalurl", original, False)
    elif (
        result is not None
        and Repair.UPDATE_MOVED in repairs
        and result.verdict is Verdict.MOVED
        and result.final_url
    ):
        request.href = _keep_fragment(result.final_url, original)
    if Repair.ROBUST_LINKS in repairs:
        request.add_robust_links(finding.archive, original)
    return request, []


def _retarget(
    finding: Finding, repairs: frozenset[Repair], original: str
) -> tuple[_RepairRequest, list[Skipped]]:
    """A link's new target: a dead link's archive copy or a moved link's final URL.

    The request is empty when neither applies, with the reason when one was
    selected but has nothing to point to.
    """
    citation, verdict = finding.citation, finding.verdict
    drifted = verdict is Verdict.STALE and finding.reason in DRIFTED
    if drifted:
        if Repair.REPLACE_DRIFTED not in repairs:
            return _RepairRequest(), []
        copy = _cited_version(finding)
        if copy is None:
            why = "drifted, but no archived copy of the version cited was found"
            return _RepairRequest(), [_skipped(finding, Repair.REPLACE_DRIFTED, why)]
        request = _RepairRequest(copy, Repair.REPLACE_DRIFTED.value)
        request.add("data-originalurl", original, False)
        return request, []
    if Repair.REPLACE_DEAD in repairs and verdict in DEAD:
        if finding.archive is None:
            why = f"{verdict.value}, but no archive copy was found"
            return _RepairRequest(), [_skipped(finding, Repair.REPLACE_DEAD, why)]
        request = _RepairRequest(finding.archive.url, Repair.REPLACE_DEAD.value)
        request.add("data-originalurl", original, False)
        return request, []
    if Repair.UPDATE_MOVED in repairs and verdict is Verdict.MOVED:
        final = finding.result.final_url if finding.result else None
        if not final or final == citation.url:
            why = "moved, but no different final URL was recorded"
            return _RepairRequest(), [_skipped(finding, Repair.UPDATE_MOVED, why)]
        href = _keep_fragment(final, citation.url)
        return _RepairRequest(href, Repair.UPDATE_MOVED.value), []
    return _RepairRequest(), []


def _cited_version(finding: Finding) -> str | None:
    """The archived copy of what was cited: the capture drift compared with, else the
    copy nearest the citation date (a first-observation baseline has no capture)."""
    drift = finding.drift
    if drift is not None and drift.baseline == "archive" and drift.baseline_url:
        return drift.baseline_url
    return finding.archive.url if finding.archive is not None else None


def _link_request(
    finding: Finding, repairs: frozenset[Repair]
) -> tuple[_RepairRequest | None, list[Skipped]]:
    """A link's new target and/or Robust Links attributes; None if nothing applies."""
    citation = finding.citation
    original = citation.url or citation.url_as_written or ""
    request, skipped = _retarget(finding, repairs, original)
    # Markdown links get the attributes too, so the planner can say why it cannot place them.
    decorable = citation.element in ("a", "markdown")
    if Repair.ROBUST_LINKS in repairs and finding.verdict not in _UNCHECKED and decorable:
        request.add_robust_links(finding.archive, original)
    if request.href is None and not request.attrs:
        return None, skipped
    return request, skipped


def _requested_repair(
    finding: Finding, repairs: frozenset[Repair]
) -> tuple[_RepairRequest | None, list[Skipped]]:
    """What ``finding`` should become under ``repairs`` (None: nothing), and what cannot be.

    Only lost links and links are repaired (see the module docstring), and a
    quotation whose passage drifted (its ``cite``, under ``--replace-drifted``); a
    selected repair that has nothing to work with comes back as ``Skipped``.
    """
    if finding.verdict is Verdict.LOST:
        return _lost_request(finding, repairs)
    kind = finding.citation.kind
    if kind is CitationKind.QUOTE and finding.reason in DRIFTED:
        # a quotation whose passage is gone: its ``cite`` points at the version quoted
        return _retarget(finding, repairs, finding.citation.url or "")
    if kind is not CitationKind.LINK:
        return None, []
    return _link_request(finding, repairs)


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
    request: _RepairRequest, tag: TagSpan, quote: str
) -> tuple[str, list[tuple[AttrSpan, str]]]:
    """New attributes to insert (as text), and existing ones whose value must change."""
    inserted = ""
    updates: list[tuple[AttrSpan, str]] = []
    for name, value, overwrite in request.attrs:
        existing = tag.attrs.get(name)
        if existing is not None:
            if overwrite and existing.value != value:
                updates.append((existing, value))
            continue
        inserted += f" {name}={quote}{escape_attribute(value, quote)}{quote}"
    return inserted, updates


def _link_edits(
    origin: str, text: str, tag: TagSpan, href: AttrSpan | None, request: _RepairRequest
) -> list[Edit]:
    repair = request.repairs
    edits: list[Edit] = []
    quote = href.quote if href is not None and href.quote in ('"', "'") else '"'
    inserted, updates = _attribute_text(request, tag, quote or '"')
    if href is None:  # no href at all: add it (and the rest) right after the tag name
        assert request.href is not None
        new = f' href="{escape_attribute(request.href)}"' + inserted
        return [Edit(origin, tag.name_end, tag.name_end, new, "", repair)]
    tail = ""
    if request.href is not None and href.value != request.href:
        edit = _value_edit(origin, text, href, request.href, repair)
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
        distance = abs(text.count("\n", 0, match.start()) + 1 - citation.location.in_text[0])
        if best is None or distance < best[0]:
            best = (distance, href.value_start)
    return None if best is None else best[1]


def _html_edits(document: Document, finding: Finding, request: _RepairRequest) -> list[Edit] | str:
    """Edits for one citation in HTML source, or why it cannot be placed."""
    text, origin = document.text, document.origin
    citation = finding.citation
    offset = citation.location.offset
    if offset is None and citation.kind is not CitationKind.LOST:
        offset = _locate(text, citation)
    if offset is None or not 0 <= offset <= len(text):
        return "its exact position in the source is unknown"
    if citation.kind is CitationKind.LOST and citation.reason == Reason.STRIPPED_LINK:
        if not citation.text or text.startswith("<", offset):
            return "the lost link has no anchor text to link"
        if not _visible(text, offset, len(citation.text)).startswith(citation.text):
            return "the anchor text is not at the recorded position; the source changed"
        assert request.href is not None
        inserted, _ = _attribute_text(request, TagSpan("a", 0, 0, 0, {}), '"')
        new = f'<a href="{escape_attribute(request.href)}"{inserted}>'
        return [Edit(origin, offset, offset, new, "", request.repairs)]
    tag = tag_at(text, offset)
    element = citation.element or "a"
    if tag is None or tag.name != element:
        return "no matching tag at the recorded position; the source changed"
    name = citation.attribute or "href"  # a quotation's URL is its ``cite``
    href = tag.attrs.get(name)
    if citation.kind is CitationKind.LOST:
        if href is not None and href.value.strip() not in ("", "#"):
            return "the link has an href now; the source changed"
    elif href is None or href.value != citation.url_as_written:
        return f"the {name} at the recorded position differs; the source changed"
    return _link_edits(origin, text, tag, href, request)


# -- Markdown ----------------------------------------------------------------------------


def _destination(request: _RepairRequest, *, kind: str, angle: bool) -> str:
    """The request's new URL written as a Markdown destination of the given form."""
    assert request.href is not None  # only requests with a new target reach Markdown edits
    return encode_destination(request.href, kind=kind, angle=angle)


def _edit(document: Document, target: MdTarget, new: str, request: _RepairRequest) -> Edit:
    """Replace a target's span with ``new``."""
    old = document.text[target.start : target.end]
    return Edit(document.origin, target.start, target.end, new, old, request.repair)


def _split_requests(
    wanted: list[_Requested],
) -> tuple[dict[str, _Requested], list[_Requested], list[Skipped]]:
    """Link requests by URL as written (first wins), lost-link requests, and the unplaceable.

    A request that only adds attributes cannot be placed: Markdown link syntax
    has none.
    """
    by_url: dict[str, _Requested] = {}
    lost: list[_Requested] = []
    skipped: list[Skipped] = []
    for finding, request in wanted:
        citation = finding.citation
        if request.href is None:
            if request.attrs:
                why = "Markdown link syntax has no attributes (write the link as HTML)"
                skipped.append(_skipped(finding, Repair.ROBUST_LINKS, why))
            continue
        if citation.kind is CitationKind.LOST:
            lost.append((finding, request))
        elif citation.url_as_written is not None:
            by_url.setdefault(citation.url_as_written, (finding, request))
    return by_url, lost, skipped


def _reference_destination(
    target: MdTarget, definitions: dict[str, MdTarget], by_url: dict[str, _Requested]
) -> tuple[str, str] | None:
    """A reference use made inline, ``(new-url "title")``, when its definition stays as it is.

    That is the case when an image shares the definition (see the module
    docstring); returns the definition's URL and the new text.
    """
    definition = definitions.get(target.label)
    if definition is None or definition.url not in by_url:
        return None
    _, request = by_url[definition.url]
    title = f' "{_title(definition.title)}"' if definition.title else ""
    return definition.url, "(" + _destination(request, kind="inline", angle=False) + title + ")"


def _new_destination(
    target: MdTarget,
    by_url: dict[str, _Requested],
    definitions: dict[str, MdTarget],
    image_labels: set[str],
    link_labels: set[str],
) -> tuple[str, str] | None:
    """The URL a link target's rewrite repairs and the target's new text; None to leave it.

    Inline links and autolinks are rewritten in place.  A definition is
    rewritten (so every use changes) when links use it and no image does;
    otherwise its link uses are made inline.
    """
    if target.image:
        return None
    if target.kind in ("inline", "autolink"):
        if target.url not in by_url:
            return None
        _, request = by_url[target.url]
        return target.url, _destination(request, kind=target.kind, angle=target.angle)
    if target.kind == "definition":
        if target.url not in by_url or target.label in image_labels:
            return None
        if target.label not in link_labels:
            return None
        _, request = by_url[target.url]
        return target.url, _destination(request, kind="inline", angle=target.angle)
    if target.kind == "reference" and target.label in image_labels:
        return _reference_destination(target, definitions, by_url)
    return None


def _target_edits(
    document: Document, targets: list[MdTarget], by_url: dict[str, _Requested]
) -> tuple[list[Edit], set[str]]:
    """Edits for link targets whose URL is to be repaired, and the URLs they repair."""
    image_labels = {t.label for t in targets if t.kind == "reference" and t.image}
    link_labels = {t.label for t in targets if t.kind == "reference" and not t.image}
    definitions = {t.label: t for t in targets if t.kind == "definition"}
    edits: list[Edit] = []
    done: set[str] = set()
    for target in targets:
        found = _new_destination(target, by_url, definitions, image_labels, link_labels)
        if found is not None:
            url, new = found
            edits.append(_edit(document, target, new, by_url[url][1]))
            done.add(url)
    return edits, done


def _lost_edits(
    document: Document, targets: list[MdTarget], lost: list[_Requested]
) -> tuple[list[Edit], list[Skipped]]:
    """Lost links restored into the empty links (``[text]()``, ``[text](#)``), in source order.

    The n-th lost link in reading order fills the n-th empty link; lost links
    beyond the empty ones cannot be placed.
    """
    placeholders = [
        t for t in targets if t.kind == "inline" and not t.image and t.url.strip() in ("", "#")
    ]
    ordered = sorted(
        lost, key=lambda fw: (fw[0].citation.location.line, fw[0].citation.location.column)
    )
    edits = [
        _edit(document, target, _destination(request, kind="inline", angle=target.angle), request)
        for (_finding, request), target in zip(ordered, placeholders, strict=False)
    ]
    skipped = [
        _skipped(finding, Repair.RESTORE_LOST, "not found in the Markdown source")
        for finding, _request in ordered[len(placeholders) :]
    ]
    return edits, skipped


def _markdown_edits(
    document: Document, wanted: list[_Requested]
) -> tuple[list[Edit], list[Skipped]]:
    """Edits for the Markdown links of one document, and the repairs that cannot be placed.

    Repairs are placed by URL as written, on the link targets markdown-it finds
    (``linkaudit.fix.markdown``), not at the extractor's approximate positions.
    """
    targets = markdown_targets(document.text)
    by_url, lost, unplaceable = _split_requests(wanted)
    edits, done = _target_edits(document, targets, by_url)
    restored, not_found = _lost_edits(document, targets, lost)
    missing = [
        _skipped(finding, Repair(request.repair), "link target not found in the Markdown source")
        for url, (finding, request) in by_url.items()
        if url not in done
    ]
    return edits + restored, unplaceable + not_found + missing


def _title(title: str) -> str:
    return title.replace("\\", "\\\\").replace('"', '\\"')


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
    markdown: dict[str, list[_Requested]] = {}
    for finding in report.findings:
        document = documents.get(finding.citation.document)
        request, skipped = _requested_repair(finding, selected)
        skip.extend(skipped)
        if request is None:
            continue
        if document is None or not document.text:
            repair = Repair(request.repair or Repair.ROBUST_LINKS.value)
            skip.append(_skipped(finding, repair, "the document's text is not available"))
            continue
        if document.kind is DocumentKind.MARKDOWN and finding.citation.element == "markdown":
            markdown.setdefault(document.origin, []).append((finding, request))
            continue
        placed = _html_edits(document, finding, request)
        if isinstance(placed, str):
            skip.append(
                _skipped(finding, Repair(request.repair or Repair.ROBUST_LINKS.value), placed)
            )
        else:
            edits.extend(placed)
    for origin, wanted in markdown.items():
        markdown_edits, markdown_skipped = _markdown_edits(documents[origin], wanted)
        edits.extend(markdown_edits)
        skip.extend(markdown_skipped)
    by_document: dict[str, list[Edit]] = {}
    for edit in edits:
        by_document.setdefault(edit.document, []).append(edit)
    ordered = [e for origin in by_document for e in sort_edits(by_document[origin])]
    return Plan(edits=tuple(ordered), skipped=tuple(skip))


def plan_fixes(report: Report, repairs: set[Repair] | frozenset[Repair]) -> list[Edit]:
    """The span edits that apply ``repairs`` to the report's documents (none: no edits)."""
    return list(make_plan(report, repairs).edits)


def summary_lines(plan: Plan, *, documents: bool = True) -> list[str]:
    """What ``fix`` says of a plan: its edits by repair, and each repair it could not
    make with where and why (``documents``: name the file, for runs over several)."""
    kinds = Counter(edit.repair for edit in plan.edits)
    lines = [
        f"{len(plan.edits)} edit(s)"
        + (": " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) if kinds else "")
    ]
    for skipped in plan.skipped:
        where = f"{skipped.document}:" if documents else "line "
        lines.append(
            f"not repaired ({skipped.repair}) {where}{skipped.line}:{skipped.column} "
            f"{skipped.what}: {skipped.why}"
        )
    return lines
