"""WordPress post objects: valid, listed, and damaged the ways real exports are."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.errors import InputError
from linkaudit.model import DocumentKind
from linkaudit.sources import SourceOptions, load_source, load_stream
from linkaudit.sources.wordpress import plain_title, wordpress_documents


def test_valid_post(fixtures: Path, options: SourceOptions) -> None:
    [doc] = load_source(str(fixtures / "wp_post.json"), options)
    assert doc.kind is DocumentKind.WORDPRESS
    assert doc.title == "Harbour dredging: what it really costs \u2013 and who pays"
    assert doc.base_url == "https://blog.example.test/2022/09/harbour-dredging-costs/"
    assert doc.site == "https://blog.example.test"
    assert doc.cited_at == datetime(2022, 9, 30, 16, 15, tzinfo=UTC)
    assert doc.cited_at_source == "date_gmt"
    assert doc.text.startswith("<p>The port authority&#8217;s <a href=")
    assert '<a href="/2021/05/older-post/">' in doc.text
    assert doc.warnings == ()
    assert doc.whole_page is False


def test_options_override_the_post(fixtures: Path) -> None:
    when = datetime(2020, 1, 2, tzinfo=UTC)
    opts = SourceOptions(base_url="https://mirror.example.test/copy/", cited_at=when)
    [doc] = load_source(str(fixtures / "wp_post.json"), opts)
    assert doc.base_url == "https://mirror.example.test/copy/"
    assert doc.site == "https://mirror.example.test"
    assert doc.canonical_url == "https://blog.example.test/2022/09/harbour-dredging-costs/"
    assert (doc.cited_at, doc.cited_at_source) == (when, "option")


def test_list_of_posts_gives_one_document_each(fixtures: Path, options: SourceOptions) -> None:
    origin = str(fixtures / "wp_list.json")
    docs = load_source(origin, options)
    assert [d.title for d in docs] == ["One", "Two"]
    assert [d.origin for d in docs] == [f"{origin}[0]", f"{origin}[1]"]
    # date_gmt is null in the first post: fall back to date, and say so.
    assert docs[0].cited_at == datetime(2021, 1, 5, 10, 0, tzinfo=UTC)
    assert docs[0].cited_at_source == "date"
    assert any("took date (site local time) as UTC" in w for w in docs[0].warnings)
    assert docs[1].cited_at_source == "date_gmt"
    assert any("skipped 1 list item(s)" in w and "[2]" in w for w in docs[1].warnings)


def test_raw_control_characters(fixtures: Path, options: SourceOptions) -> None:
    [doc] = load_source(str(fixtures / "wp_raw_controls.json"), options)
    assert doc.title == "Raw controls"  # the raw tab is whitespace in a title
    assert doc.text.startswith("\n<p>line one</p>\n<p>line\ttwo")
    [warning] = doc.warnings
    assert "5 raw control characters inside strings (3 newlines, 2 tabs;" in warning
    assert "first at line 1, byte 100)" in warning


def test_truncated_txt_with_multibyte_text(fixtures: Path, options: SourceOptions) -> None:
    path = fixtures / "wp_truncated.txt"
    [doc] = load_source(str(path), options)
    assert doc.title == "Cut short \u2014 caf\u00e9"
    assert doc.text.endswith('<a href="https://x.example.test/a">link</a> and then the fi')
    [warning] = doc.warnings
    size = len(path.read_bytes())
    assert warning == (
        f"truncated: input ends inside the string content.rendered at line 1, byte {size}; "
        "the article body may be incomplete and closing keys are missing"
    )


def test_truncated_before_the_body_is_an_input_error(options: SourceOptions) -> None:
    data = b'{"id": 1, "link": "https://a.example.test/", "title": {"rendered": "Cut'
    with pytest.raises(InputError, match=r"^<stdin>: JSON is not a WordPress post"):
        load_stream(io.BytesIO(data), "<stdin>", options)


def test_json_that_is_not_a_post(tmp_path: Path, options: SourceOptions) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"name": "x", "version": 2}')
    with pytest.raises(InputError, match="JSON is not a WordPress post"):
        load_source(str(path), options)


def test_damage_after_the_body_is_read_past_and_named(
    tmp_path: Path, options: SourceOptions
) -> None:
    path = tmp_path / "post.json"
    path.write_text('{"content": {"rendered": "<p>x</p>"}\n "link" ]')
    (document,) = load_source(str(path), options)
    assert document.text == "<p>x</p>"
    damaged = [w for w in document.warnings if w.startswith("damaged JSON")]
    assert len(damaged) == 1
    assert "line 2, byte 45" in damaged[0]
    assert "nothing after it could be read" in damaged[0]


def test_unrecoverable_json_names_the_position(tmp_path: Path, options: SourceOptions) -> None:
    path = tmp_path / "post.json"
    path.write_text('\n ]{"content": {"rendered": "<p>x</p>"}}')
    with pytest.raises(InputError) as info:
        load_source(str(path), options)
    message = str(info.value)
    assert message.startswith(f"{path}: malformed JSON that cannot be recovered: ")
    assert "line 2, byte 2" in message
    assert "\n" not in message


def test_empty_list(tmp_path: Path, options: SourceOptions) -> None:
    path = tmp_path / "posts.json"
    path.write_text("[]")
    with pytest.raises(InputError, match="holds no WordPress post"):
        load_source(str(path), options)


def test_content_raw_and_protected_posts(options: SourceOptions) -> None:
    text = '{"content": {"raw": "<p>src</p>", "protected": true}, "title": "Plain"}'
    [doc] = wordpress_documents(text, origin="x.json", options=options)
    assert doc.text == "<p>src</p>"
    assert doc.title == "Plain"
    assert doc.base_url is None
    assert doc.site is None
    assert doc.cited_at is None
    assert any("content.raw" in w for w in doc.warnings)
    assert any("password-protected" in w for w in doc.warnings)


def test_plain_title() -> None:
    assert plain_title("A &amp; B <em>now</em> &#8220;x&#8221;") == "A & B now \u201cx\u201d"
    assert plain_title("  ") is None
    assert plain_title(None) is None


def test_damaged_bytes_never_raise_anything_but_input_error(
    seed_path: Path, fixtures: Path, options: SourceOptions
) -> None:
    """Cut, flip and splice real exports at random: a Document or an InputError, nothing else."""
    rng = random.Random(20230418)
    originals = [seed_path.read_bytes(), (fixtures / "wp_post.json").read_bytes()]
    outcomes = {"documents": 0, "input_error": 0}
    messages: list[str] = []
    for _ in range(300):
        data = bytearray(rng.choice(originals))
        operation = rng.randrange(4)
        if operation == 0:
            data = data[: rng.randrange(len(data))]
        elif operation == 1:
            for _ in range(rng.randrange(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif operation == 2:
            start = rng.randrange(len(data))
            del data[start : start + rng.randrange(1, 200)]
        else:
            position = rng.randrange(len(data))
            data[position:position] = bytes(rng.randrange(256) for _ in range(20))
        try:
            docs = load_stream(io.BytesIO(bytes(data)), "<fuzz>", options)
        except InputError as exc:
            messages.append(str(exc))
            outcomes["input_error"] += 1
        else:
            assert docs
            outcomes["documents"] += 1
    assert outcomes["documents"] > 100
    assert outcomes["input_error"] > 0
    assert all("\n" not in message for message in messages)
