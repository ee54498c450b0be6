"""Headless Debian Chromium for the tests that must see a page in a real browser.

Shared so every browser test launches the same way: Debian's binary (never a
Playwright download), flags that keep it off the network and quiet, and a page
wrapper that records console errors, page errors and dialogs, with every
request other than the file itself aborted.

Without Chromium the tests skip, except under ``CI=true``, where a missing
browser fails so CI cannot pass silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: Where browser tests leave their screenshots (CI uploads the folder).
ARTIFACTS = Path(
    os.environ.get("LINKAUDIT_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[1] / "test-artifacts"
)


def artifact(name: str) -> Path:
    """A path for a test artefact (a screenshot), its folder created."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's real binary first (its /usr/bin/chromium is a shell wrapper)."""
    explicit = os.environ.get("LINKAUDIT_CHROMIUM")
    if explicit:
        return explicit
    if os.access("/usr/lib/chromium/chromium", os.X_OK):
        return "/usr/lib/chromium/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A launched browser, or a skip (a failure under ``CI=true``) when there is none."""
    path = chromium_path()
    if path is None:
        message = "no Chromium found; run scripts/ensure-chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: browser tests must run)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class RecordingPage:
    """A local HTML file opened offline, with every console error, page error and
    dialog recorded in ``errors`` (CSP violations are console errors)."""

    def __init__(
        self,
        browser: Any,
        html: str,
        tmp_path: Path,
        name: str = "page.html",
        viewport: tuple[int, int] | None = None,
    ) -> None:
        self.errors: list[str] = []
        size = {"width": viewport[0], "height": viewport[1]} if viewport else None
        self.context = browser.new_context(viewport=size) if size else browser.new_context()
        self.context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", self._dialog)
        target = tmp_path / name
        target.write_text(html, encoding="utf-8")
        self.page.goto(target.as_uri())
        self.page.wait_for_load_state("load")

    def _dialog(self, dialog: Any) -> None:
        self.errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()
