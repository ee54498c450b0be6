"""Local links, checked on disk: the most common broken link of a docs repository.

``[setup](../setup.md#install)`` breaks when a file is renamed or a heading is
reworded, and no request to any server can tell.  So a link in a document read
from a file, with no web address of its own to resolve against, is a *local*
citation: its path is resolved against the document's own file (``/x`` against
the root: ``--root-dir``, else the top of the git work tree, which is what
GitHub does), and the file and its ``#fragment`` are looked for on disk.

The rules, the same everywhere (README, "Local links"):

- A path must exist **with the same case**: a link that only works on a
  case-insensitive disk (macOS, Windows) is broken on Linux, in CI and on GitHub,
  so it is broken here too, whatever disk we run on; the detail names the file
  it differs from.
- A folder is fine; when it holds an index (:data:`INDEX_FILES`, the first one
  found) a ``#fragment`` is looked for there, as GitHub and site generators show
  the index as the folder's page.
- A link that leaves the root is broken (``outside_root``): nothing outside the
  repository is published with it.
- Fragments: in Markdown, the heading ids the reader's renderer makes
  (:class:`AnchorStyle`: GitHub's by default), explicit ``{#id}`` and HTML
  ``id``/``name`` written in the Markdown; in HTML, ``id`` and ``<a name>``.
  ``#L10`` and ``#L10-L20`` check that the line exists (GitHub's line links).
  ``#`` and ``#top`` are the top of the page (the HTML standard says so).
  Fragments of other files (images, code) are not checked, except line links.

Nothing here touches the network; results are ordinary :class:`CheckResult`
values keyed by ``file:`` URLs, so reports, history and exit codes treat local
links like any other citation.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from linkaudit.model import (
    AnchorStyle,
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Relation,
    Verdict,
)
from linkaudit.reasons import Reason

__all__ = [
    "INDEX_FILES",
    "AnchorStyle",
    "LocalOptions",
    "check_local",
    "file_key",
    "heading_ids",
    "mark_local",
    "repository_top",
    "slugify",
]

#: What a folder link opens, in order: what site generators serve and GitHub shows.
INDEX_FILES = (
    "index.html",
    "index.htm",
    "index.md",
    "README.md",
    "readme.md",
    "Readme.md",
    "README.markdown",
    "README.rst",
    "README.txt",
    "README",
)

_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdx"})
_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
_LINE_ANCHOR = re.compile(r"L(\d+)(?:C\d+)?(?:-L(\d+)(?:C\d+)?)?")
_TOP = frozenset({"", "top"})


@dataclass(frozen=True)
class LocalOptions:
    """``root``: where ``/path`` links point (``--root-dir``); None: each document's
    git work tree top (no root, and root-relative links stay unchecked).
    ``repository``: the web address of the repository the documents are in
    (``--repository``; None: its git remote ``origin``), whose own hosted files
    (``…/blob/<branch>/path``, ``…/tree/<branch>/dir``, ``…/raw/<branch>/path``,
    GitLab's ``/-/blob/``, GitHub's ``raw.githubusercontent.com``) are checked on disk."""

    root: Path | None = None
    anchor_style: AnchorStyle = AnchorStyle.GITHUB
    repository: str | None = None


# --------------------------------------------------------------------------- which links are local


def is_file_document(document: Document) -> bool:
    """A Markdown or HTML document read from a file, with no web address of its own:
    its relative links point at files beside it (WordPress posts and pages with a
    base URL keep their site's rules)."""
    origin = document.origin
    return (
        document.kind is not DocumentKind.WORDPRESS
        and document.base_url is None
        and "://" not in origin
        and not origin.startswith("<")
    )


@lru_cache(maxsize=4096)
def _true_case(directory: str) -> str:
    """A path spelled as on disk: a document named as ``Docs/A.md`` on a
    case-insensitive disk must not make every link beside it differ in case."""
    parent, name = os.path.split(directory)
    if not name or parent == directory:
        return directory
    parent = _true_case(parent)
    if name in _listing(parent):  # spelled as on disk: most names, no new listing
        return os.path.join(parent, name)
    try:
        names = os.listdir(parent)  # afresh: the name may be newer than the listing
    except OSError:
        return os.path.join(parent, name)
    if name in names:
        return os.path.join(parent, name)
    folded = name.casefold()
    return os.path.join(parent, next((n for n in sorted(names) if n.casefold() == folded), name))


@lru_cache(maxsize=1024)
def _listing(directory: str) -> frozenset[str]:
    """The names in ``directory`` when first asked: each document's own path is
    spelled once, and listing its folder for each of them was 2,000 listings of
    100 names on the benchmark's repository (0.16 s of a warm run)."""
    try:
        return frozenset(os.listdir(directory))
    except OSError:
        return frozenset()


@lru_cache(maxsize=4096)
def repository_top(directory: str) -> str | None:
    """The top of the git work tree holding ``directory`` (where ``.git`` is), or None."""
    path = Path(directory)
    for candidate in (path, *path.parents):
        if (candidate / ".git").exists():
            return str(candidate)
    return None


def file_key(path: str, fragment: str | None) -> str:
    """The ``file:`` URL a local target is keyed (and shown) by: one per file and fragment."""
    url = "file://" + quote(path, safe="/:@!$&'()*+,;=-._~")
    return url if fragment is None else f"{url}#{quote(fragment, safe='')}"


def _split_key(key: str) -> tuple[str, str | None]:
    head, hash_sign, fragment = key.partition("#")
    return unquote(head.removeprefix("file://")), (unquote(fragment) if hash_sign else None)


def _written_target(written: str) -> tuple[str, str | None, bool] | None:
    """``(path, fragment, root_relative)`` of a relative link or ``file:`` URL as
    written; None for what is not a local path (``//host``, other schemes)."""
    text = written.strip()
    if text.lower().startswith("file:"):
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            return None
        return unquote(parts.path), (unquote(parts.fragment) if "#" in text else None), False
    if text.startswith("//") or re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", text):
        return None
    head, hash_sign, fragment = text.partition("#")
    head = head.partition("?")[0].replace("\\", "/")
    return unquote(head), (unquote(fragment) if hash_sign else None), head.startswith("/")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def mark_local(
    document: Document, citations: Iterable[Citation], options: LocalOptions
) -> list[Citation]:
    """The citations of ``document`` with its local links made local citations.

    A relative link (and a ``file:`` URL, and ``#``) of a file document gets
    relation ``local``, a ``file:`` URL and key, and no verdict yet: the pipeline
    checks it on disk with :func:`check_local`, never over the network.  A link
    that leaves the root is decided here, ``broken`` (``outside_root``); a
    root-relative link with no root to resolve it keeps its ``relative_no_base``.
    """
    if not is_file_document(document):
        return list(citations)
    here = _true_case(os.path.abspath(document.origin))
    folder = os.path.dirname(here)
    top = repository_top(folder)
    root = os.path.abspath(options.root) if options.root is not None else top
    hosted = None
    if top is not None:
        hosted = _hosted_prefix(options.repository) if options.repository else _origin(top)
    return [_localized(c, here, folder, root, top, hosted) for c in citations]


def local_context(document: Document, options: LocalOptions) -> str:
    """What decides, besides a document's own text, which of its links are local:
    the root, its repository and the repository's web address (a link to that
    becomes local).  ``linkaudit.reuse`` reuses stored findings only while it holds."""
    if not is_file_document(document):
        return ""
    folder = os.path.dirname(os.path.abspath(document.origin))
    top = repository_top(folder)
    root = os.path.abspath(options.root) if options.root is not None else top
    hosted = None
    if top is not None:
        hosted = _hosted_prefix(options.repository) if options.repository else _origin(top)
    return json.dumps([root, top, hosted])


# --------------------------------------------------------------- the repository's own URLs


def _hosted_prefix(url: str) -> str | None:
    """``https://host/owner/repo`` of a repository's web or git address, lower-cased."""
    text = url.strip()
    scp = re.match(r"^[\w.-]+@([\w.-]+):(.+?)(?:\.git)?/?$", text)  # git@host:owner/repo.git
    if scp is not None:
        return f"https://{scp.group(1)}/{scp.group(2)}".lower()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https", "ssh", "git") or not parts.hostname:
        return None
    path = parts.path.strip("/").removesuffix(".git")
    return f"https://{parts.hostname}/{path}".lower() if path.count("/") >= 1 else None


@lru_cache(maxsize=64)
def _origin(top: str) -> str | None:
    """The hosted address of the work tree's ``origin`` remote, if it has one."""
    try:
        done = subprocess.run(
            ["git", "-C", top, "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return _hosted_prefix(done.stdout) if done.returncode == 0 and done.stdout.strip() else None


@lru_cache(maxsize=256)
def _is_branch(top: str, ref: str) -> bool:
    """Whether ``ref`` names a branch (local or ``origin/``) of the work tree: its files
    are the ones on disk, near enough.  A commit or tag link points at history,
    which the disk does not hold, so it stays a web link."""
    if ref == "HEAD":
        return True
    for name in (f"refs/heads/{ref}", f"refs/remotes/origin/{ref}"):
        try:
            done = subprocess.run(
                ["git", "-C", top, "rev-parse", "--verify", "--quiet", name],
                capture_output=True,
                check=False,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        if done.returncode == 0:
            return True
    return False


def _hosted_target(written: str, hosted: str, top: str) -> tuple[str, str | None] | None:
    """``(path, fragment)`` on disk of a link to the repository's own hosted file."""
    text = written.strip()
    raw = "https://raw.githubusercontent.com/" + hosted.removeprefix("https://github.com/")
    if text.lower().startswith(raw + "/") and hosted.startswith("https://github.com/"):
        rest = "raw/" + text[len(raw) + 1 :]  # raw.githubusercontent.com/OWNER/REPO/REF/path
    elif text.lower().startswith(hosted + "/"):
        rest = text[len(hosted) + 1 :].removeprefix("-/")
    else:
        return None
    kind, _, rest = rest.partition("/")
    if kind not in ("blob", "tree", "raw"):
        return None
    head, hash_sign, fragment = rest.partition("#")
    head = head.partition("?")[0]
    ref, _, path = head.partition("/")
    if not ref or not _is_branch(top, unquote(ref)):
        return None
    target = os.path.normpath(os.path.join(top, unquote(path)))
    return target, (unquote(fragment) if hash_sign else None)


def _localized(
    citation: Citation,
    here: str,
    folder: str,
    root: str | None,
    top: str | None,
    hosted: str | None,
) -> Citation:
    written = citation.url_as_written
    if written is None:
        return citation
    if hosted is not None and top is not None and citation.verdict is None:
        on_disk = _hosted_target(written, hosted, top)
        if on_disk is not None:
            key = file_key(*on_disk)
            return replace(citation, url=key, key=key, relation=Relation.LOCAL)
    if citation.reason == Reason.PLACEHOLDER_HREF and written.strip() == "#":
        target: tuple[str, str | None, bool] | None = ("", "", False)
    elif citation.reason == Reason.RELATIVE_NO_BASE or citation.reason == "scheme_file":
        target = _written_target(written)
    else:
        return citation
    if target is None:
        return citation
    path_text, fragment, root_relative = target
    if root_relative:
        if root is None:
            return citation
        path = os.path.normpath(os.path.join(root, path_text.lstrip("/")))
    elif path_text.startswith("/"):  # file:///absolute
        path = os.path.normpath(path_text)
    elif path_text == "":
        path = here  # "#frag": this document
    else:
        path = os.path.normpath(os.path.join(folder, path_text))
    key = file_key(path, fragment)
    local = replace(
        citation,
        kind=CitationKind.LINK if citation.kind is CitationKind.LOST else citation.kind,
        url=key,
        key=key,
        relation=Relation.LOCAL,
        verdict=None,
        reason="",
    )
    fence = root if root is not None else top
    if fence is not None and not _within(path, fence) and not written.lower().startswith("file:"):
        return replace(local, key=None, verdict=Verdict.BROKEN, reason=Reason.OUTSIDE_ROOT)
    return local


# ---------------------------------------------------------------- the disk, by exact name


class _Disk:
    """Directory listings, read once per run: exact-case lookups and suggestions."""

    def __init__(self) -> None:
        self._listings: dict[str, frozenset[str] | None] = {}
        self._anchors: dict[tuple[str, AnchorStyle], _Anchors] = {}
        self._lines: dict[str, int] = {}

    def listing(self, directory: str) -> frozenset[str] | None:
        if directory not in self._listings:
            try:
                names: frozenset[str] | None = frozenset(os.listdir(directory))
            except OSError:
                names = None
            self._listings[directory] = names
        return self._listings[directory]

    def exact(self, path: str) -> tuple[bool, str | None]:
        """``(exists with this exact case, the spelling it exists with otherwise)``."""
        parent, name = os.path.split(path)
        if not name:  # the file-system root
            return True, None
        if parent != path:
            found, other = self.exact(parent)
            if not found:
                if other is None:
                    return False, None
                spelled = self._spelled(other, name)
                return False, None if spelled is None else os.path.join(other, spelled)
        names = self.listing(parent)
        if names is None:
            return os.path.lexists(path), None
        if name in names:
            return True, None
        spelled = self._spelled(parent, name)
        return False, None if spelled is None else os.path.join(parent, spelled)

    def _spelled(self, directory: str, name: str) -> str | None:
        names = self.listing(directory) or frozenset()
        lowered = name.casefold()
        return next((n for n in sorted(names) if n.casefold() == lowered), None)

    def nearest(self, path: str) -> str | None:
        """An existing path close to a missing one (difflib on the names in the deepest
        folder that exists), for "did you mean …?"."""
        missing: list[str] = []
        current = path
        while True:
            parent, name = os.path.split(current)
            if not name or parent == current:
                return None
            missing.insert(0, name)
            if os.path.isdir(parent) and self.exact(parent)[0]:
                break
            current = parent
        names = sorted(self.listing(parent) or ())
        close = difflib.get_close_matches(missing[0], names, n=1, cutoff=0.6)
        if not close:
            return None
        guess = os.path.join(parent, close[0], *missing[1:])
        if len(missing) > 1 and not os.path.exists(guess):
            return None
        return guess

    def anchors(self, path: str, style: AnchorStyle) -> _Anchors:
        key = (path, style)
        if key not in self._anchors:
            self._anchors[key] = _read_anchors(path, style)
        return self._anchors[key]

    def line_count(self, path: str) -> int:
        if path not in self._lines:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                data = b""
            self._lines[path] = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        return self._lines[path]


# --------------------------------------------------------------------------- anchors


@dataclass(frozen=True)
class _Anchors:
    """The ids a file offers: ``exact`` (HTML ids and names, ``{#id}``) and ``folded``
    (heading ids a renderer matches case-insensitively, stored case-folded)."""

    exact: frozenset[str] = frozenset()
    folded: frozenset[str] = frozenset()
    headings: tuple[str, ...] = field(default=(), compare=False)

    def has(self, fragment: str) -> bool:
        return fragment in self.exact or fragment.casefold() in self.folded

    def all(self) -> frozenset[str]:
        return self.exact | self.folded


def _slug_github(text: str) -> str:
    lowered = text.lower()
    kept = "".join(
        ch
        for ch in lowered
        if ch in " -" or unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc"
    )
    return kept.replace(" ", "-")


def _slug_gitlab(text: str) -> str:
    return re.sub(r"-{2,}", "-", _slug_github(text.strip()))


def _slug_python_markdown(text: str) -> str:
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def slugify(text: str, style: AnchorStyle = AnchorStyle.GITHUB) -> str:
    """The id one renderer gives a heading with this text (before de-duplication)."""
    if style is AnchorStyle.GITLAB:
        return _slug_gitlab(text)
    if style is AnchorStyle.PYTHON_MARKDOWN:
        return _slug_python_markdown(text)
    return _slug_github(text)


def heading_ids(texts: Iterable[str], style: AnchorStyle = AnchorStyle.GITHUB) -> list[str]:
    """The ids of a document's headings in order, duplicates numbered the renderer's way."""
    out: list[str] = []
    if style is AnchorStyle.PYTHON_MARKDOWN:
        used: set[str] = set()
        for text in texts:
            slug = _slug_python_markdown(text)
            while slug in used or not slug:
                match = re.match(r"^(.*)_([0-9]+)$", slug)
                slug = f"{match.group(1)}_{int(match.group(2)) + 1}" if match else f"{slug}_1"
            used.add(slug)
            out.append(slug)
        return out
    occurrences: dict[str, int] = {}
    for text in texts:
        slug = original = slugify(text, style)
        while slug in occurrences:
            occurrences[original] += 1
            slug = f"{original}-{occurrences[original]}"
        occurrences[slug] = 0
        out.append(slug)
    return out


_HTML_ID = re.compile(r"""<[A-Za-z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_EXPLICIT_ID = re.compile(r"\s*\{[:\s]*#([^\s}]+)[^}]*\}\s*$")


def _html_ids(markup: str) -> Iterator[str]:
    for match in _HTML_ID.finditer(markup):
        yield next(g for g in match.groups() if g is not None)


def _read_anchors(path: str, style: AnchorStyle) -> _Anchors:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return _Anchors()
    text = data.decode("utf-8", "replace")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in _HTML_SUFFIXES:
        return _Anchors(exact=frozenset(_html_ids(text)))
    return _markdown_anchors(text, style)


@lru_cache(maxsize=2)
def _parser(blocks_only: bool = False) -> Any:
    """The shared Markdown configuration, built once (imported on first use);
    ``blocks_only`` skips inline parsing (a target's anchors need the inline
    markup of its headings only: four times faster on ordinary documents)."""
    from linkaudit.extract.markdown_parser import markdown_parser

    parser = markdown_parser()
    return parser.disable("inline") if blocks_only else parser


def _markdown_anchors(source: str, style: AnchorStyle) -> _Anchors:
    from linkaudit.sources.markdown import split_front_matter

    _fields, text = split_front_matter(source)
    tokens = _parser(blocks_only=True).parse(text)
    exact: set[str] = set()
    titles: list[str] = []
    for index, token in enumerate(tokens):
        if token.type in ("html_block", "inline") and "<" in token.content:
            exact.update(_html_ids(token.content))  # HTML blocks, and HTML in paragraphs
        if token.type != "inline":
            continue
        if index and tokens[index - 1].type == "heading_open":
            (inline,) = _parser().parseInline(token.content)
            title = _heading_text(inline)
            explicit = _EXPLICIT_ID.search(title)
            if explicit is not None:
                exact.add(explicit.group(1))
                if style is not AnchorStyle.GITHUB:  # GitHub shows "{#id}" as text
                    title = title[: explicit.start()]
            titles.append(title)
    ids = heading_ids(titles, style)
    if style is not AnchorStyle.GITHUB:  # GitLab and MkDocs match heading ids exactly
        return _Anchors(exact=frozenset({*exact, *ids}), headings=tuple(ids))
    return _Anchors(
        exact=frozenset(exact), folded=frozenset(i.casefold() for i in ids), headings=tuple(ids)
    )


def _heading_text(token: object) -> str:
    """A heading's text as the renderer's slugger sees it: text and code, no markup."""
    parts: list[str] = []
    for child in getattr(token, "children", None) or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


# --------------------------------------------------------------------------- checking


def _shown(path: str) -> str:
    """A path as people read it: relative to the working directory when under it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def check_local(
    keys: Iterable[str], options: LocalOptions, now: datetime | None = None
) -> dict[str, CheckResult]:
    """One result per local key (``file:`` URL, maybe with a ``#fragment``), from the disk alone."""
    disk = _Disk()
    when = now or datetime.now(UTC)
    return {key: _check_one(key, disk, options, when) for key in dict.fromkeys(keys)}


def _result(key: str, verdict: Verdict, reason: Reason, detail: str, when: datetime) -> CheckResult:
    return CheckResult(
        key=key, url=key, verdict=verdict, reason=reason, detail=detail, checked_at=when
    )


def _check_one(key: str, disk: _Disk, options: LocalOptions, when: datetime) -> CheckResult:
    path, fragment = _split_key(key)
    found, spelled = disk.exact(path)
    if not found:
        if spelled is not None and os.path.exists(spelled):
            detail = (
                f"No file {_shown(path)}: it exists as {_shown(spelled)}, which differs in case "
                "(a case-insensitive disk, as on macOS or Windows, finds it; Linux, CI and "
                "GitHub do not)."
            )
        else:
            detail = f"No file {_shown(path)}."
            guess = disk.nearest(path)
            if guess is not None:
                detail = f"No file {_shown(path)}: did you mean `{_shown(guess)}`?"
        return _result(key, Verdict.BROKEN, Reason.FILE_NOT_FOUND, detail, when)
    target = path
    if os.path.isdir(path):
        names = disk.listing(path) or frozenset()
        index = next((n for n in INDEX_FILES if n in names), None)
        if index is None:
            detail = (
                f"The folder {_shown(path)} exists; it has no index file, so GitHub lists its "
                "files and a static site may not serve it."
            )
            if fragment not in (None, *_TOP):
                return _result(
                    key,
                    Verdict.BROKEN,
                    Reason.ANCHOR_NOT_FOUND,
                    f"The folder {_shown(path)} has no index file to hold #{fragment}.",
                    when,
                )
            return _result(key, Verdict.OK, Reason.OK_FILE, detail, when)
        target = os.path.join(path, index)
    if fragment is None or fragment in _TOP:
        return _result(key, Verdict.OK, Reason.OK_FILE, f"Found {_shown(target)}.", when)
    return _check_fragment(key, target, fragment, disk, options, when)


def _check_fragment(
    key: str, target: str, fragment: str, disk: _Disk, options: LocalOptions, when: datetime
) -> CheckResult:
    suffix = os.path.splitext(target)[1].lower()
    lines = _LINE_ANCHOR.fullmatch(fragment)
    markup = suffix in _MARKDOWN_SUFFIXES or suffix in _HTML_SUFFIXES
    if markup:
        anchors = disk.anchors(target, options.anchor_style)
        wanted = fragment.removeprefix("user-content-")
        if anchors.has(fragment) or anchors.has(wanted):
            return _result(
                key, Verdict.OK, Reason.OK_FILE, f"Found #{fragment} in {_shown(target)}.", when
            )
    if lines is not None:
        last = int(lines.group(2) or lines.group(1))
        count = disk.line_count(target)
        if last <= count:
            return _result(
                key, Verdict.OK, Reason.OK_FILE, f"{_shown(target)} has line {last}.", when
            )
        return _result(
            key,
            Verdict.BROKEN,
            Reason.ANCHOR_NOT_FOUND,
            f"{_shown(target)} has {count} lines; #{fragment} points past its end.",
            when,
        )
    if not markup:
        return _result(
            key,
            Verdict.OK,
            Reason.OK_FILE,
            f"Found {_shown(target)}; #{fragment} is not checked in a {suffix or 'plain'} file.",
            when,
        )
    detail = f"{_shown(target)} has no heading or id #{fragment}"
    close = difflib.get_close_matches(
        fragment.casefold(), sorted(disk.anchors(target, options.anchor_style).all()), n=1
    )
    detail += f": did you mean `#{close[0]}`?" if close else "."
    return _result(key, Verdict.BROKEN, Reason.ANCHOR_NOT_FOUND, detail, when)


def local_results(
    citations: Iterable[Citation], options: LocalOptions, now: datetime | None = None
) -> Mapping[str, CheckResult]:
    """:func:`check_local` for the local citations among ``citations`` that need it."""
    keys = [c.key for c in citations if c.relation is Relation.LOCAL and c.needs_check and c.key]
    return check_local(keys, options, now) if keys else {}
