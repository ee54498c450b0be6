"""An input too big for the memory at hand is refused with one line, before parsing.

Without the check, a big page of links on a small runner is ended by the kernel's
out-of-memory killer (no word at all) or, under ``ulimit -v``, by a ``MemoryError``
deep inside lxml after minutes of work.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from linkaudit.errors import InputError
from linkaudit.sources.budget import Free, ensure_fits, estimate, free_memory

MB = 1024 * 1024


def _links(count: int) -> bytes:
    anchors = "".join(f'<a href="https://h{i % 50}.example/p{i}">l{i}</a> ' for i in range(count))
    return f"<html><body><p>{anchors}</p></body></html>".encode()


def _prose(size: int) -> bytes:
    return b"<html><body><p>" + b"word " * (size // 5) + b"</p></body></html>"


def test_a_page_of_links_is_estimated_above_a_page_of_prose_of_the_same_size() -> None:
    links = _links(200_000)
    prose = _prose(len(links))
    assert estimate(links) > 3 * estimate(prose)
    # Measured (benchmarks/hostile_inputs.py): 100,000 links on one line peak at
    # ~220 MB over the interpreter; the estimate must not be below what it takes.
    assert estimate(_links(100_000)) >= 200 * MB


def test_an_input_that_does_not_fit_is_refused_with_what_it_needs_and_what_is_free() -> None:
    data = _links(200_000)
    with pytest.raises(InputError) as raised:
        ensure_fits("big.html", data, free=lambda: Free(100 * MB, "container memory limit"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("big.html: too big to audit in the memory available")
    assert f"needs about {round(estimate(data) / MB)} MB" in message
    assert "100 MB free (container memory limit)" in message


def test_an_input_that_fits_or_is_small_or_where_nothing_is_known_is_read() -> None:
    data = _links(200_000)
    ensure_fits("big.html", data, free=lambda: Free(estimate(data), "memory available"))
    ensure_fits("big.html", data, free=lambda: None)
    # Small inputs are never refused, however little is said to be free.
    ensure_fits("small.html", _links(1_000), free=lambda: Free(1, "memory available"))


def test_the_tightest_limit_wins() -> None:
    free = free_memory()
    assert free is not None  # /proc/meminfo is readable on the machines this runs on
    assert free.bytes > 0
    assert free.limit in {"memory available", "container memory limit", "address-space limit"}


def _vm_size_after_start(tmp_path: Path) -> int:
    """The address space a linkaudit process takes before it reads its input."""
    probe = (
        "import linkaudit.cli, linkaudit.extract\n"
        "for line in open('/proc/self/status'):\n"
        "    if line.startswith('VmSize:'): print(int(line.split()[1]) * 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    return int(done.stdout.strip())


def test_under_ulimit_v_the_command_line_refuses_before_parsing(tmp_path: Path) -> None:
    page = tmp_path / "links.html"
    page.write_bytes(_links(200_000))  # ~9.5 MB: estimated at ~500 MB
    limit = _vm_size_after_start(tmp_path) + 150 * MB

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "linkaudit", "extract", str(page), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        preexec_fn=cap,
        check=False,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr
    said = done.stderr.strip().splitlines()
    assert len(said) == 1, done.stderr
    assert "too big to audit in the memory available" in said[0]
    assert "(address-space limit)" in said[0]
    assert done.stdout == ""
