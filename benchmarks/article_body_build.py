"""Rebuild ``benchmarks/data/article_body/pages.tar.xz`` from the two public benchmarks.

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

Run: ``.venv/bin/python -m benchmarks.article_body_build --scrapinghub DIR
--readability DIR``.  Page files are stored unchanged (gzip removed).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
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


def scrapinghub_pages(root: Path) -> tuple[dict[str, bytes], dict[str, object]]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    files: dict[str, bytes] = {}
    kept: dict[str, object] = {}
    for key, item in sorted(truth.items()):
        raw = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        article, _ = label_by_text(raw.decode("utf-8", "replace"), item["url"], item["articleBody"])
        if len(article) >= MIN_ARTICLE_LINKS:
            files[f"scrapinghub/{key}.html"] = raw
            kept[key] = {"url": item["url"], "articleBody": item["articleBody"]}
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
        files[f"readability/{folder.name}/source.html"] = source.read_bytes()
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
    parser.add_argument("--out", type=Path, default=ARCHIVE)
    args = parser.parse_args()
    files, truth = scrapinghub_pages(args.scrapinghub)
    files["scrapinghub/ground-truth.json"] = json.dumps(
        truth, indent=1, ensure_ascii=False, sort_keys=True
    ).encode("utf-8")
    files.update(readability_pages(args.readability))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write(files, args.out)
    pages = sum(n.endswith(("source.html",)) or n.startswith("scrapinghub/") for n in files) - 1
    print(f"{args.out}: {pages} pages, {args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
