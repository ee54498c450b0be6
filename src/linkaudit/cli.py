"""The command line: parses options and calls the library.  Nothing else lives here.

Each command is a small function; errors from the library (``LinkauditError``)
become one line on stderr (``linkaudit: error: ...``) and their exit code.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from linkaudit import __version__
from linkaudit.errors import LinkauditError
from linkaudit.extract import extract
from linkaudit.model import Citation, Document, Relation, Scope, Verdict
from linkaudit.serialize import SCHEMA_VERSION, to_jsonable
from linkaudit.sources import DEFAULT_MAX_BYTES, SourceOptions, load_source
from linkaudit.sources.base import parse_date

P = ParamSpec("P")
R = TypeVar("R")


def _fail(message: str, code: int) -> None:
    click.echo(f"linkaudit: error: {message}", err=True)
    sys.exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into a one-line message and a non-zero exit, never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LinkauditError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        raise AssertionError("unreachable")

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="linkaudit")
def main() -> None:
    """Audit the citations and links of articles: extract, check, archive, report."""


# Commands are added below, one function each.


# --- extract -------------------------------------------------------------------


def _cited_at_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    """``--cited-at``: ``2023-04-18`` or full ISO 8601 (UTC when no zone); else a usage error."""
    if value is None:
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD or ISO 8601)")
    return parsed


_TEXT_WIDTH = 48


def _shorten(text: str, width: int = _TEXT_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _citation_row(citation: Citation) -> str:
    """One table row: where, what (a precomputed verdict, else the kind), the URL, the text."""
    where = f"{citation.location.line}:{citation.location.column}"
    what = citation.verdict.value if citation.verdict is not None else citation.kind.value
    if citation.relation is Relation.INTERNAL:
        what += " (int)"
    url = citation.url_as_written if citation.url_as_written is not None else "-"
    return f"  {where:>9}  {what:<15} {url}  {_shorten(citation.text)}".rstrip()


def _summary(document: Document, citations: list[Citation]) -> str:
    """One line per document, counting what ``check`` would do with its citations."""
    outbound = sum(1 for c in citations if c.needs_check and c.relation is Relation.OUTBOUND)
    internal = sum(1 for c in citations if c.relation is Relation.INTERNAL)
    by_verdict = Counter(c.verdict.value for c in citations if c.verdict is not None)
    parts = [f"{outbound} outbound", f"{internal} internal"]
    parts += [f"{by_verdict[v.value]} {v.value}" for v in Verdict if by_verdict[v.value]]
    noun = "citation" if len(citations) == 1 else "citations"
    return f"{document.origin}: {len(citations)} {noun}: " + ", ".join(parts)


def _document_json(document: Document, citations: list[Citation]) -> dict[str, object]:
    fields = to_jsonable(document)
    assert isinstance(fields, dict)
    fields.pop("text", None)
    return {"document": fields, "citations": to_jsonable(citations)}


@main.command("extract")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Table for people, JSON for programs.",
)
@click.option("--base-url", metavar="URL", help="Resolve relative links against URL.")
@click.option(
    "--cited-at",
    metavar="DATE",
    callback=_cited_at_option,
    help="When the sources were cited (overrides the document's own date).",
)
@click.option(
    "--scope",
    type=click.Choice([scope.value for scope in Scope]),
    default=Scope.ARTICLE.value,
    show_default=True,
    help="For web pages: the article body only, or the whole page.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Refuse inputs larger than this.",
)
@handles_errors
def extract_command(
    sources: tuple[str, ...],
    output_format: str,
    base_url: str | None,
    cited_at: datetime | None,
    scope: str,
    max_bytes: int,
) -> None:
    """List the citations of each SOURCE (file, URL, or - for stdin) without checking them."""
    options = SourceOptions(base_url=base_url, cited_at=cited_at, max_bytes=max_bytes)
    results: list[tuple[Document, list[Citation]]] = []
    for spec in sources:
        documents = load_source(spec, options)
        shown: set[str] = set()
        for document in documents:
            for warning in document.warnings:
                if warning not in shown:  # a WP list shares its parse warnings
                    shown.add(warning)
                    click.echo(f"linkaudit: warning: {document.origin}: {warning}", err=True)
            results.append((document, extract(document, scope=Scope(scope))))
    if output_format == "json":
        payload = {
            "schema_version": SCHEMA_VERSION,
            "documents": [_document_json(doc, cites) for doc, cites in results],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for document, citations in results:
        title = f" {document.title!r}" if document.title else ""
        click.echo(f"{document.origin} ({document.kind.value}){title}")
        for citation in citations:
            click.echo(_citation_row(citation))
        click.echo(_summary(document, citations))
