"""One markdown-it configuration: extraction and ``fix`` parse Markdown the same way.

``fix`` finds repair offsets by parsing the source itself; if its parser saw
other links than the extractor's, a repair would land on the wrong text.
"""

from __future__ import annotations

from typing import Any

from linkaudit.extract import markdown as extract_markdown
from linkaudit.extract.markdown_parser import markdown_parser
from linkaudit.fix import markdown as fix_markdown

SAMPLE = """\
# Heading [h](https://h.example/x)

Inline [link](HTTP://Example.COM/a%20b/ü?q=1#f), [script](javascript:alert(1)),
an image ![alt *text*](/img/a.png "title") and <https://auto.example/x>.
A reference [use][def], a collapsed one [def][] and a bare https://bare.example/y.
Escaped \\[not a link](x) and `code [c](https://code.example)`.

[def]: <https://def.example/with space> 'Title'

| a | b |
|---|---|
| [cell](https://cell.example/) | <a href="/raw">raw</a> |

<div>
<a href="https://block.example/">block</a>
</div>

- item [one](../one.md#part)
  > quoted [two](two "t")
"""


def _tokens(md: Any, text: str) -> list[dict[str, Any]]:
    return [token.as_dict() for token in md.parse(text, {})]


def _fix_parser() -> Any:
    return fix_markdown._parser(fix_markdown._Recorder())


def test_extraction_and_fix_take_their_parser_from_the_one_factory() -> None:
    shared = type(markdown_parser())
    assert type(extract_markdown._parser()) is shared
    assert type(_fix_parser()) is shared


def test_fix_adds_hooks_but_no_configuration_of_its_own() -> None:
    extraction, fix = extract_markdown._parser(), _fix_parser()
    assert fix.options == extraction.options
    assert fix.get_active_rules() == extraction.get_active_rules()


def test_fix_hooks_do_not_reach_the_extraction_parser() -> None:
    assert markdown_parser() is not markdown_parser()
    before = [rule.fn for rule in extract_markdown._parser().inline.ruler.__rules__]
    _fix_parser()
    after = [rule.fn for rule in extract_markdown._parser().inline.ruler.__rules__]
    assert after == before


def test_extraction_and_fix_see_the_same_token_stream() -> None:
    assert _tokens(_fix_parser(), SAMPLE) == _tokens(extract_markdown._parser(), SAMPLE)


def test_links_are_kept_as_written_tables_and_html_on_linkify_off() -> None:
    md = markdown_parser()
    tokens = md.parse(SAMPLE)
    children = [child for token in tokens if token.children for child in token.children]
    hrefs = [child.attrGet("href") for child in children if child.type == "link_open"]
    assert "HTTP://Example.COM/a%20b/ü?q=1#f" in hrefs  # not normalised
    assert "javascript:alert(1)" in hrefs  # not dropped by validation
    assert "https://bare.example/y" not in hrefs  # no linkify
    assert any(token.type == "table_open" for token in tokens)
    assert any(token.type == "html_block" for token in tokens)
    assert any(child.type == "html_inline" for child in children)
