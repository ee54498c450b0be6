"""Shared helpers for the extraction tests: fixture files and Document builders."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.model import Document, DocumentKind

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def html_doc(
    text: str,
    *,
    base: str | None = "https://news.example.org/2024/05/story.html",
    site: str | None = None,
    whole_page: bool = True,
    kind: DocumentKind = DocumentKind.HTML,
) -> Document:
    return Document(
        text=text, kind=kind, origin="test.html", base_url=base, site=site, whole_page=whole_page
    )


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
