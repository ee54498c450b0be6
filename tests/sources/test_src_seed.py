"""The seed: a truncated WordPress export with raw newlines, saved as .txt."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from linkaudit.model import DocumentKind
from linkaudit.sources import SourceOptions, load_source

TITLE = "Despite improved ROK-Japan ties, an intel alliance remains a step too far"
LINK = (
    "https://koreapro.org/2023/04/"
    "despite-improved-rok-japan-ties-an-intel-alliance-remains-a-step-too-far/"
)


def test_seed_metadata(seed_path: Path, options: SourceOptions) -> None:
    [doc] = load_source(str(seed_path), options)
    assert doc.kind is DocumentKind.WORDPRESS
    assert doc.origin == str(seed_path)
    assert doc.title == TITLE
    assert doc.cited_at == datetime(2023, 4, 18, 11, 5, 53, tzinfo=UTC)
    assert doc.cited_at_source == "date_gmt"
    assert doc.base_url == LINK
    assert doc.canonical_url == LINK
    assert doc.site == "https://koreapro.org"
    assert doc.whole_page is False


def test_seed_warnings_say_what_and_where(seed_path: Path, options: SourceOptions) -> None:
    [doc] = load_source(str(seed_path), options)
    data = seed_path.read_bytes()
    first_raw_newline = data.index(b"\n")
    controls = [w for w in doc.warnings if "raw control character" in w]
    truncated = [w for w in doc.warnings if w.startswith("truncated:")]
    assert len(controls) == 1
    assert len(truncated) == 1
    raw_count = sum(1 for byte in data if byte < 0x20)
    assert re.search(rf"\b{raw_count} raw control character", controls[0])
    assert f"byte {first_raw_newline}" in controls[0]
    assert "inside the string content.rendered" in truncated[0]
    assert f"byte {len(data)}" in truncated[0]
    last_line = data.count(b"\n") + 1
    assert f"line {last_line}, byte {len(data)}" in truncated[0]
    assert "article body may be incomplete" in truncated[0]


def test_seed_body_runs_to_the_end_of_the_file(seed_path: Path, options: SourceOptions) -> None:
    [doc] = load_source(str(seed_path), options)
    assert "floated the idea" in doc.text
    assert doc.text.startswith("\nROK principal deputy national security adviser")
    # The last bytes of the file are `...provocations.<\/span><\/p>\n` (escaped).
    tail = seed_path.read_bytes().decode("utf-8")[-60:]
    unescaped_tail = tail.replace("<\\/", "</").replace("\\n", "\n")
    assert doc.text.endswith(unescaped_tail)
    assert doc.text.endswith("possible military provocations.</span></p>\n")
    # JSON escapes were decoded; the stripped opening tags stay stripped.
    assert "\\u201c" not in doc.text
    assert "\u201calliance\u201d" in doc.text
    assert doc.text.count("</a>") == 10
    assert "<a " not in doc.text
