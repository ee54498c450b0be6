"""``linkaudit.urls``: browser-like resolution, the de-dup key, and the pre-request verdicts."""

from __future__ import annotations

import urllib.parse

import pytest

from linkaudit import urls as urls_module
from linkaudit.model import Verdict
from linkaudit.urls import defragment, is_internal, normalize, origin, precheck, resolve

BASE = "https://news.example.org/2024/05/story.html"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://fetch.spec.whatwg.org", "https://fetch.spec.whatwg.org/"),
        ("/about", "https://news.example.org/about"),
        ("other.html", "https://news.example.org/2024/05/other.html"),
        ("../../x/./y", "https://news.example.org/x/y"),
        ("//cdn.example.net/a.js", "https://cdn.example.net/a.js"),
        ("#section-2", "https://news.example.org/2024/05/story.html#section-2"),
        ("?page=2", "https://news.example.org/2024/05/story.html?page=2"),
        ("", "https://news.example.org/2024/05/story.html"),
        ("  https://a.example/\n  b\t c  ", "https://a.example/%20%20b%20c"),
        ("https:\\\\a.example\\p\\q?x=\\", "https://a.example/p/q?x=\\"),
        ("/a path/ü", "https://news.example.org/a%20path/%C3%BC"),
        ("HTTPS://A.Example:443/X", "https://a.example/X"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
        ("mailto:Someone@Example.org", "mailto:Someone@Example.org"),
        ("JavaScript:void(0)", "javascript:void(0)"),
    ],
)
def test_resolve_like_a_browser(href: str, expected: str) -> None:
    assert resolve(href, BASE) == expected


def test_resolve_without_base_keeps_relative() -> None:
    assert resolve("/about", None) == "/about"
    assert resolve("https://a.example", None) == "https://a.example/"


def test_resolve_never_raises_on_garbage() -> None:
    for href in ["http://[::1", "http://a:99999999/", "http:///x", "\x00", "%", "\ud800"]:
        assert isinstance(resolve(href, BASE), str)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com/%7euser", "http://example.com/~user"),
        ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
        ("http://example.com/a b", "http://example.com/a%20b"),
        ("http://example.com/ü", "http://example.com/%C3%BC"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/x#", "http://example.com/x"),
        ("http://münchen.example/", "http://xn--mnchen-3ya.example/"),
        ("http://example.com/100%", "http://example.com/100%25"),
    ],
)
def test_normalize_gives_one_key_per_resource(a: str, b: str) -> None:
    assert normalize(a) == normalize(b) == b


def test_normalize_keeps_fragment_and_distinguishes_ports() -> None:
    assert normalize("http://example.com/p#Top") == "http://example.com/p#Top"
    assert normalize("http://example.com:8080/") != normalize("http://example.com/")
    assert normalize("mailto:x@example.com") == "mailto:x@example.com"


def test_defragment() -> None:
    assert defragment("https://a.example/p#sec%20two") == ("https://a.example/p", "sec two")
    assert defragment("https://a.example/p#") == ("https://a.example/p", None)
    assert defragment("https://a.example/p") == ("https://a.example/p", None)


def test_origin() -> None:
    assert origin("HTTPS://A.example:443/x?y#z") == "https://a.example"
    assert origin("http://a.example:8080/x") == "http://a.example:8080"


@pytest.mark.parametrize(
    ("url", "site", "internal"),
    [
        ("https://www.example.org/x", "https://example.org", True),
        ("http://example.org/x", "https://www.example.org/", True),
        ("https://blog.example.org/x", "https://example.org", False),
        ("https://example.org.evil.test/", "https://example.org", False),
        ("https://other.test/", None, False),
        ("mailto:a@example.org", "https://example.org", False),
    ],
)
def test_is_internal(url: str, site: str | None, internal: bool) -> None:
    assert is_internal(url, site) is internal


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("mailto:a@example.org", "scheme_mailto"),
        ("tel:+123", "scheme_tel"),
        ("javascript:void(0)", "scheme_javascript"),
        ("data:image/png;base64,AAAA", "scheme_data"),
        ("ftp://ftp.example.org/f", "scheme_ftp"),
        ("about:blank", "scheme_about"),
    ],
)
def test_precheck_skips_other_schemes(written: str, reason: str) -> None:
    decided = precheck(written, resolve(written, BASE))
    assert decided is not None
    assert decided[:2] == (Verdict.SKIPPED, reason)


@pytest.mark.parametrize(
    "written",
    [
        "http://exa mple.com",
        "http:///x",
        "http://",
        "https://:80/",
        "http://example.com:99999/",
        "http://example.com:8o/",
        "http://[::1/",
        "http://[zz::1]/",
        "http://exa\x01mple.com/",
        "http://a/b\x7fc",
    ],
)
def test_precheck_invalid(written: str) -> None:
    decided = precheck(written, resolve(written, BASE))
    assert decided is not None, written
    verdict, reason, detail = decided
    assert (verdict, reason) == (Verdict.INVALID, "invalid_url")
    assert detail


@pytest.mark.parametrize(
    "written",
    ["https://example.org/a b", "/relative", "http://[::1]:8080/", "http://user@h.example/"],
)
def test_precheck_lets_checkable_urls_through(written: str) -> None:
    assert precheck(written, resolve(written, BASE)) is None


def test_precheck_relative_without_base() -> None:
    decided = precheck("/x", resolve("/x", None))
    assert decided is not None
    assert decided[:2] == (Verdict.SKIPPED, "relative_no_base")


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example",
        "https://a.example?q=1",
        "https://a.example#top",
        "https://a.example/p/q?x=1&y=%2f#frag",
        "https://a.example/a/../b",
        "https://a.example/%7e/%41",
        "https://a.example/p#",
        "https://a.example/p?",
        "http://a-b.c-d.example/x_(y)!$;=:@~",
        "https://a.example/q?u=http://b.example/&v=[1]",
        "https://a.example/it's#it's",
    ],
)
def test_fast_paths_agree_with_the_full_parser(url: str) -> None:
    """Leading whitespace forces the slow path; both must give the same answers."""
    slow = " " + url
    assert resolve(url, BASE) == resolve(slow, BASE)
    assert normalize(url) == normalize(slow)
    assert precheck(url, resolve(url, BASE)) == precheck(slow, resolve(slow, BASE))


@pytest.mark.parametrize("href", ["/a/b?c=d#e", "/a/../b", "/%7e", "/a b", "/ü", "/"])
@pytest.mark.parametrize(
    "base", [BASE, "https://h.example", "https://h.example?x#y", "HTTP://H.example/"]
)
def test_root_relative_fast_path_agrees(href: str, base: str) -> None:
    assert resolve(href, base) == resolve(" " + href, base)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.org",
        "https://example.org?x",
        "https://example.org#f",
        "https://wwwexample.org/",
    ],
)
def test_is_internal_fast_path_agrees(url: str) -> None:
    assert is_internal(url, "https://example.org") == is_internal(" " + url, "https://example.org")


def test_split_url_remembers_thousands_of_urls_and_not_long_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    split: list[str] = []

    def counting(url: str) -> urllib.parse.SplitResult:
        split.append(url)
        return urllib.parse.urlsplit(url)

    monkeypatch.setattr(urls_module, "urlsplit", counting)
    urls_module._split_remembered.cache_clear()
    many = [f"https://host{i % 50}.example/{i}/page?x={i}" for i in range(3000)]
    first = [urls_module.split_url(url) for url in many]
    again = [urls_module.split_url(url) for url in reversed(many)]
    assert first == [urllib.parse.urlsplit(url) for url in many]
    assert again == first[::-1]
    assert len(split) == 3000  # each split once, though far more than urlsplit's 128
    long_url = "https://example.org/" + "a" * 3000
    assert urls_module.split_url(long_url) == urls_module.split_url(long_url)
    assert len(split) == 3002  # a very long URL is not kept
