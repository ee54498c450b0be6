"""URLs and DOIs written as plain text: citations without markup.

Decisions: ``http(s)://`` URLs and ``www.`` host names (taken as ``http://``, as
linkifiers do) count; a bare ``example.com`` does not (too many false positives:
file names, version strings).  ``doi:10.x/y`` and ``DOI 10.x/y`` become
``https://doi.org/10.x/y``.  Trailing punctuation that ends the sentence is not
part of the URL, but a closing bracket that balances one inside the URL is
(Wikipedia-style ``..._(disambiguation)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from linkaudit.model import CitationKind

_TEXT_URL_RE = re.compile(
    r"""(?P<url>\b(?:https?://|www\.(?=[\w-]+\.[\w-]))[^\s<>"'`\x00]+)"""
    r"""|(?P<doi>\b(?:doi:[ \t]?|DOI:?[ \t]+)(?P<id>10\.\d{4,9}/[^\s<>"'\x00]+))""",
    re.IGNORECASE,
)
_HINTS = ("http", "HTTP", "Http", "www.", "WWW.", "doi", "DOI", "Doi")
_TRAILING = ".,;:!?'\"*_~…»›”’"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_DOI_SAFE = "/:;()._-<>[]@!$&*+,=~"


@dataclass(frozen=True, slots=True)
class TextURL:
    """One URL or DOI found in running text; ``start``/``end`` index the text given."""

    start: int
    end: int
    written: str  # as in the text, e.g. "doi:10.1000/xyz"
    url: str  # what to check, e.g. "https://doi.org/10.1000/xyz"
    kind: CitationKind


def _trim(candidate: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets from the end."""
    while candidate:
        last = candidate[-1]
        if last in _TRAILING or (
            last in _PAIRS and candidate.count(last) > candidate.count(_PAIRS[last])
        ):
            candidate = candidate[:-1]
        elif candidate.endswith(("&gt", "&lt", "&quot")):
            candidate = candidate[: candidate.rfind("&")]
        else:
            break
    return candidate


def find_text_urls(text: str) -> list[TextURL]:
    """Every URL and DOI in ``text``, in order."""
    if not any(hint in text for hint in _HINTS):  # plain substring tests: fastest
        return []
    found: list[TextURL] = []
    for match in _TEXT_URL_RE.finditer(text):
        if match.group("url") is not None:
            written = _trim(match.group("url"))
            if written.lower() in {"http://", "https://"} or written.endswith("://"):
                continue
            url = written if "://" in written[:8] else "http://" + written
            kind = CitationKind.TEXT_URL
            start = match.start("url")
        else:
            doi = _trim(match.group("id"))
            if "/" not in doi or doi.endswith("/"):
                continue
            start = match.start("doi")
            written = text[start : match.start("id")] + doi
            url = "https://doi.org/" + quote(doi, safe=_DOI_SAFE)
            kind = CitationKind.DOI
        if written:
            found.append(TextURL(start, start + len(written), written, url, kind))
    return found
