"""WordPress REST API post objects (``/wp-json/wp/v2/posts/<id>``, or a list of them).

A post object carries exactly the metadata an audit needs: ``link`` is the
article's own URL (base for relative links, and the site whose links are
internal), ``date_gmt`` is when its sources were cited, and
``content.rendered`` is the body alone, so no page chrome needs stripping.
Saved posts are often damaged (raw newlines, files cut off mid-article); they
are read with the lenient JSON reader and audited as far as they go.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

from linkaudit.errors import InputError
from linkaudit.model import Document, DocumentKind, TextInFile
from linkaudit.sources._decode import bom_length, decode
from linkaudit.sources.base import SourceOptions, origin_of, parse_date
from linkaudit.sources.jsonspan import find_strings, in_file
from linkaudit.sources.lenient_json import LenientJsonError, parse_lenient

#: Keys a WordPress REST post object carries at its top level (the first ones of
#: every export, and the ones an audit needs): where reading resumes after damage.
POST_KEYS = frozenset(
    {
        "id", "date", "date_gmt", "guid", "modified", "modified_gmt", "slug", "status",
        "type", "link", "title", "content", "excerpt", "author", "featured_media",
        "comment_status", "ping_status", "sticky", "template", "format", "meta",
        "categories", "tags", "yoast_head", "yoast_head_json", "_links",
    }
)  # fmt: skip

_WP_KEY = re.compile(r'"(?:content|date_gmt|link|guid|slug|rendered)"\s*:')
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")
_SNIFF_CHARS = 1024 * 1024


def looks_like_wordpress(text: str) -> bool:
    """A cheap guess that text is a WP post (or list of posts) before parsing it."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("["):  # a list of posts, not Markdown that opens with a [link]
        head = head[1:].lstrip(" \t\r\n")
    return head[:1] == "{" and _WP_KEY.search(head[:_SNIFF_CHARS]) is not None


def is_post(value: Any) -> bool:
    """True for a mapping with the shape of a WordPress post: ``content.rendered`` or
    ``.raw``, or (a damaged or hand-made export) ``content`` as plain text."""
    return isinstance(value, dict) and _body_of(value.get("content")) is not None


def _body_of(content: Any) -> tuple[str, str] | None:
    """The post's body and where it was found (``rendered``, ``raw``, or ``""``: the
    content field itself was the text)."""
    if isinstance(content, str):
        return content, ""
    if isinstance(content, dict):
        for key in ("rendered", "raw"):
            if isinstance(content.get(key), str):
                return content[key], key
    return None


def load_wordpress_bytes(
    data: bytes,
    origin: str,
    options: SourceOptions,
    *,
    http_charset: str | None = None,
    extra_warnings: tuple[str, ...] = (),
) -> list[Document]:
    """Decode and parse a WP post (or list of posts); one Document per post."""
    decoded = decode(data, origin, declared=http_charset)
    return wordpress_documents(
        decoded.text,
        origin=origin,
        options=options,
        encoding=decoded.encoding,
        warnings=extra_warnings + decoded.warnings,
        byte_base=bom_length(data),
    )


def wordpress_documents(
    text: str,
    *,
    origin: str,
    options: SourceOptions,
    encoding: str = "utf-8",
    warnings: tuple[str, ...] = (),
    byte_base: int = 0,
) -> list[Document]:
    """Documents from the text of a WP post object or a list of them.

    Raises InputError when the JSON is unrecoverable or holds no post.
    """
    try:
        parsed = parse_lenient(text, encoding=encoding, byte_base=byte_base, resync_keys=POST_KEYS)
    except LenientJsonError as exc:
        raise InputError(f"{origin}: malformed JSON that cannot be recovered: {exc}") from None
    shared = warnings + parsed.warnings
    value = parsed.value
    bodies = _bodies_in_file(text)
    if isinstance(value, list):
        documents: list[Document] = []
        skipped: list[str] = []
        for index, item in enumerate(value):
            if is_post(item):
                document = _post_document(item, f"{origin}[{index}]", options, encoding)
                documents.append(_placed(document, bodies, (index,)))
            else:
                skipped.append(f"[{index}]")
        if not documents:
            raise InputError(f"{origin}: JSON list holds no WordPress post (no content.rendered)")
        if skipped:
            shared += (
                f"skipped {len(skipped)} list item(s) that are not complete posts: "
                + ", ".join(skipped[:10])
                + (" ..." if len(skipped) > 10 else ""),
            )
        return [_with_warnings(doc, shared) for doc in documents]
    if not is_post(value):
        raise InputError(f"{origin}: JSON is not a WordPress post (no content.rendered)")
    document = _placed(_post_document(value, origin, options, encoding), bodies, ())
    return [_with_warnings(document, shared)]


def _bodies_in_file(text: str) -> dict[tuple[str | int, ...], TextInFile]:
    """Every post body string of the file (``content.rendered`` and ``.raw``) by its
    path, with where it is: so citations can point at the file, not the body."""
    return {
        string.path: in_file(text, string)
        for string in find_strings(text)
        if len(string.path) >= 2 and string.path[-2] == "content"
    }


def _placed(
    document: Document, bodies: dict[tuple[str | int, ...], TextInFile], at: tuple[int, ...]
) -> Document:
    """The document with its body's place in the file, when the file's string is the
    body exactly (a reader that decoded it differently gets no positions: better none
    than wrong ones)."""
    for key in ("rendered", "raw"):
        span = bodies.get((*at, "content", key))
        if span is not None and _decodes_to(span, document.text):
            return replace(document, in_file=span)
    return document


def _decodes_to(span: TextInFile, body: str) -> bool:
    found = find_strings(f'{{"rendered": "{span.raw}"}}')
    return bool(found) and found[0].value == body


def _with_warnings(document: Document, warnings: tuple[str, ...]) -> Document:
    return replace(document, warnings=warnings + document.warnings)


def _text_of(value: Any) -> str | None:
    """A WP field that is either ``{"rendered": "..."}`` or a plain string."""
    if isinstance(value, dict):
        value = value.get("rendered", value.get("raw"))
    return value if isinstance(value, str) else None


def plain_title(rendered: str | None) -> str | None:
    """``title.rendered`` is HTML (entities, sometimes tags); a report wants plain text."""
    if rendered is None:
        return None
    text = _SPACES.sub(" ", html.unescape(_TAG.sub("", rendered))).strip()
    return text or None


def _post_document(
    post: dict[str, Any], origin: str, options: SourceOptions, encoding: str
) -> Document:
    warnings: list[str] = []
    content = post["content"]
    found = _body_of(content)
    assert found is not None  # is_post
    body, where = found
    if where == "raw":
        warnings.append("no content.rendered; auditing content.raw (the editor's source)")
    elif where == "":
        warnings.append("content is plain text, not {rendered: ...}; auditing it as the body")
    if isinstance(content, dict) and content.get("protected") is True:
        warnings.append("the post is password-protected; its content may be empty")
    if not body.strip():
        warnings.append("content.rendered is empty: nothing to audit")
    link = post.get("link") if isinstance(post.get("link"), str) else None
    canonical = link.strip() if link and origin_of(link) else None
    base_url = options.base_url or canonical

    cited_at, cited_at_source = None, None
    if options.cited_at is not None:
        cited_at, cited_at_source = options.cited_at, "option"
    else:
        for key in ("date_gmt", "date"):
            raw = post.get(key)
            parsed = parse_date(raw) if isinstance(raw, str) else None
            if parsed is not None:
                cited_at, cited_at_source = parsed, key
                if key == "date":
                    warnings.append("no usable date_gmt; took date (site local time) as UTC")
                break
    return Document(
        text=body,
        kind=DocumentKind.WORDPRESS,
        origin=origin,
        base_url=base_url,
        site=origin_of(base_url),
        title=plain_title(_text_of(post.get("title"))),
        cited_at=cited_at,
        cited_at_source=cited_at_source,
        encoding=encoding,
        warnings=tuple(warnings),
        canonical_url=canonical,
        whole_page=False,
    )
