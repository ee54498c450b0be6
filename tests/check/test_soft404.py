"""Visible text, likeness and "not found" cues (pure: no network)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from linkaudit.check import soft404
from linkaudit.check.quirks import has_anchor
from linkaudit.testing.scaling import assert_linear

DATA = Path(__file__).parent / "data_classify"


def load(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_visible_text_drops_what_readers_do_not_see() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>var secret = 'no';</script><noscript>Enable JS</noscript>"
        "<template><p>hidden template</p></template><!-- a comment -->"
        "<p>Hello,\n\n   <b>world</b></p><p>again</p></body></html>"
    )
    assert soft404.visible_text(html) == "Hello, world again"


def test_visible_text_is_bounded() -> None:
    html = "<p>" + "word " * 100_000 + "</p>"
    assert len(soft404.visible_text(html)) == soft404.MAX_TEXT
    assert len(soft404.visible_text(html, limit=100)) == 100


def test_visible_text_of_empty_body() -> None:
    assert soft404.visible_text("") == ""
    assert soft404.visible_text("   \n") == ""


def test_title_and_heading() -> None:
    assert soft404.title_and_heading(load("wp_404_target.html")) == (
        "Page not found – Field Notes",
        "Nothing here",
    )
    assert soft404.title_and_heading("<p>no title</p>") == ("", "")


def test_similarity_of_two_not_found_pages_is_high() -> None:
    a = soft404.visible_text(load("wp_404_target.html"))
    b = soft404.visible_text(load("wp_404_probe.html"))
    assert soft404.similarity(a, b) >= 0.95


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("wp_article.html", "wp_404_probe.html", id="article-vs-not-found"),
        pytest.param("wp_article.html", "wp_article2.html", id="two-articles-same-site"),
        pytest.param("wp_search.html", "wp_404_probe.html", id="search-vs-not-found"),
    ],
)
def test_similarity_of_different_pages_on_one_site_is_low(a: str, b: str) -> None:
    score = soft404.similarity(soft404.visible_text(load(a)), soft404.visible_text(load(b)))
    assert score < 0.5


def test_similarity_edges() -> None:
    assert soft404.similarity("", "") == 1.0
    assert soft404.similarity("some text here", "") == 0.0
    assert soft404.similarity("one two", "one two") == 1.0
    assert soft404.similarity("alpha beta gamma delta", "alpha beta gamma delta") == 1.0
    assert 0.0 < soft404.similarity("a b c d e f", "a b c d e g") < 1.0


def test_similarity_scales_linearly_on_large_pages() -> None:
    def make(n: int) -> Callable[[], object]:
        words = [f"w{i % 997}x{i % 13}" for i in range(n)]  # 120,000 words: ~1 MB of text
        a, b = " ".join(words), " ".join(reversed(words))
        return lambda: soft404.similarity(a, b)

    assert_linear(make, 15_000)


def test_visible_text_scales_linearly_to_512kb() -> None:
    def make(n: int) -> Callable[[], object]:
        html = "<html><body>" + "<p>Lorem ipsum dolor sit amet, consectetur.</p>" * n
        return lambda: soft404.visible_text(html)

    assert_linear(make, 1_400)  # 8 times that is 11,200 paragraphs, > 500 kB


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Page not found – Field Notes", ""),
        ("", "Oops! That page can’t be found."),
        ("404 Not Found", ""),
        ("Error 404", ""),
        ("Page introuvable", ""),
        ("", "Cette page n’existe pas"),
        ("Seite nicht gefunden", ""),
        ("Página no encontrada", ""),
        ("Pagina non trovata", ""),
        ("Página não encontrada", ""),
        ("Pagina niet gevonden", ""),
        ("ページが見つかりません", ""),
        ("页面不存在", ""),
        ("Страница не найдена", ""),
        ("Sidan kunde inte hittas", ""),
        ("Sayfa bulunamadı", ""),
        ("", "The page you requested does not exist"),
        ("", "Sorry, this article is no longer available"),
    ],
)
def test_not_found_cues(title: str, heading: str) -> None:
    assert soft404.not_found_cues(title, heading) is True


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Error Correction in Quantum Codes", "Error Correction in Quantum Codes"),
        ("Counting swifts over the old mill", ""),
        ("", "Errors and omissions in the 2019 report"),
        ("Found: the lost notebooks of a naturalist", ""),
        ("Route 4040 closures", ""),
        ("", ""),
    ],
)
def test_no_not_found_cues(title: str, heading: str) -> None:
    assert soft404.not_found_cues(title, heading) is False


def test_visible_text_skips_svg_and_comments_and_keeps_tails() -> None:
    html = (
        "<body><p>Bird<!-- counted twice? -->s over <svg><text>logo</text></svg>"
        "the mill<script>track()</script> tonight</p></body>"
    )
    assert soft404.visible_text(html) == "Birds over the mill tonight"


def test_visible_text_leaves_the_shared_tree_intact() -> None:
    # Parsed trees are cached and shared with has_anchor: reading text must not prune them.
    html = '<html><body><svg><g id="logo"></g></svg><p>Text</p></body></html>'
    assert soft404.visible_text(html) == "Text"
    assert has_anchor(html, "logo") is True


def test_path_words() -> None:
    words = soft404.path_words("https://x.example/2019/07/Counting-Swifts/?q=caf%C3%A9")
    assert {"2019", "07", "counting", "swifts", "q", "café"} <= words
    assert "x" not in words  # the host is not echoed by templates


def test_echoed_path_does_not_hide_a_soft_404() -> None:
    template = load("wp_404_probe.html")
    a = template.replace("at this location", "at /2019/07/counting-swifts/")
    b = template.replace("at this location", "at /2019/07/linkaudit-probe-7f3a9c2e/")
    ignore = soft404.path_words(
        "https://fieldnotes.example.org/2019/07/counting-swifts/",
        "https://fieldnotes.example.org/2019/07/linkaudit-probe-7f3a9c2e/",
    )
    ta, tb = soft404.visible_text(a), soft404.visible_text(b)
    assert soft404.similarity(ta, tb) < soft404.similarity(ta, tb, ignore=ignore) == 1.0


def test_tokens_read_a_prefix_without_cutting_a_word() -> None:
    long_word = "a" * 300
    assert soft404.tokens(f"{long_word} Bb", 3) == [long_word, "bb"]
    text = " ".join(f"w{n}" for n in range(5000))
    assert soft404.tokens(text, 2000) == [f"w{n}" for n in range(2000)]
    assert soft404.tokens(text, 3, ignore={"w1"}) == ["w0", "w2", "w3"]


def test_not_found_cues_remember_short_texts_and_ask_long_ones_anew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    searched: list[str] = []
    cues = soft404._CUES

    class Counting:
        def search(self, text: str) -> object:
            searched.append(text)
            return cues.search(text)

    monkeypatch.setattr(soft404, "_CUES", Counting())
    soft404._says_not_found_remembered.cache_clear()
    title, heading = "Page Not Found – a remembered title", "Tides of the Wadden Sea"
    long_title = "Not found " + "word " * 100
    answers = [soft404.not_found_cues(title, heading) for _ in range(3)]
    answers += [soft404.not_found_cues(long_title, "") for _ in range(2)]
    assert answers == [True, True, True, True, True]
    # each short text searched once (the title's cue ends the first call's search)
    assert searched == ["page not found – a remembered title", *[long_title.casefold()] * 2]
    assert soft404.not_found_cues("Tides of the Wadden Sea", "") is False
    assert len(searched) == 4
