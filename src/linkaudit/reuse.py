"""Whole unchanged documents, taken from the store by a warm run instead of audited.

A warm run of a 2,000-file repository rebuilt, for every unchanged document,
findings identical to those the previous run had stored in the document's report
(``store.reports``): it decoded the cached extraction, answered each URL from the
cache, built the findings, encoded them again, and hashed them to find that the
stored report already said so.  That was two thirds of the run (issue 17).

A document's stored findings are reused when everything they rest on is what it was
(its :class:`Basis`, kept beside the report):

- what extraction reads: the document's bytes and text, kind, base URL, site, scope
  and body selector (the extraction cache's key), and the extractor's version;
- the run's settings, as its report shows them, and linkaudit's version;
- each URL's result: the cache's latest answer for the key is the observation the
  stored finding shows, and this run would reuse it (``CachePolicy``; a URL on its
  way to confirmation only if checked today, as ``recording.RecheckFailing``);
- nothing outside the document: a document with a local link (another file decides
  its verdict) has no basis, and where local links would lead (the repository and
  its web address, the root) is part of it, since a link to the repository's own
  site becomes local.

Runs that look anything up in an archive (to find copies, restore lost links or
save), compare drift, use a browser, keep first observations, filter changed lines
or are offline reuse nothing: their findings depend on more than the cache.
Anything that cannot be read or does not match makes the document audited as
before.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from linkaudit import __version__
from linkaudit.model import (
    FINDING_SEPARATOR,
    Citation,
    Document,
    Finding,
    Relation,
    ReusedFindings,
    Verdict,
    as_utc,
)
from linkaudit.serialize import SCHEMA_VERSION

if TYPE_CHECKING:
    from linkaudit.pipeline import AuditOptions
    from linkaudit.store.base import CachePolicy
    from linkaudit.store.store import Store

#: Bumped when building a finding from a citation and a result changes: stored
#: findings of an older build are then not reused.
REUSE_VERSION = 5

#: How a result reached the run is not what was found: a reused document's lines say
#: ``from_cache`` true, as the engine's answers from the cache do.  (A JSON string
#: escapes its quotes, so only the key itself reads like this.)
REUSED_MARK, FRESH_MARK = '"from_cache":true', '"from_cache":false'
_SHORTER = len(FRESH_MARK) - len(REUSED_MARK)  # how much shorter a line gets when reused


@dataclass(frozen=True)
class Basis:
    """What one document's stored findings rest on (see the module docstring)."""

    context: str  # digest: extraction key, settings, versions, where local links lead
    results: Mapping[str, str]  # each result's key: its observation's checked_at, as stored
    lines: str  # digest of the findings' lines (``from_cache`` spelled fresh)
    lengths: tuple[int, ...]  # each line's length there, ``from_cache`` spelled reused
    tally: Mapping[str, int]  # findings per verdict value
    verdicts: tuple[str, ...]  # each line's verdict value
    citations: str  # the history's digest of its citations (``citations_digest``)
    text: str | None = field(default=None, compare=False)  # as read from the store

    def to_json(self) -> str:
        if self.text is not None:
            return self.text
        return json.dumps(
            {
                "v": REUSE_VERSION,
                "context": self.context,
                "results": self.results,
                "lines": self.lines,
                "lengths": self.lengths,
                "tally": self.tally,
                "verdicts": self.verdicts,
                "citations": self.citations,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> Basis | None:
        """None for a basis this build did not write, or cannot read."""
        if not text:
            return None
        try:
            data = orjson.loads(text)
            if data.get("v") != REUSE_VERSION:
                return None
            return cls(
                str(data["context"]),
                {str(k): str(v) for k, v in data["results"].items()},
                str(data["lines"]),
                tuple(int(n) for n in data["lengths"]),
                {str(k): int(v) for k, v in data["tally"].items()},
                tuple(str(v) for v in data["verdicts"]),
                str(data["citations"]),
                text,
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def lines_digest(lines: Sequence[str]) -> str:
    """Of a document's finding lines, whichever way each result reached the run."""
    text = "\n".join(lines).replace(REUSED_MARK, FRESH_MARK)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def reuse_allowed(options: AuditOptions) -> bool:
    """Whether a run with these options may reuse stored findings at all: only when
    a finding is a function of its citation, its URL's cached result and settings."""
    return (
        options.archive is None  # no lookups, so no restoring or saving either
        and not options.offline
        and not options.drift
        and not options.first_observations
        and not options.browser
        and options.changed_lines is None
    )


class Context:
    """Each document's context digest under one run's settings."""

    def __init__(self, settings: Mapping[str, Any], options: AuditOptions) -> None:
        said = json.dumps(
            [REUSE_VERSION, __version__, SCHEMA_VERSION, settings],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        self._said = hashlib.blake2b(said.encode("utf-8", "surrogatepass"), digest_size=20)
        self._options = options
        self._local: dict[tuple[str, bool], str] = {}  # by folder as written: one run's cwd

    def of(self, document: Document) -> str | None:
        """None: the document cannot be reused (not cacheable)."""
        from linkaudit.check.local import is_file_document, local_context
        from linkaudit.store.extracts import extract_key

        options = self._options
        key = extract_key(document, options.scope, options.bodies)
        if key is None:
            return None
        folder = (os.path.dirname(document.origin), is_file_document(document))
        local = self._local.get(folder)
        if local is None:
            local = self._local[folder] = local_context(document, options.local)
        digest = self._said.copy()
        digest.update(f"\n{key}\n{local}".encode())
        return digest.hexdigest()


def basis_of(
    context: str | None,
    findings: Sequence[Finding],
    lines: Sequence[str],
    cited: Iterable[Citation],
) -> Basis | None:
    """A document's basis from this run's findings and their lines (in document
    order) and its citations in the order the history records them (the report's:
    ``citations_digest`` depends on it); None when its findings rest on more than
    the cache (a local link, a result never stored)."""
    from linkaudit.store.history import citations_digest

    if context is None:
        return None
    results: dict[str, str] = {}
    tally: dict[str, int] = {}
    for finding in findings:
        if finding.citation.relation is Relation.LOCAL:
            return None
        tally[finding.verdict.value] = tally.get(finding.verdict.value, 0) + 1
        result = finding.result
        if result is None:
            if finding.citation.key is not None and finding.citation.verdict is None:
                return None  # a URL that was not checked (offline, deadline)
            continue
        if result.checked_at is None:
            return None
        results[result.key] = _stamp(result.checked_at)
    return Basis(
        context,
        results,
        lines_digest(lines),
        tuple(len(line) - _SHORTER * line.count(FRESH_MARK) for line in lines),
        tally,
        tuple(f.verdict.value for f in findings),
        citations_digest(cited),
    )


@functools.lru_cache(maxsize=16_384)
def _stamp(moment: datetime) -> str:
    """``checked_at`` as the store keeps it (a result is cited ~3 times on average)."""
    from linkaudit.store.codec import dump_time

    return str(dump_time(moment))


@dataclass(frozen=True)
class Reuse:
    """What a run takes from the store: reused documents by origin, and the cache
    rows their results were read from (recorded as this run's reuse of them)."""

    documents: Mapping[str, ReusedFindings]
    rows: Mapping[str, tuple[Any, ...]]  # key -> the snapshot row (``ResultStore``)
    citations: Mapping[str, str]  # origin -> the history's digest of its citations
    bases: Mapping[str, Basis]  # origin -> its basis (kept with its report)
    #: origin -> ``document_key`` of each document asked about (the reports' key)
    keys: Mapping[str, str] = field(default_factory=dict)


NOTHING = Reuse({}, {}, {}, {})


def find_reusable(
    store: Store,
    documents: Sequence[Document],
    settings: Mapping[str, Any],
    options: AuditOptions,
    failing: Collection[str],
    decode: Callable[[str], Finding] | None = None,
) -> Reuse:
    """The documents of ``documents`` whose stored findings are still true."""
    from linkaudit.store.reports import document_key

    if not documents or not reuse_allowed(options):
        return NOTHING
    keys = {doc.origin: document_key(doc.origin) for doc in documents}
    # a document named twice (or by two spellings) is audited as before, each time
    named = Counter(keys[doc.origin] for doc in documents)
    by_key = {
        keys[doc.origin]: doc
        for doc in documents
        if doc.sha256 is not None and named[keys[doc.origin]] == 1
    }
    stored = store.reports.stored(list(by_key))
    if not stored:
        return Reuse({}, {}, {}, {}, keys)
    context = Context(settings, options)
    candidates: list[tuple[Document, str, Basis]] = []
    for key, (sha256, text, basis_text) in stored.items():
        doc = by_key[key]
        if sha256 != doc.sha256:
            continue
        basis = Basis.from_json(basis_text)
        if basis is None or basis.context != context.of(doc):
            continue
        candidates.append((doc, text, basis))
    if not candidates:
        return Reuse({}, {}, {}, {}, keys)
    cached = {k for _, _, basis in candidates for k in basis.results}
    latest = store.results.latest_rows(cached) if cached else {}
    if latest is None:
        return Reuse({}, {}, {}, {}, keys)
    judge = _Judge(store.results.policy, store.now(), failing)
    reused: dict[str, ReusedFindings] = {}
    bases: dict[str, Basis] = {}
    decoder = decode or _decode
    for doc, text, basis in candidates:  # one per document: none is named twice
        if not all(judge.usable(latest.get(k), checked) for k, checked in basis.results.items()):
            continue
        block = _block(text, basis)
        if block is None:
            continue
        reused[doc.origin] = ReusedFindings(
            doc.origin, block, basis.lengths, basis.verdicts, basis.tally, decoder
        )
        bases[doc.origin] = basis
    return Reuse(
        reused,
        {key: latest[key] for basis in bases.values() for key in basis.results},
        {origin: basis.citations for origin, basis in bases.items()},
        bases,
        keys,
    )


class _Judge:
    """Whether this run would reuse a stored observation, as the engine's cache does
    (``CachePolicy``, and ``recording.RecheckFailing`` for failing URLs)."""

    def __init__(self, policy: CachePolicy, now: datetime, failing: Collection[str]) -> None:
        self._policy = policy
        self._now = as_utc(now)
        self._failing = failing
        self._limits: dict[tuple[str, str], timedelta | None] = {}
        self._answers: dict[str, bool] = {}

    def usable(self, row: tuple[Any, ...] | None, checked: str) -> bool:
        """``row``: the cache's latest row for the key (``ResultStore.latest_rows``)."""
        if row is None or row[5] != checked or row[6] is None:
            return False  # another observation, or one no run recorded
        key = row[1]
        known = self._answers.get(key)
        if known is None:
            known = self._answers[key] = self._judge(row, checked)
        return known

    def _judge(self, row: tuple[Any, ...], checked: str) -> bool:
        kind = (str(row[3]), str(row[4]))
        if kind not in self._limits:
            try:
                self._limits[kind] = self._policy.age_limit_values(Verdict(kind[0]), kind[1])
            except ValueError:  # a verdict this version does not know
                self._limits[kind] = None
        limit = self._limits[kind]
        if limit is None or limit <= timedelta(0):
            return False
        try:
            at = as_utc(datetime.fromisoformat(checked))
        except ValueError:
            return False
        if not timedelta(0) <= self._now - at < limit:
            return False
        # on its way to confirmation: checked for real once a day
        return row[1] not in self._failing or at.date() >= self._now.date()


def _block(text: str, basis: Basis) -> str | None:
    """The findings of a stored report as this run prints them, one block
    (``json_format.compact``'s text: a header, ``, "findings": [``, the findings,
    ``]}``); None if the text does not fit its basis.

    The block starts after the last ``, "findings": [`` of the text: finding lines
    are compact JSON (no space after a colon) and a string escapes its quotes, so
    no finding can hold those characters.  Its length is not known beforehand: a
    report written by a cold run spells ``from_cache`` fresh, one rewritten by a
    warm run that reused the document (its header changed) spells it reused.
    """
    lengths = basis.lengths
    if len(basis.verdicts) != len(lengths) or not text.endswith("]}"):
        return None
    start = text.rfind(_FINDINGS)
    if start < 0:
        return None
    block = text[start + len(_FINDINGS) : -2].replace(FRESH_MARK, REUSED_MARK)
    if not lengths:
        return "" if not block else None
    if len(block) != sum(lengths) + len(FINDING_SEPARATOR) * (len(lengths) - 1):
        return None
    if block[0] != "{" or block[-1] != "}":
        return None
    return block


#: What comes before a stored report's findings (``json_format.compact``).
_FINDINGS = ', "findings": ['


def _decode(line: str) -> Finding:
    """A finding from its line; the report reader is imported on first use (a run
    that only writes the JSON report never decodes one)."""
    from linkaudit.fix.report_json import finding_from_line

    return finding_from_line(line)
