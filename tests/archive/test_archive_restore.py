"""Lost links restored from the archived copy of a seed-like article."""

from __future__ import annotations

from datetime import UTC, datetime

from linkaudit.archive import RestoreOutcome, restore_lost
from linkaudit.archive.restore import archived_anchors, match_lost, unrewrite
from linkaudit.model import Citation, CitationKind, Document, DocumentKind, Location
from tests.archive.conftest import FakeClock

ARTICLE = "https://koreapro.example/2023/04/intel-alliance/"
PUBLISHED = datetime(2023, 4, 18, 11, 5, 53, tzinfo=UTC)

# What the scraper kept: every opening tag stripped, closing tags survived.
STRIPPED = (
    "Kim Tae-hyo recently </span>floated the idea</span></a> that Seoul expand it.</span></p>\n"
    "North Korea's </span>missiles and nuclear weapons</span></a> pose a threat.</span></p>\n"
    "</span>Polls</span></a> indicate that many oppose it.</span></p>\n"
    "The minister </span>stated</span></a> that talks would go on.</span></p>\n"
    "Later the president </span>stated</span></a> the opposite in Tokyo.</span></p>\n"
    "See the </span>ministry report</span></a> for details.</span></p>\n"
    "A link </span>nobody archived</span></a> stays lost.</span></p>\n"
)

ARCHIVED = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Intel alliance</title></head>
<body><nav><a href="/">Home</a> <a href="#top">top</a></nav><article>
<p><span>Kim Tae-hyo recently </span><a href="https://news.example/kim-idea">
<span>floated   the idea</span></a><span> that Seoul expand it.</span></p>
<p><span>North Korea&#8217;s </span><a href="https://armscontrol.example/nk"><span>missiles
and nuclear weapons</span></a><span> pose a threat.</span></p>
<p><a href="https://polls.example/2023/04"><span>Polls</span></a> indicate that many oppose it.</p>
<p>Later the president <a href="https://news.example/president-stated">stated</a>
the opposite in Tokyo.</p>
<p>The minister <a href="https://news.example/minister-stated">stated</a>
that talks would go on.</p>
<p>See the <a href="/reports/ministry.pdf">ministry report</a> for details.</p>
</article></body></html>"""


def lost(text: str, context: str, line: int) -> Citation:
    return Citation(
        document="seed.json",
        kind=CitationKind.LOST,
        url_as_written=None,
        url=None,
        key=None,
        text=text,
        context=context,
        location=Location(line, 1),
        element="a",
    )


LOST = [
    lost("floated the idea", "Kim Tae-hyo recently floated the idea that Seoul expand it.", 1),
    lost(
        "missiles and nuclear weapons",
        "North Korea's missiles and nuclear weapons pose a threat.",
        2,
    ),
    lost("Polls", "Polls indicate that many oppose it.", 3),
    lost("stated", "The minister stated that talks would go on.", 4),
    lost("stated", "Later the president stated the opposite in Tokyo.", 5),
    lost("ministry report", "See the ministry report for details.", 6),
    lost("nobody archived", "A link nobody archived stays lost.", 7),
]


def document() -> Document:
    return Document(
        text=STRIPPED,
        kind=DocumentKind.WORDPRESS,
        origin="seed.json",
        base_url=ARTICLE,
        site="https://koreapro.example",
        cited_at=PUBLISHED,
        canonical_url=ARTICLE,
    )


async def test_lost_links_restored_from_archived_article(stand_in, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    stand_in.add_capture(ARTICLE, "20230419020000", body=ARCHIVED)
    options = stand_in.options()
    outcome = await restore_lost(document(), LOST, options, limiter=clock.limiter())
    assert outcome.failure == ""
    restored = outcome.restored
    assert {i: r.url for i, r in restored.items()} == {
        0: "https://news.example/kim-idea",
        1: "https://armscontrol.example/nk",
        2: "https://polls.example/2023/04",
        3: "https://news.example/minister-stated",  # same text, told apart by sentence
        4: "https://news.example/president-stated",
        5: "https://koreapro.example/reports/ministry.pdf",  # relative, resolved
    }
    evidence = f"{stand_in.base_url}/web/20230419020000/{ARTICLE}"
    assert all(r.evidence_url == evidence for r in restored.values())
    assert restored[0].captured_at == datetime(2023, 4, 19, 2, tzinfo=UTC)
    # the page was fetched as original bytes (id_), once
    web = [path for endpoint, path, _ in stand_in.requests if endpoint == "web"]
    assert web == [f"/web/20230419020000id_/{ARTICLE}"]


async def test_a_later_capture_fills_what_the_nearest_lacks(stand_in, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    stripped_copy = "<html><body><p>Kim Tae-hyo recently floated the idea.</p></body></html>"
    stand_in.add_capture(ARTICLE, "20230418120000", body=stripped_copy)
    stand_in.add_capture(ARTICLE, "20230501000000", body=ARCHIVED)
    outcome = await restore_lost(document(), LOST[:1], stand_in.options(), limiter=clock.limiter())
    restored = outcome.restored
    assert restored[0].url == "https://news.example/kim-idea"
    assert "20230501000000" in restored[0].evidence_url


async def test_no_capture_of_the_article_restores_nothing(stand_in, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    outcome = await restore_lost(document(), LOST, stand_in.options(), limiter=clock.limiter())
    assert outcome == RestoreOutcome()  # it ran, and the archive has no copy: nothing to say


async def test_no_article_url_restores_nothing() -> None:
    bare = Document(text=STRIPPED, kind=DocumentKind.HTML, origin="-")
    from linkaudit.archive import ArchiveOptions

    outcome = await restore_lost(bare, LOST, ArchiveOptions())
    assert outcome.restored == {}
    assert outcome.failure == "the article's own URL is unknown, so it has no capture"


async def test_an_unreachable_archive_is_said_and_remembered() -> None:
    """Restoration that could not run says why, and the run's other lookups are
    spared the same wait."""
    from linkaudit.archive import ArchiveOptions, Reachability
    from linkaudit.testing.server import closed_port

    options = ArchiveOptions(wayback_url=f"http://127.0.0.1:{closed_port()}")
    reach = Reachability()
    outcome = await restore_lost(document(), LOST, options, reach=reach)
    assert outcome.restored == {}
    assert outcome.failure.startswith("CDX server unreachable: ConnectError")
    assert reach.is_down("Wayback Machine")
    again = await restore_lost(document(), LOST, options, reach=reach)
    assert again.failure == "the Wayback Machine was unreachable"


def test_rewritten_hrefs_are_unrewritten() -> None:
    host = "web.archive.org"
    assert unrewrite("/web/20230101000000/https://a.example/x", host) == "https://a.example/x"
    assert unrewrite("https://web.archive.org/web/2023im_/http://a.example/i.png", host) == (
        "http://a.example/i.png"
    )
    assert unrewrite("/web/20230101000000/https:/a.example/x", host) == "https://a.example/x"
    # an article that cites some other archive keeps its link
    assert unrewrite("https://other.example/web/2023/https://a/", host) == (
        "https://other.example/web/2023/https://a/"
    )
    body = '<p>see <a href="/web/20230101000000/https://a.example/x">this</a></p>'
    [anchor] = archived_anchors(body, ARTICLE, host)
    assert anchor.href == "https://a.example/x"
    assert anchor.text == "this"


def test_repeated_text_in_equal_contexts_goes_by_order() -> None:
    body = '<p><a href="https://a/1">here</a></p><p><a href="https://a/2">here</a></p>'
    anchors = archived_anchors(body, ARTICLE, None)
    found = match_lost([lost("here", "", 1), lost("here", "", 2)], anchors)
    assert [found[0].href, found[1].href] == ["https://a/1", "https://a/2"]


def test_empty_or_garbage_page_has_no_anchors() -> None:
    assert archived_anchors(b"", ARTICLE, None) == []
    assert archived_anchors(b"\x00\x01 not html", ARTICLE, None) == []
