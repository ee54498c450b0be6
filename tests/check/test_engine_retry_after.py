"""The engine waits out a ``Retry-After`` date in every form RFC 9110 lets a server send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_httpx import HTTPXMock

from linkaudit.check import CheckOptions, check_urls
from linkaudit.model import Verdict

from .conftest import FakeClock

URL = "https://example.org/busy"
HTML = "<html><head><title>A page</title></head><body><p>Hi</p></body></html>"
OPTIONS = CheckOptions(soft404=False, max_retries=2, retry_base=0.5, max_retry_wait=30.0)


@pytest.mark.parametrize(
    "form",
    [
        "%a, %d %b %Y %H:%M:%S GMT",  # IMF-fixdate
        "%a %b %e %H:%M:%S %Y",  # asctime: no zone written, GMT all the same
        "%a, %d %b %Y %H:%M:%S -0000",
    ],
)
async def test_an_http_date_is_waited_out_exactly(
    httpx_mock: HTTPXMock, clock: FakeClock, form: str
) -> None:
    when = (clock.now() + timedelta(seconds=12)).strftime(form)
    httpx_mock.add_response(url=URL, status_code=503, headers={"Retry-After": when})
    httpx_mock.add_response(url=URL, html=HTML)
    results = await check_urls([URL], OPTIONS, clock=clock)
    assert results[URL].verdict is Verdict.OK
    assert clock.slept[0] == 12.0  # the server's time, not the 0.25-0.75 s backoff


async def test_a_zoneless_date_beyond_the_cap_is_not_waited_out(
    httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    when = (clock.now() + timedelta(hours=2)).strftime("%a %b %e %H:%M:%S %Y")
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": when})
    result = (await check_urls([URL], OPTIONS, clock=clock))[URL]
    assert (result.verdict, result.reason, result.attempts) == (
        Verdict.BLOCKED,
        "rate_limited",
        1,
    )
    assert clock.slept == []
    assert result.retry_after == clock.now() + timedelta(hours=2)
