"""The editor's desk in real headless Chromium (Debian's, as the report's browser tests).

An editor pastes an article and watches it being checked, names a WordPress draft,
reads the verdicts, applies the repairs, and the WordPress stand-in receives
exactly the repaired content; a wrong password is a clear message; a hostile
article runs nothing.  The browser may reach the desk and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from linkaudit.serve.app import Running
from tests.browser_util import artifact, launch_chromium
from tests.serve.conftest import World

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as launched:
        yield launched


class Desk:
    """The desk's page, with what the browser reported (console errors, dialogs)."""

    def __init__(self, browser: Any, running: Running) -> None:
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(running.url) else route.abort()
            ),
        )
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", self._dialog)
        self.page.goto(running.url + "/")

    def _dialog(self, dialog: Any) -> None:
        self.errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def audit(self) -> None:
        self.page.click("#audit")
        self.page.wait_for_selector("#result:not([hidden]), #error:not([hidden])", timeout=30000)


@pytest.fixture
def desk(browser: Any, running: Running) -> Iterator[Desk]:
    opened = Desk(browser, running)
    yield opened
    opened.context.close()


def test_an_editor_pastes_an_article_watches_progress_and_sees_the_verdicts(
    desk: Desk, world: World
) -> None:
    page = desk.page
    slow = world.server.add_site("127.0.0.4", latency=0.6)  # so progress can be seen
    slow.route("/slow", lambda r, c: c.send(r, 200, b"<html><body>late but fine</body></html>"))
    page.click(".tabs button[data-kind='paste']")
    page.fill(
        "#text",
        f'<p>The <a href="{world.live}">live report</a>, the <a href="{world.dead}">dataset</a> '
        f'and a <a href="{slow.url("/slow")}">slow page</a>.</p>',
    )
    page.click("#audit")
    page.wait_for_selector("#progress:not([hidden])")
    page.wait_for_selector("#live li")  # a verdict arrives while the slow page is pending
    assert "Checked" in page.inner_text("#progress-text")
    page.wait_for_selector("#result:not([hidden])", timeout=30000)
    assert page.inner_text("#summary") == "3 citations in 1 document: 1 broken; 2 ok"
    rows = page.eval_on_selector_all("#rows tr", "rs => rs.map(r => r.dataset.verdict)")
    assert rows == ["broken", "ok", "ok"]
    broken = page.locator("#rows tr[data-verdict='broken']")
    assert "dataset" in broken.inner_text()
    assert broken.locator("a", has_text="archived copy").get_attribute("href") == world.archived
    # the same HTML report, served live in its frame
    frame = page.frame_locator("#report")
    assert "3 citations in 1 document" in frame.locator(".summary").inner_text()
    assert desk.errors == []


def test_an_editor_applies_repairs_to_a_wordpress_draft(desk: Desk, world: World) -> None:
    page = desk.page
    page.click(".tabs button[data-kind='wordpress']")
    page.fill("#wp-site", world.wp.url)
    page.fill("#wp-post", "12")
    desk.audit()
    assert page.is_visible("#result")
    assert page.is_visible("#repairs")
    page.click("#preview")
    page.wait_for_selector("#repair-out:not([hidden])")
    assert world.archived in page.inner_text("#diff")
    assert world.wp.writes == []  # seeing the diff writes nothing
    page.screenshot(path=str(artifact("desk-wordpress-diff.png")), full_page=True)
    page.click("#apply")
    page.wait_for_selector("#applied:not([hidden])")
    assert "still a draft" in page.inner_text("#applied")
    assert [w.body for w in world.wp.writes] == [{"content": world.repaired()}]
    assert world.wp.posts[12].status == "draft"
    assert desk.errors == []


def test_a_wrong_password_shows_a_clear_message(
    desk: Desk, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKAUDIT_WORDPRESS_AUTH", "editor:an old password")
    page = desk.page
    page.click(".tabs button[data-kind='wordpress']")
    page.fill("#wp-site", world.wp.url)
    page.fill("#wp-post", "12")
    desk.audit()
    message = page.inner_text("#error")
    assert "rejected the application password of user 'editor'" in message
    assert "LINKAUDIT_WORDPRESS_AUTH" in message
    assert "an old password" not in page.content()
    assert not page.is_visible("#result")


def test_an_editor_drops_a_markdown_file_and_downloads_the_repaired_one(
    desk: Desk, world: World, tmp_path: Any
) -> None:
    page = desk.page
    source = tmp_path / "column.md"
    text = f"# Column\n\nThe [dataset]({world.dead}) is gone; the [report]({world.live}) is not.\n"
    source.write_text(text, encoding="utf-8")
    page.click(".tabs button[data-kind='file']")
    page.set_input_files("#file", str(source))  # as a drop does: read, then audited at once
    page.wait_for_selector("#result:not([hidden])", timeout=30000)
    assert "column.md (Markdown)" in page.inner_text("#drop-name")
    assert page.inner_text("#summary") == "2 citations in 1 document: 1 broken; 1 ok"
    page.click("#preview")
    page.wait_for_selector("#download:not([hidden])")
    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == "column.md"
    saved = tmp_path / "saved.md"
    download.save_as(str(saved))
    assert saved.read_text("utf-8") == text.replace(f"({world.dead})", f"({world.archived})")
    assert world.wp.writes == []
    assert desk.errors == []


HOSTILE = """<p id="x">A story.
<a href="javascript:window.__pwned='href'">click me</a>
<a href="{dead}"><img src=x onerror="window.__pwned='img'">dataset
<script>window.__pwned='script'</script></a>
<a href="{live}" title='"><script>window.__pwned="attr"</script>'>live
&lt;script&gt;window.__pwned='text'&lt;/script&gt;</a>
<a href="data:text/html,<script>window.__pwned='data'</script>">data</a>
</p>"""


def test_a_hostile_article_cannot_run_script_in_the_page(desk: Desk, world: World) -> None:
    page = desk.page
    page.click(".tabs button[data-kind='paste']")
    page.fill("#text", HOSTILE.format(dead=world.dead, live=world.live))
    desk.audit()
    assert page.is_visible("#result")
    hrefs = page.eval_on_selector_all("#rows a", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs
    assert all(h.startswith("http") for h in hrefs)
    for link in page.locator("#rows a").all():
        link.click(modifiers=["Control"])  # opening them in a new tab is aborted: not the web
    texts = page.inner_text("#rows")
    assert "<script>window.__pwned='text'</script>" in texts  # shown as text, not run
    frame = page.frame_locator("#report")
    for toggle in frame.locator("tbody.finding:not([hidden]) button.toggle").all():
        toggle.click()
    assert page.evaluate("window.__pwned") is None
    assert page.frames[1].evaluate("window.__pwned") is None
    assert page.locator("script").count() == 1  # the desk's own, nothing injected
    assert desk.errors == []
