"""Rebuild ``benchmarks/data/article_body/pages.tar.xz`` from three public benchmarks.

Inputs are checkouts of the upstream repositories at the commits named in the
data README (``git archive`` of the commit is enough):

* scrapinghub/article-extraction-benchmark: ``html/<id>.html.gz`` and
  ``ground-truth.json``; a page is taken when the annotated article text places
  at least ``MIN_ARTICLE_LINKS`` of its links (see ``article_body.label_by_text``).
* mozilla/readability: ``test/test-pages/<name>/{source,expected}.html``; a page
  is taken when it is a real page (``source.html`` of 8 KiB or more: the small
  ones are synthetic cases), ``expected.html`` has at least ``MIN_ARTICLE_LINKS``
  ``<a href>``, and it is not one of the 15 pages of the shared corpus that
  linkaudit's scope rules were tuned on.
* Murrough-Foley/web-content-extraction-benchmark (WCXB): the *test* split's
  article pages (``metadata.json``), ``test/html/<id>.html.gz`` and
  ``test/ground-truth/<id>.json``; taken like the scrapinghub pages.

Run: ``.venv/bin/python -m benchmarks.article_body_build --scrapinghub DIR
--readability DIR --wcxb DIR``.  Pages are stored as upstream has them (gzip
removed), except that the contents of ``<script>`` and ``<style>`` elements are
emptied (the elements stay): no finder scored here reads them, and they were
half the archive.  WCXB's pages come without scripts already.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import tarfile
from pathlib import Path

from benchmarks.article_body import ARCHIVE, MIN_ARTICLE_LINKS, label_by_text, readability_key

#: The shared corpus (``../shared/corpus/readability``): developed on, so never in this set.
SHARED_CORPUS = frozenset(
    {
        "002",
        "aclu",
        "bbc-1",
        "blogger",
        "firefox-nightly-blog",
        "lemonde-1",
        "medium-3",
        "nytimes-2",
        "quanta-1",
        "salon-1",
        "schema-org-context-object",
        "toc-missing",
        "wapo-1",
        "wikipedia",
        "wordpress",
    }
)
MIN_REAL_PAGE = 8 * 1024
_CODE = re.compile(rb"(<(script|style)\b[^>]*>).*?(</\2\s*>)", re.DOTALL | re.IGNORECASE)


def without_code(page: bytes) -> bytes:
    """The page with its scripts' and style sheets' contents emptied (elements kept)."""
    return _CODE.sub(rb"\1\3", page)


def scrapinghub_pages(root: Path) -> tuple[dict[str, bytes], dict[str, object]]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    files: dict[str, bytes] = {}
    kept: dict[str, object] = {}
    for key, item in sorted(truth.items()):
        raw = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        article, _ = label_by_text(raw.decode("utf-8", "replace"), item["url"], item["articleBody"])
        if len(article) >= MIN_ARTICLE_LINKS:
            files[f"scrapinghub/{key}.html"] = without_code(raw)
            kept[key] = {"url": item["url"], "articleBody": item["articleBody"]}
    return files, kept


def wcxb_pages(root: Path) -> tuple[dict[str, bytes], dict[str, object]]:
    """WCXB's held-out (test) article pages with enough links placed by their text."""
    meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))["files"]
    files: dict[str, bytes] = {}
    kept: dict[str, object] = {}
    for key, info in sorted(meta.items()):
        if info["split"] != "test" or info["page_type"] != "article":
            continue
        truth = json.loads((root / "test" / "ground-truth" / f"{key}.json").read_text("utf-8"))
        text = truth["ground_truth"].get("main_content") or ""
        raw = gzip.decompress((root / "test" / "html" / f"{key}.html.gz").read_bytes())
        article, _ = label_by_text(raw.decode("utf-8", "replace"), truth["url"], text)
        if len(article) >= MIN_ARTICLE_LINKS:
            files[f"wcxb/{key}.html"] = without_code(raw)
            kept[key] = {"url": truth["url"], "main_content": text}
    return files, kept


def readability_pages(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for folder in sorted((root / "test" / "test-pages").iterdir()):
        source, expected = folder / "source.html", folder / "expected.html"
        if folder.name in SHARED_CORPUS or not (source.is_file() and expected.is_file()):
            continue
        if source.stat().st_size < MIN_REAL_PAGE:
            continue
        if len(readability_key(expected.read_text(encoding="utf-8"))) < MIN_ARTICLE_LINKS:
            continue
        files[f"readability/{folder.name}/source.html"] = without_code(source.read_bytes())
        files[f"readability/{folder.name}/expected.html"] = expected.read_bytes()
    return files


def write(files: dict[str, bytes], archive: Path) -> None:
    """A reproducible archive: sorted names, no owners, no times."""
    with tarfile.open(archive, "w:xz", preset=9) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scrapinghub", type=Path, required=True)
    parser.add_argument("--readability", type=Path, required=True)
    parser.add_argument("--wcxb", type=Path, required=True, help="a WCXB v1.0 checkout")
    parser.add_argument("--out", type=Path, default=ARCHIVE)
    args = parser.parse_args()
    files, truth = scrapinghub_pages(args.scrapinghub)
    files["scrapinghub/ground-truth.json"] = _json(truth)
    files.update(readability_pages(args.readability))
    held_out, truth = wcxb_pages(args.wcxb)
    files.update(held_out)
    files["wcxb/ground-truth.json"] = _json(truth)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write(files, args.out)
    pages = sum(n.endswith(".html") and not n.endswith("expected.html") for n in files)
    print(f"{args.out}: {pages} pages, {args.out.stat().st_size / 1e6:.2f} MB")


def _json(value: object) -> bytes:
    return json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True).encode("utf-8")


if __name__ == "__main__":
    main()
