"""Markdown files, with the front matter static-site generators put on top.

The Document's text stays the Markdown source so citations point at the lines
an author edits.  Front matter is blanked out (each of its lines becomes empty)
rather than cut: line numbers still match the file, and the extractor does not
mistake ``url: https://...`` in the metadata for a citation in the article.
Front matter is read minimally (``key: value`` lines) so no YAML library is
needed; nested YAML is ignored.
"""

from __future__ import annotations

import re

from linkaudit.model import Document, DocumentKind
from linkaudit.sources._decode import decode
from linkaudit.sources.base import SourceOptions, origin_of, parse_date

_KEY_VALUE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_URL_KEYS = ("canonical_url", "canonical", "url", "permalink")
_DATE_KEYS = ("date", "published", "pubdate", "published_at")


def load_markdown_bytes(
    data: bytes,
    origin: str,
    options: SourceOptions,
    *,
    extra_warnings: tuple[str, ...] = (),
    sha256: str | None = None,
) -> Document:
    decoded = decode(data, origin)
    return markdown_document(
        decoded.text,
        origin=origin,
        options=options,
        encoding=decoded.encoding,
        warnings=extra_warnings + decoded.warnings,
        sha256=sha256,
    )


def split_front_matter(source: str) -> tuple[dict[str, str], str]:
    """The front matter's top-level ``key: value`` pairs, and the source with it blanked."""
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        return {}, source
    for end in range(1, len(lines)):
        if lines[end].rstrip("\r\n").rstrip() in ("---", "..."):
            break
    else:
        return {}, source  # an opening rule with no closing one is just a thematic break
    fields: dict[str, str] = {}
    for line in lines[1:end]:
        match = _KEY_VALUE.match(line.rstrip("\r\n"))
        if match and match.group(1).lower() not in fields:
            fields[match.group(1).lower()] = _unquote(match.group(2))
    blanked = ["\n" if line.endswith(("\n", "\r")) else "" for line in lines[: end + 1]]
    return fields, "".join(blanked) + "".join(lines[end + 1 :])


def _unquote(value: str) -> str:
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        if end > 0:
            return value[1:end]
    if " #" in value:  # a YAML comment after a plain scalar
        value = value.split(" #", 1)[0].rstrip()
    return value


def first_heading(source: str) -> str | None:
    """The first level-1 heading (ATX or setext) outside fenced code."""
    in_fence: str | None = None
    previous = ""
    for line in source.splitlines():
        fence = _FENCE.match(line)
        if fence:
            if in_fence is None:
                in_fence = fence.group(1)
            elif fence.group(1) == in_fence:
                in_fence = None
            previous = ""
            continue
        if in_fence is not None:
            continue
        atx = _ATX_H1.match(line)
        if atx:
            return atx.group(1).strip()
        if _SETEXT_H1.match(line) and previous.strip():
            return previous.strip()
        previous = line
    return None


def markdown_document(
    source: str,
    *,
    origin: str,
    options: SourceOptions,
    encoding: str | None = None,
    warnings: tuple[str, ...] = (),
    sha256: str | None = None,
) -> Document:
    fields, text = split_front_matter(source)
    canonical = next(
        (fields[key] for key in _URL_KEYS if key in fields and origin_of(fields[key])), None
    )
    base_url = options.base_url or canonical
    cited_at, cited_at_source = None, None
    if options.cited_at is not None:
        cited_at, cited_at_source = options.cited_at, "option"
    else:
        for key in _DATE_KEYS:
            parsed = parse_date(fields[key]) if key in fields else None
            if parsed is not None:
                cited_at, cited_at_source = parsed, f"front matter {key}"
                break
    return Document(
        text=text,
        kind=DocumentKind.MARKDOWN,
        origin=origin,
        base_url=base_url,
        site=origin_of(base_url),
        title=fields.get("title") or first_heading(text),
        cited_at=cited_at,
        cited_at_source=cited_at_source,
        encoding=encoding,
        warnings=warnings,
        canonical_url=canonical,
        whole_page=False,
        sha256=sha256,
    )
