"""The seed article: a WordPress body whose opening tags were stripped; ten lost links."""

from __future__ import annotations

import re

import pytest

from linkaudit.extract import extract
from linkaudit.model import CitationKind, Document, DocumentKind, Verdict

from .corpus import SHARED

SEED = SHARED / "seeds" / "000_5e9e3ade2d4e8552.txt"

EXPECTED = [
    "floated the idea",
    "missiles and nuclear weapons",
    "military assertiveness",
    "General Security of Military Intelligence Act (GSOMIA)",
    "requires",
    "Polls",
    "stated",
    "subservient",
    "humiliating",
    "added",
]


def rendered_content(raw: str) -> str:
    """content.rendered of a truncated, not-quite-JSON WP post: from its opening quote to EOF."""
    marker = '"content":{"rendered":"'
    body = raw[raw.index(marker) + len(marker) :]
    escapes = {"n": "\n", "t": "\t", "r": "\r", "/": "/", '"': '"', "\\": "\\"}

    def unescape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u"):
            return chr(int(code[1:], 16))
        return escapes.get(code, code)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", unescape, body, flags=re.S)


@pytest.fixture(scope="module")
def seed_document() -> Document:
    if not SEED.is_file():
        pytest.skip(f"seed not found at {SEED}")
    text = rendered_content(SEED.read_text(encoding="utf-8"))
    return Document(
        text=text,
        kind=DocumentKind.WORDPRESS,
        origin=str(SEED),
        base_url="https://koreapro.org/2023/04/despite-improved-rok-japan-ties-an-intel-alliance-remains-a-step-too-far/",
        site="https://koreapro.org",
        whole_page=False,
    )


def test_seed_has_exactly_ten_lost_links(seed_document: Document) -> None:
    cites = extract(seed_document)
    assert [c.text for c in cites] == EXPECTED
    assert all(c.kind is CitationKind.LOST and c.verdict is Verdict.LOST for c in cites)
    assert all(c.reason == "stripped_link" for c in cites)
    assert sum(c.needs_check for c in cites) == 0


def test_seed_lost_links_have_sentence_and_exact_position(seed_document: Document) -> None:
    cites = extract(seed_document)
    text = seed_document.text
    for cite in cites:
        offset = cite.location.offset
        assert offset is not None
        assert text[offset:].startswith(cite.text.split()[0])
        assert text.count("\n", 0, offset) + 1 == cite.location.line
        assert cite.text in cite.context
        assert "<" not in cite.context
        assert "\x00" not in cite.context
    first = cites[0]
    assert first.context.startswith("ROK principal deputy national security adviser")
    assert first.context.endswith("to include Japan.")
    lines = [c.location.line for c in cites]
    assert lines == sorted(lines)
    paragraphs = [c.location.paragraph for c in cites]
    assert paragraphs[0] == 1
    assert paragraphs == sorted(paragraphs)
