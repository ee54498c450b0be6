"""Takes docs/desk.png: the editor's desk after auditing a WordPress draft, repairs shown.

    .venv/bin/python scripts/desk_screenshot.py [docs/desk.png]

Everything is on loopback: a WordPress stand-in holding one draft, a small web
(names resolved by a static table), the archive stand-in, the desk, and Debian's
headless Chromium (see scripts/ensure-chromium).  Nothing touches the internet.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from linkaudit.serve.app import Running
from linkaudit.serve.desk import Desk
from linkaudit.settings import RunInputs
from linkaudit.sources.wordpress_draft import AUTH_ENV
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import LoopbackServer, page, redirect
from linkaudit.testing.wordpress import WordPressStandIn
from linkaudit.testing.zoo import StaticResolver

CHROMIUM = os.environ.get("LINKAUDIT_CHROMIUM", "/usr/lib/chromium/chromium")
PAGE = "<html><head><title>{0}</title></head><body><p>{0}</p></body></html>"


def main(out: Path) -> None:
    with (
        tempfile.TemporaryDirectory() as temp,
        LoopbackServer() as server,
        ArchiveStandIn() as archive,
    ):
        os.chdir(temp)
        Path("linkaudit.toml").write_text('archives = ["wayback"]\n', encoding="utf-8")
        web = server.add_site("127.0.0.6")
        web.route("/reports/2024-water.pdf", page(PAGE.format("Water quality report 2024")))
        web.route("/minutes/march", page(PAGE.format("Council minutes")))
        web.route("/old-budget", redirect("/budget/2025", 301))
        web.route("/budget/2025", page(PAGE.format("Budget 2025")))

        def url(host: str, path: str) -> str:
            return f"http://{host}:{web.port}{path}"

        dataset = url("data.city.example", "/datasets/lead-pipes.csv")
        archive.add_capture(dataset, "20240311093000", 200)
        raw = (
            "<!-- wp:paragraph -->\n<p>The city's "
            f'<a href="{url("water.city.example", "/reports/2024-water.pdf")}">water report</a> '
            f'and the <a href="{url("council.city.example", "/minutes/march")}">March minutes</a>'
            f' both cite the <a href="{dataset}">lead pipe survey</a>, which is no longer online;'
            f' the <a href="{url("budget.city.example", "/old-budget")}">budget</a> has moved.'
            "</p>\n<!-- /wp:paragraph -->\n"
        )
        wp = WordPressStandIn(server).start()
        wp.add_post(481, raw, title="Lead pipes: what the city knew")
        os.environ[AUTH_ENV] = wp.auth()
        names = ["data", "water", "council", "budget"]
        resolver = StaticResolver({f"{n}.city.example": "127.0.0.6" for n in names})
        desk = Desk(
            RunInputs(wayback_url=archive.base_url),
            resolver=resolver,
            wordpress_sites=(wp.url,),
        )
        try:
            with Running(desk) as running, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
                context = browser.new_context(viewport={"width": 1180, "height": 900})
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith(running.url)
                        else route.abort()
                    ),
                )
                tab = context.new_page()
                tab.goto(running.url + "/")
                tab.click(".tabs button[data-kind='wordpress']")
                tab.fill("#wp-site", wp.url)
                tab.fill("#wp-post", "481")
                tab.click("#audit")
                tab.wait_for_selector("#result:not([hidden])", timeout=60000)
                tab.click("#preview")
                tab.wait_for_selector("#repair-out:not([hidden])")
                tab.frame_locator("#report").locator(".summary").wait_for()
                # a sandboxed frame is painted in its own process: a full-page capture
                # misses it, so the window is made as tall as the page instead
                height = tab.evaluate("document.documentElement.scrollHeight")
                tab.set_viewport_size({"width": 1180, "height": int(height)})
                tab.wait_for_timeout(300)
                out.parent.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(out))
                browser.close()
        finally:
            desk.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/desk.png").resolve())
