"""An editor's ``check`` of one HTML file imports only what that run uses (issue 17).

Start-up is most of a one-article check's wall time (an editor's run waits on
it before the first request), and most of start-up is imports.  The modules
below serve other runs only: a cache, archives, drift, sharded runs, other
kinds of input, other report formats, configured selectors.  Each is imported
where it is used; this test fails when one of them creeps back into a plain
``check``'s imports.  It runs the command in a fresh interpreter (this test
process has imported everything already) and reads ``sys.modules`` after it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Imported by ``check --no-cache FILE.html`` never (each only by the runs named).
NOT_FOR_A_PLAIN_CHECK = (
    # the store (with a cache) and the run history it records and judges
    "linkaudit.history",
    "linkaudit.recording",
    "linkaudit.store.archives",
    "linkaudit.store.codec",
    "linkaudit.store.drift",
    "linkaudit.store.extracts",
    "linkaudit.store.history",
    "linkaudit.store.migrations",
    "linkaudit.store.reports",
    "linkaudit.store.results",
    "linkaudit.store.sqlite",
    "linkaudit.store.store",
    "sqlite3",
    # archive lookups, restoring lost links, Save Page Now (audit)
    "linkaudit.archive.lookup",
    "linkaudit.archive.memento",
    "linkaudit.archive.ratelimit",
    "linkaudit.archive.restore",
    "linkaudit.archive.save",
    "linkaudit.archive.wayback",
    # --drift, --browser
    "linkaudit.check.drift",
    "linkaudit.check.drift_stage",
    "linkaudit.check.browser",
    # runs checked by several processes, documents extracted by several
    "linkaudit.check.hostgate",
    "multiprocessing",
    "pickle",
    "concurrent.futures.process",
    # other inputs: folders, Markdown, WordPress, drafts, sitemaps, URLs, --changed-since
    "linkaudit.extract.markdown",
    "linkaudit.sources.changed",
    "linkaudit.sources.gitdates",
    "linkaudit.sources.jsonspan",
    "linkaudit.sources.lenient_json",
    "linkaudit.sources.markdown",
    "linkaudit.sources.sitemap",
    "linkaudit.sources.tree",
    "linkaudit.sources.url",
    "linkaudit.sources.wordpress",
    "linkaudit.sources.wordpress_draft",
    "linkaudit.sources.wordpress_site",
    # report formats other than JSON and the terminal's
    "linkaudit.report.csv_format",
    "linkaudit.report.html",
    "linkaudit.report.junit",
    "linkaudit.report.markdown",
    "linkaudit.report.sarif",
    "csv",
    # configuration files (none here) and configured body selectors
    "tomllib",
    "cssselect",
    # other commands' helpers
    "shlex",
)

_RUN = """
import json, sys
from linkaudit.cli import main
try:
    main(["check", "--no-cache", "--format", "json", sys.argv[1]], standalone_mode=False)
except SystemExit:
    pass
sys.stderr.write("\\n" + json.dumps(sorted(sys.modules)) + "\\n")
"""


def test_plain_check_of_an_html_file_imports_no_other_runs_modules(tmp_path: Path) -> None:
    article = tmp_path / "article.html"
    # port 9 (discard) on loopback: refused at once, so the run really checks
    article.write_text(
        "<!doctype html><title>t</title><article><p>"
        '<a href="http://127.0.0.1:9/a">a</a> <a href="http://127.0.0.1:9/b">b</a>'
        "</p></article>",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(article)],
        cwd=tmp_path,  # no linkaudit.toml or pyproject.toml to read
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout)
    assert report["totals"]["citations"] == 2  # the run did check the article
    imported = set(json.loads(done.stderr.rstrip().rpartition("\n")[2]))
    assert "linkaudit.check.engine" in imported  # what the check uses is there
    assert sorted(imported.intersection(NOT_FOR_A_PLAIN_CHECK)) == []


#: Imported by a warm ``check`` that reuses every document never: it loads the
#: documents and reads the store, and extracts and checks nothing.
NOT_FOR_A_WARM_CHECK = (
    "httpx",
    "httpcore",
    "linkaudit.check.client",
    "linkaudit.check.engine",
    "linkaudit.extract.html",
    "linkaudit.extract.parallel",
    "linkaudit.archive.save",
)

_RUN_CACHED = _RUN.replace('"--no-cache"', '"--cache", sys.argv[2]')


def test_a_warm_check_that_reuses_every_document_imports_no_checker(tmp_path: Path) -> None:
    from linkaudit.testing.server import LoopbackServer, page

    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        site.route("/a", page("<title>A</title><p>a</p>"))
        site.route("/b", page("<title>B</title><p>b</p>"))
        article = tmp_path / "article.html"
        article.write_text(
            f'<!doctype html><title>t</title><article><p><a href="{site.url("/a")}">a</a> '
            f'<a href="{site.url("/b")}">b</a></p></article>',
            encoding="utf-8",
        )
        runs = []
        for _ in range(2):
            done = subprocess.run(
                [sys.executable, "-c", _RUN_CACHED, str(article), str(tmp_path / "c.sqlite")],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            report = json.loads(done.stdout)
            imported = set(json.loads(done.stderr.rstrip().rpartition("\n")[2]))
            runs.append((report, imported, site.stats.requests))
    (cold, cold_imports, asked), (warm, warm_imports, asked_in_all) = runs
    assert asked >= 2  # the cold run checked
    assert asked_in_all == asked  # the warm one did not
    assert warm["summary"] == cold["summary"]
    assert warm["summary"]["ok"] == 2
    assert "linkaudit.check.engine" in cold_imports  # the cold run did check
    assert sorted(warm_imports.intersection(NOT_FOR_A_WARM_CHECK)) == []
