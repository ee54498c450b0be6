"""Whole unchanged documents, taken from the store by a warm run instead of audited.

A warm run of a 2,000-file repository rebuilt, for every unchanged document,
findings identical to those the previous run had stored in the document's report
(``store.reports``): it decoded the cached extraction, answered each URL from the
cache, built the findings, encoded them again, and hashed them to find that the
stored report already said so.  That was two thirds of the run (issue 17).

A document's stored findings are reused when everything they rest on is what it was
(its :class:`Basis`, kept beside the report):

- the document: its bytes (their sha256) and its name, read by this build's loaders
  and extractors (their code's digest) under the run's source options; what its
  loader made of them (title, base URL, dates, warnings) is kept in the basis, so
  an unchanged file is not even parsed (:class:`Unparsed`);
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
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

import linkaudit
from linkaudit import __version__
from linkaudit.model import (
    FINDING_SEPARATOR,
    Citation,
    Document,
    DocumentKind,
    Finding,
    Relation,
    ReusedFindings,
    Verdict,
    as_utc,
)
from linkaudit.serialize import SCHEMA_VERSION
from linkaudit.sources.loader import MARKDOWN_SUFFIXES

if TYPE_CHECKING:
    from linkaudit.pipeline import AuditOptions
    from linkaudit.sources.base import SourceOptions
    from linkaudit.store.base import CachePolicy
    from linkaudit.store.store import Store

#: Bumped when building a finding from a citation and a result changes: stored
#: findings of an older build are then not reused.
REUSE_VERSION = 6

#: How a result reached the run is not what was found: a reused document's lines say
#: ``from_cache`` true, as the engine's answers from the cache do.  (A JSON string
#: escapes its quotes, so only the key itself reads like this.)
REUSED_MARK, FRESH_MARK = '"from_cache":true', '"from_cache":false'
_SHORTER = len(FRESH_MARK) - len(REUSED_MARK)  # how much shorter a line gets when reused


@dataclass(frozen=True)
class Basis:
    """What one document's stored findings rest on (see the module docstring)."""

    context: str  # digest: the document's bytes and name, settings, code, where local links lead
    results: Mapping[str, str]  # each result's key: its observation's checked_at, as stored
    lines: str  # digest of the findings' lines (``from_cache`` spelled fresh)
    lengths: tuple[int, ...]  # each line's length there, ``from_cache`` spelled reused
    tally: Mapping[str, int]  # findings per verdict value
    verdicts: tuple[str, ...]  # each line's verdict value
    citations: str  # the history's digest of its citations (``citations_digest``)
    #: The document as loaded, but its text (``document_json``); None: load it again.
    document: Mapping[str, Any] | None = None
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
                "document": self.document,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> Basis | None:
        """None for a basis this build did not write, or cannot read.  (JSON keys
        are strings; a result's stamp that is not one matches no row.)"""
        if not text:
            return None
        try:
            data = orjson.loads(text)
            if type(data) is not dict or data.get("v") != REUSE_VERSION:
                return None
            results, document = data["results"], data.get("document")
            if type(results) is not dict or (document is not None and type(document) is not dict):
                return None
            return cls(
                str(data["context"]),
                results,
                str(data["lines"]),
                tuple(map(int, data["lengths"])),
                {k: int(v) for k, v in data["tally"].items()},
                tuple(map(str, data["verdicts"])),
                str(data["citations"]),
                document,
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
    """Each document's context digest under one run's settings.

    It rests on the document's bytes and name, not on what its loader made of them,
    so it can be computed for a file before the file is parsed (:class:`Unparsed`): as
    long as the bytes, the name, the settings and this build's loaders and
    extractors are what they were, the loader makes the same document of them.
    """

    def __init__(
        self,
        settings: Mapping[str, Any],
        options: AuditOptions,
        sources: SourceOptions | None = None,
    ) -> None:
        from linkaudit.store.extracts import extractor_version

        said = json.dumps(
            [
                REUSE_VERSION,
                __version__,
                SCHEMA_VERSION,
                settings,
                options.scope.value,
                repr(options.bodies),
                None if sources is None else [sources.base_url, sources.cited_at],
                loader_version(),
                extractor_version(DocumentKind.HTML),
                extractor_version(DocumentKind.MARKDOWN),
            ],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        self._said = hashlib.blake2b(said.encode("utf-8", "surrogatepass"), digest_size=20)
        self._options = options
        self._local: dict[tuple[str, bool], str] = {}  # by folder as written: one run's cwd

    def of(self, document: Document) -> str | None:
        """None: the document cannot be reused (not read from a file)."""
        from linkaudit.check.local import is_file_document, local_context

        if document.sha256 is None:
            return None
        folder = (os.path.dirname(document.origin), is_file_document(document))
        local = self._local.get(folder)
        if local is None:
            local = self._local[folder] = local_context(document, self._options.local)
        digest = self._said.copy()
        digest.update(f"\n{document.origin}\n{document.sha256}\n{local}".encode())
        return digest.hexdigest()


#: Source files whose code decides what a file is loaded as (kind, text, title,
#: base URL, dates, warnings), in ``linkaudit``'s folder: the loaders and every
#: module of linkaudit they import, and the data files those read
#: (``tests/store/test_code_fingerprints.py``).
_LOADER_FILES = (
    "__init__.py",
    "sources/base.py",
    "sources/budget.py",
    "sources/lenient_json.py",
    "sources/loader.py",
    "sources/_decode.py",
    "sources/html.py",
    "sources/markdown.py",
    "sources/wordpress.py",
    "charsets.py",
    "data/whatwg/encodings.json",  # the encodings ``charsets`` knows
    "errors.py",
    "hosts.py",
    "htmlguard.py",
    "model.py",
    "reuse.py",
)


def loader_files() -> list[Path]:
    """The files :func:`loader_version` fingerprints."""
    root = Path(linkaudit.__file__).parent
    return [root / name for name in _LOADER_FILES]


@functools.cache
def loader_version() -> str:
    """The loaders' code, as ``store.extracts.extractor_version`` fingerprints the
    extractors': an edited loader reuses nothing it loaded before."""
    code = hashlib.blake2b(digest_size=20)
    for path in loader_files():
        try:
            code.update(path.read_bytes())
        except OSError:
            code.update(b"?")
        code.update(b"\x00")
    return code.hexdigest()


def basis_of(
    context: str | None,
    findings: Sequence[Finding],
    lines: Sequence[str],
    cited: Iterable[Citation],
    document: Document | None = None,
) -> Basis | None:
    """A document's basis from this run's findings and their lines (in document
    order) and its citations in the order the history records them (the report's:
    ``citations_digest`` depends on it); None when its findings rest on more than
    the cache (a local link, a result never stored).  ``document``: kept, so a
    warm run need not parse it again (:class:`Unparsed`)."""
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
        None if document is None else document_json(document),
    )


#: A document's fields as a basis keeps them: all but its text (and where a post's
#: text is in its file, which only WordPress exports have).
_DOCUMENT_FIELDS = tuple(f.name for f in fields(Document) if f.name not in ("text", "in_file"))


def document_json(document: Document) -> dict[str, Any] | None:
    """``document`` but its text, as JSON values that :func:`document_from_json` turns
    back into the very same document; None for one that would not come back so
    (it is then loaded again by every run, as before)."""
    if document.in_file is not None:
        return None
    data: dict[str, Any] = {name: getattr(document, name) for name in _DOCUMENT_FIELDS}
    data["kind"] = document.kind.value
    data["warnings"] = list(document.warnings)
    if document.cited_at is not None:
        data["cited_at"] = document.cited_at.isoformat()
    try:
        orjson.dumps(data)
        back = document_from_json(orjson.loads(orjson.dumps(data)))
    except (TypeError, ValueError):
        return None
    return data if back == replace(document, text="") else None


def document_from_json(
    data: Mapping[str, Any], origin: str | None = None, sha256: str | None = None
) -> Document | None:
    """The document :func:`document_json` kept, with no text; None if unreadable, or
    not of the file ``origin`` with these bytes (when given)."""
    if origin is not None and (data.get("origin") != origin or data.get("sha256") != sha256):
        return None
    try:
        values = {name: data[name] for name in _DOCUMENT_FIELDS}
        values["kind"] = DocumentKind(values["kind"])
        values["warnings"] = tuple(values["warnings"])
        if values["cited_at"] is not None:
            values["cited_at"] = datetime.fromisoformat(values["cited_at"])
        return Document(text="", **values)
    except (KeyError, TypeError, ValueError):
        return None


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
    #: origin -> each reused document, as loaded (or as its basis kept it: ``Unparsed``)
    loaded: Mapping[str, Document] = field(default_factory=dict)


NOTHING = Reuse({}, {}, {}, {})


class Unparsed:
    """Files a warm run may not need to parse: ``collect``'s hook (``sources.loader``),
    asked with each Markdown or HTML file's name and the sha256 of its bytes.

    Each is given back as a stand-in (no text, nothing read from it), and
    :func:`find_reusable` judges it from its stored basis, which keeps the document
    as loaded: a reused one becomes that document, the others are loaded for real
    (:meth:`loaded`).  Parsing 2,000 small files was a fifth of a warm run of the
    content corpus.
    """

    def __init__(self) -> None:
        self._given: dict[int, Document] = {}  # by id: the stand-ins, kept alive

    def __call__(self, origin: str, sha256: str) -> Document:
        markdown = Path(origin).suffix.lower() in MARKDOWN_SUFFIXES  # as the loader tells
        kind = DocumentKind.MARKDOWN if markdown else DocumentKind.HTML
        document = Document(text="", kind=kind, origin=origin, sha256=sha256)
        self._given[id(document)] = document
        return document

    def __contains__(self, document: object) -> bool:
        return self._given.get(id(document)) is document

    def loaded(
        self,
        documents: Sequence[Document],
        reuse: Reuse,
        load: Callable[[str], Document | None],
    ) -> list[Document]:
        """``documents`` with each stand-in replaced: by the document its basis kept
        where it is reused, else by the file loaded for real (``load``: None when
        it cannot be loaded now, changed since it was read)."""
        out: list[Document] = []
        for doc in documents:
            if doc in self:
                loaded = reuse.loaded.get(doc.origin) or load(doc.origin)
                if loaded is not None:
                    out.append(loaded)
            else:
                out.append(doc)
        return out


def find_reusable(
    store: Store,
    documents: Sequence[Document],
    settings: Mapping[str, Any],
    options: AuditOptions,
    failing: Collection[str],
    decode: Callable[[str], Finding] | None = None,
    context: Context | None = None,
    unparsed: Unparsed | None = None,
) -> Reuse:
    """The documents of ``documents`` whose stored findings are still true
    (``context``: the run's, if it has one already; ``unparsed``: what stands in
    for the files not parsed, whose documents their bases keep)."""
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
    context = context or Context(settings, options)
    candidates: list[tuple[Document, str, Basis]] = []
    for key, (sha256, text, basis_text) in stored.items():
        given = by_key[key]
        if sha256 != given.sha256:
            continue
        basis = Basis.from_json(basis_text)
        if basis is None:
            continue
        doc: Document | None = given
        if unparsed is not None and given in unparsed:  # the document as its basis keeps it
            kept = basis.document
            doc = None if kept is None else document_from_json(kept, given.origin, sha256)
        if doc is None or basis.context != context.of(doc):
            continue
        candidates.append((doc, text, basis))
    if not candidates:
        return Reuse({}, {}, {}, {}, keys)
    cached = {k for _, _, basis in candidates for k in basis.results}
    latest = store.results.latest_rows(cached) if cached else {}
    if latest is None:
        return Reuse({}, {}, {}, {}, keys)
    judge = _Judge(store.results.policy, store.now(), failing)
    # each key's stamp, where its latest observation would be reused: a basis holds
    # when each of its results is one of these, stamp for stamp
    usable = {str(row[1]): str(row[5]) for row in latest.values() if judge.usable(row)}.items()
    reused: dict[str, ReusedFindings] = {}
    bases: dict[str, Basis] = {}
    loaded: dict[str, Document] = {}
    decoder = decode or _decode
    for doc, text, basis in candidates:  # one per document: none is named twice
        if not basis.results.items() <= usable:
            continue
        block = _block(text, basis)
        if block is None:
            continue
        reused[doc.origin] = ReusedFindings(
            doc.origin, block, basis.lengths, basis.verdicts, basis.tally, decoder
        )
        bases[doc.origin] = basis
        loaded[doc.origin] = doc
    return Reuse(
        reused,
        {key: latest[key] for basis in bases.values() for key in basis.results},
        {origin: basis.citations for origin, basis in bases.items()},
        bases,
        keys,
        loaded,
    )


class _Judge:
    """Whether this run would reuse a stored observation, as the engine's cache does
    (``CachePolicy``, and ``recording.RecheckFailing`` for failing URLs)."""

    def __init__(self, policy: CachePolicy, now: datetime, failing: Collection[str]) -> None:
        self._policy = policy
        self._now = as_utc(now)
        self._failing = failing
        self._limits: dict[tuple[str, str], timedelta | None] = {}
        self._times: dict[str, datetime | None] = {}  # stamps, parsed once each

    def usable(self, row: tuple[Any, ...]) -> bool:
        """``row``: the cache's latest row for its key (``ResultStore.latest_rows``)."""
        if row[6] is None:
            return False  # an observation no run recorded
        kind = (str(row[3]), str(row[4]))
        if kind not in self._limits:
            try:
                self._limits[kind] = self._policy.age_limit_values(Verdict(kind[0]), kind[1])
            except ValueError:  # a verdict this version does not know
                self._limits[kind] = None
        limit = self._limits[kind]
        if limit is None or limit <= timedelta(0):
            return False
        checked = str(row[5])
        if checked not in self._times:
            try:
                self._times[checked] = as_utc(datetime.fromisoformat(checked))
            except ValueError:
                self._times[checked] = None
        at = self._times[checked]
        if at is None or not timedelta(0) <= self._now - at < limit:
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
