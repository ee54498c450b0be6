"""WordPress exports damaged in the middle are read as far as they go and past the
damage: a stray byte, a deleted quote, a spliced fragment, a wrong type."""

from __future__ import annotations

import json

import pytest

from linkaudit.extract import extract
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.wordpress import wordpress_documents


def post(n: int, links: int = 3) -> dict[str, object]:
    body = "".join(
        f'<p>Claim {k}: <a href="https://src{n}.example/{k}">source {k}</a>.</p>'
        for k in range(links)
    )
    return {
        "id": n,
        "date_gmt": "2023-04-18T02:05:53",
        "link": f"https://news.example/{n}/",
        "title": {"rendered": f"Story {n}"},
        "content": {"rendered": body, "protected": False},
        "excerpt": {"rendered": "", "protected": False},
    }


def rest(value: object) -> str:
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def urls(text: str) -> set[str]:
    documents = wordpress_documents(text, origin="x.json", options=SourceOptions())
    return {c.url or "" for d in documents for c in extract(d)}


def warnings(text: str) -> list[str]:
    documents = wordpress_documents(text, origin="x.json", options=SourceOptions())
    return [w for w in documents[0].warnings if w.startswith("damaged JSON")]


def test_a_deleted_quote_in_the_title_loses_the_title_not_the_body() -> None:
    text = rest(post(1))
    at = text.index('"Story 1"')
    damaged = text[:at] + text[at + 1 :]  # "title":{"rendered":Story 1"}...
    assert urls(damaged) == urls(text)
    (said,) = warnings(damaged)
    assert "(in the field 'rendered')" in said
    assert "resumed at key 'content'" in said
    assert "byte" in said
    assert "line 1" in said


def test_a_stray_bracket_between_fields_is_read_past() -> None:
    text = rest(post(2))
    at = text.index(',"content"')
    damaged = text[:at] + "]" + text[at:]
    assert urls(damaged) == urls(text)
    assert "skipped 1 characters" in warnings(damaged)[0]


def test_a_broken_post_of_a_list_costs_only_what_it_broke() -> None:
    text = rest([post(1), post(2), post(3)])
    at = text.index('"title":{"rendered":"Story 2"')
    damaged = text[:at] + text[at + 30 :]  # a chunk of the second post cut out
    got = urls(damaged)
    assert urls(rest([post(1), post(3)])) <= got


@pytest.mark.parametrize(
    "replacement", ["42", "[1,2]", '"plain <a href=\\"https://p.example\\">p</a>"']
)
def test_a_wrong_type_is_not_a_refusal(replacement: str) -> None:
    text = rest(post(4)).replace('"title":{"rendered":"Story 4"}', f'"title":{replacement}')
    assert urls(text) == urls(rest(post(4)))
    as_text = rest({**post(5), "content": "<p><a href='https://t.example/'>t</a></p>"})
    assert urls(as_text) == {"https://t.example/"}


def test_damage_before_any_post_is_still_an_error() -> None:
    from linkaudit.errors import InputError

    with pytest.raises(InputError, match="cannot be recovered"):
        wordpress_documents("]" + rest(post(1)), origin="x.json", options=SourceOptions())


def test_mutated_exports_of_real_articles_keep_what_survives() -> None:
    """The benchmark's corpus, smaller: every file holding citations before its damage
    is read, and nearly all of those citations come back."""
    from benchmarks import wp_salvage

    if not wp_salvage.CORPUS.is_dir():
        pytest.skip("the shared Readability corpus is not beside the checkout")
    recoverable = recovered = refused = 0
    for case in wp_salvage.cases(60, seed=11):
        cut = wp_salvage.citations(case.original[: case.at]) or set()
        if not cut:
            continue
        found = wp_salvage.citations(case.text)
        refused += found is None
        recoverable += len(cut)
        recovered += len(cut & (found or set()))
    assert recoverable > 500
    assert refused == 0
    assert recovered / recoverable >= 0.98
