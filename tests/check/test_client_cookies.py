"""The run's cookie jar: cookies kept and sent as before, the jar skipped when none is set."""

from __future__ import annotations

from http.cookiejar import CookieJar
from typing import Any

import httpx
import pytest

from linkaudit.check import CheckOptions
from linkaudit.check.client import build_client


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/login":
        return httpx.Response(200, headers={"Set-Cookie": "session=abc; Path=/"}, text="in")
    return httpx.Response(200, text=request.headers.get("cookie", "none"))


async def test_cookies_are_kept_and_only_responses_that_set_one_reach_the_jar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked: list[str] = []
    extract = CookieJar.extract_cookies

    def counting(self: CookieJar, response: Any, request: Any) -> None:
        looked.append(request.get_full_url())
        extract(self, response, request)

    monkeypatch.setattr(CookieJar, "extract_cookies", counting)
    async with build_client(CheckOptions(), transport=httpx.MockTransport(answer)) as client:
        before = await client.get("http://example.org/page")
        await client.get("http://example.org/login")
        after = await client.get("http://example.org/page")
    assert (before.text, after.text) == ("none", "session=abc")
    assert looked == ["http://example.org/login"]
