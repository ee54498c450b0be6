"""Bare URLs and DOIs in running text."""

from __future__ import annotations

import pytest

from linkaudit.extract import find_text_urls
from linkaudit.model import CitationKind


@pytest.mark.parametrize(
    ("text", "written", "url"),
    [
        ("see https://a.example/x.", "https://a.example/x", "https://a.example/x"),
        ("(https://a.example/x)", "https://a.example/x", "https://a.example/x"),
        (
            "https://en.example/Foo_(bar), next",
            "https://en.example/Foo_(bar)",
            "https://en.example/Foo_(bar)",
        ),
        ("“https://q.example/”", "https://q.example/", "https://q.example/"),
        ("visit www.w.example/p!", "www.w.example/p", "http://www.w.example/p"),
        ("doi:10.1000/xyz123;", "doi:10.1000/xyz123", "https://doi.org/10.1000/xyz123"),
        (
            "DOI 10.1016/S0140-6736(20)30183-5.",
            "DOI 10.1016/S0140-6736(20)30183-5",
            "https://doi.org/10.1016/S0140-6736(20)30183-5",
        ),
        (
            "doi: 10.1175/1520-0469(1963)020<0130:DNF>2.0.CO;2",
            "doi: 10.1175/1520-0469(1963)020",
            "https://doi.org/10.1175/1520-0469(1963)020",
        ),
    ],
)
def test_found(text: str, written: str, url: str) -> None:
    (found,) = find_text_urls(text)
    assert (found.written, found.url) == (written, url)
    assert text[found.start : found.end] == written


@pytest.mark.parametrize(
    "text",
    [
        "no urls here",
        "http:// alone",
        "www.",
        "version 1.2.3",
        "file.example.com",
        "doi:11.1/x",
        "mydoi:10.1000/x",
    ],
)
def test_not_found(text: str) -> None:
    assert find_text_urls(text) == []


def test_kinds_and_order() -> None:
    found = find_text_urls("a doi:10.1/abcd https://b.example/ c")
    assert found == [] or [f.kind for f in found] == [CitationKind.TEXT_URL]
    found = find_text_urls("doi:10.1234/abcd then https://b.example/")
    assert [f.kind for f in found] == [CitationKind.DOI, CitationKind.TEXT_URL]
