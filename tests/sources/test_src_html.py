"""HTML pages: which metadata wins, and the bundled example article."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.model import DocumentKind
from linkaudit.sources import SourceOptions, example_path, load_source
from linkaudit.sources.html import html_document

HEAD = """<html><head>
<title>Headline | The Site</title>
{extra}
</head><body><article><p>Body</p>{body}</article></body></html>"""


def page(extra: str = "", body: str = "") -> str:
    return HEAD.format(extra=extra, body=body)


def doc_of(text: str, url: str | None = None, **option_values: object):  # type: ignore[no-untyped-def]
    return html_document(
        text,
        origin="page.html",
        options=SourceOptions(**option_values),
        url=url,  # type: ignore[arg-type]
    )


def test_title_prefers_og_title_over_the_title_tag() -> None:
    assert doc_of(page()).title == "Headline | The Site"
    og = '<meta property="og:title" content="  Headline\n  only ">'
    assert doc_of(page(og)).title == "Headline only"


def test_canonical_and_base_url_precedence() -> None:
    extra = (
        '<link rel="Canonical" href="https://site.example.test/a/">'
        '<meta property="og:url" content="https://site.example.test/og/">'
    )
    doc = doc_of(page(extra))
    assert doc.canonical_url == "https://site.example.test/a/"
    assert doc.base_url == "https://site.example.test/a/"
    assert doc.site == "https://site.example.test"
    fetched = doc_of(page(extra), url="http://mirror.example.test:8080/copy")
    assert fetched.base_url == "http://mirror.example.test:8080/copy"
    assert fetched.site == "http://mirror.example.test:8080"
    forced = doc_of(page(extra), url="http://mirror.example.test/", base_url="https://b.test/x")
    assert (forced.base_url, forced.site) == ("https://b.test/x", "https://b.test")
    assert forced.canonical_url == "https://site.example.test/a/"


def test_og_url_is_the_fallback_canonical_and_relative_ones_need_a_base() -> None:
    og = '<meta property="og:url" content="https://site.example.test/og/">'
    assert doc_of(page(og)).canonical_url == "https://site.example.test/og/"
    relative = '<link rel="canonical" href="/rel/">'
    assert doc_of(page(relative)).canonical_url is None
    assert doc_of(page(relative), url="https://h.test/x/y").canonical_url == "https://h.test/rel/"


JSON_LD = """<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "S"},
  {"@type": "Article", "datePublished": "2019-05-06T07:08:09+02:00"}
]}</script>"""
META_TIME = '<meta property="article:published_time" content="2020-01-01T00:00:00Z">'
TIME = '<time datetime="2021-02-03">Feb 3</time>'


@pytest.mark.parametrize(
    ("extra", "body", "expected", "source"),
    [
        (JSON_LD + META_TIME, TIME, datetime(2019, 5, 6, 5, 8, 9, tzinfo=UTC), "json-ld"),
        (META_TIME, TIME, datetime(2020, 1, 1, tzinfo=UTC), "article:published_time"),
        ("", TIME, datetime(2021, 2, 3, tzinfo=UTC), "time"),
        ('<time datetime="not a date">x</time>', TIME, datetime(2021, 2, 3, tzinfo=UTC), "time"),
        ("", "", None, None),
    ],
)
def test_citation_date_precedence(
    extra: str, body: str, expected: datetime | None, source: str | None
) -> None:
    doc = doc_of(page(extra, body))
    assert (doc.cited_at, doc.cited_at_source) == (expected, source)


def test_cited_at_option_wins() -> None:
    when = datetime(2001, 1, 1, tzinfo=UTC)
    doc = doc_of(page(JSON_LD), cited_at=when)
    assert (doc.cited_at, doc.cited_at_source) == (when, "option")


def test_json_ld_with_raw_newlines_in_strings_still_gives_a_date() -> None:
    broken = (
        '<script type="application/ld+json">'
        '{"headline": "a\nb", "datePublished": "2018-01-02"}</script>'
    )
    assert doc_of(page(broken)).cited_at == datetime(2018, 1, 2, tzinfo=UTC)


def test_xml_declaration_and_markup_without_head() -> None:
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + page()
    assert doc_of(xhtml).title == "Headline | The Site"
    assert doc_of("<p>just a fragment</p>").title is None


def test_base_href_is_left_to_the_extractor() -> None:
    doc = doc_of(page('<base href="https://elsewhere.example.test/">'))
    assert doc.base_url is None
    assert '<base href="https://elsewhere.example.test/">' in doc.text


def test_bundled_example_article() -> None:
    path = example_path()
    assert path.is_file()
    [doc] = load_source(str(path), SourceOptions())
    assert doc.kind is DocumentKind.HTML
    assert doc.whole_page is True
    assert doc.title == "River towns brace for a wetter decade, state study warns"
    assert doc.base_url == "https://news.example.test/2024/03/river-towns-wetter-decade/"
    assert doc.site == "https://news.example.test"
    assert (doc.cited_at, doc.cited_at_source) == (
        datetime(2024, 3, 12, 8, 30, tzinfo=UTC),
        "json-ld",
    )
    text = doc.text
    for needle in (
        "<article",
        "<nav",
        "<footer",
        "srcset=",
        "<iframe",
        '<blockquote cite="',
        "doi:10.",
        " https://climate.example.test/",
        "</span>revised its flood maps</span></a>",
        '<a href="#">',
        "<a>spokesperson</a>",
        'href="mailto:',
    ):
        assert needle in text, needle
    quoted = text.split('"')
    hosts = {part.split("/")[2] for part in quoted if part.startswith(("http://", "https://"))}
    hosts.discard("schema.org")  # the JSON-LD vocabulary, not a citation
    assert len(hosts) > 10
    assert all(host.endswith(".test") for host in hosts), hosts


def test_example_path_is_a_file_under_the_package(tmp_path: Path) -> None:
    assert example_path().name == "article.html"
    assert example_path().parent.name == "example"
