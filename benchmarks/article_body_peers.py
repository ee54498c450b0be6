"""Run the article-extraction libraries on the article-body set; write their output as JSON.

The libraries live in their own virtual environment (``benchmarks/.peers/article-body``,
created on first use, never the project's), so this file imports nothing from
linkaudit: ``python -m benchmarks.article_body_peers`` installs them and re-runs
itself there.  Output: ``{tool: {page name: HTML holding the links the tool kept}}``,
which ``python -m benchmarks.article_body --peers FILE`` scores like linkaudit.

* ``readability-lxml``: ``Document(html).summary(html_partial=True)``.
* ``trafilatura``: ``extract(..., output_format="html", include_links=True,
  favor_recall=True, include_tables=True)`` (its most link-preserving settings).
* ``justext``: the links inside the paragraphs jusText classifies as good (its
  ``xpath`` of each paragraph, looked up in the page), with the stop list of the
  page's declared language (English when it has none jusText knows).
"""

from __future__ import annotations

import argparse
import html as html_module
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV = HERE / ".peers" / "article-body"
ARCHIVE = HERE / "data" / "article_body" / "pages.tar.xz"
FAKEHOST = "http://fakehost/test/page.html"
SPECS = ("readability-lxml==0.9", "trafilatura==2.3.1", "justext==3.0.2")
BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)


def pages(archive: Path) -> list[tuple[str, str, str]]:
    """(name as article_body.py names it, URL, HTML) of every page."""
    with tarfile.open(archive, "r:xz") as tar:
        files = {}
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            if extracted is not None:
                files[member.name] = extracted.read()
    out = []
    for source, short in (("scrapinghub", 12), ("wcxb", 4)):
        truth = json.loads(files[f"{source}/ground-truth.json"])
        out += [
            (f"{source}/{key[:short]}", item["url"], files[f"{source}/{key}.html"].decode())
            for key, item in truth.items()
        ]
    for name, data in files.items():
        if name.startswith("readability/") and name.endswith("/source.html"):
            out.append((name.rsplit("/", 1)[0], FAKEHOST, data.decode("utf-8", "replace")))
    return sorted(out)


def run_readability(html: str, url: str) -> str:
    from readability import Document

    return str(Document(html, url=url).summary(html_partial=True))


def run_trafilatura(html: str, url: str) -> str:
    import trafilatura

    out = trafilatura.extract(
        html,
        url=url,
        output_format="html",
        include_links=True,
        include_tables=True,
        include_images=False,
        include_comments=False,
        favor_recall=True,
    )
    return out or ""


def _stoplist(root: Any) -> frozenset[str]:
    import justext

    names = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian"}
    names |= {"pt": "Portuguese", "ru": "Russian", "nl": "Dutch", "id": "Indonesian"}
    lang = (root.get("lang") or "en").split("-")[0].lower()
    name = names.get(lang, "English")
    return frozenset(justext.get_stoplist(name))


def run_justext(html: str, url: str) -> str:
    import justext
    import lxml.html

    root = lxml.html.document_fromstring(html)
    paragraphs = justext.justext(html.encode("utf-8"), _stoplist(root), encoding="utf-8")
    anchors = []
    for paragraph in paragraphs:
        if paragraph.is_boilerplate:
            continue
        found = root.xpath(paragraph.xpath)
        for block in found[:1]:
            for a in block.iter("a"):
                nearest = next((p for p in a.iterancestors() if p.tag in BLOCKS), None)
                if nearest is block and a.get("href") is not None:
                    href = html_module.escape(a.get("href"), quote=True)
                    anchors.append(f'<a href="{href}">{html_module.escape(a.text_content())}</a>')
    return "<div>" + "\n".join(anchors) + "</div>"


TOOLS = {
    "readability-lxml": run_readability,
    "trafilatura": run_trafilatura,
    "justext": run_justext,
}


def collect(archive: Path) -> dict[str, Any]:
    results: dict[str, dict[str, str]] = {tool: {} for tool in TOOLS}
    seconds: dict[str, float] = dict.fromkeys(TOOLS, 0.0)
    for name, url, html in pages(archive):
        for tool, function in TOOLS.items():
            started = time.process_time()
            try:
                results[tool][name] = function(html, url)
            except Exception as exc:  # a library failing on a page finds nothing there
                print(f"{tool} failed on {name}: {exc!r}", file=sys.stderr)
                results[tool][name] = ""
            seconds[tool] += time.process_time() - started
    for tool, spent in seconds.items():
        print(f"{tool}: {spent:.1f} s CPU", file=sys.stderr)
    return results


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True
        )
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *SPECS], check=True)
    return python


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("readability-lxml", "trafilatura", "justext")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "article_body_peers.json")
    parser.add_argument("--here", action="store_true", help="run in this interpreter")
    args = parser.parse_args()
    if not args.here:
        python = ensure_venv()
        argv = [str(python), str(Path(__file__)), "--here", "--out", str(args.out)]
        return subprocess.run(argv, check=False).returncode
    print(f"versions: {versions()}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(collect(ARCHIVE), ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
