"""``linkaudit check`` on a run large enough to be checked by several processes
(``check.shards``), as a user runs it: a process of its own, with no thread.

The servers watch the command's process tree while they answer, so the test knows
the run was shared out; the verdicts must be those of a run checked in this
process alone (which, having the servers' thread, never forks).  Ctrl-C must end
every process of the run, with one line and exit code 130.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linkaudit.check import CheckOptions, check_urls
from linkaudit.check.shards import SHARD_MIN_URLS
from linkaudit.testing.server import Conn, LoopbackServer, Request, Site, page

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

CHECK = (sys.executable, "-m", "linkaudit", "check", "--no-cache")
#: The command as a terminal starts it: Ctrl-C at its default.  A process started
#: in the background by a non-interactive shell (``make test &``, some CI runners)
#: inherits SIGINT *ignored*, Python then installs no handler, and this test's
#: Ctrl-C went unanswered: the run went on to its end, long past the test's 60 s.
#: An ignored signal stays ignored across ``exec``; a default one stays default.
AS_FROM_A_TERMINAL = (
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " os.execv(sys.executable, [sys.executable, *sys.argv[1:]])",
)
ARTICLE = (
    "<html><head><title>Harbour works</title></head><body><h1>Harbour works</h1>"
    + "<p>The council met to hear the residents on the harbour works.</p>" * 20
    + "</body></html>"
)


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


class Watcher:
    """Notes the command's child processes each time a server answers."""

    def __init__(self) -> None:
        self.pid = 0
        self.seen: set[int] = set()
        self.most = 0

    def look(self) -> None:
        if self.pid:
            now = children(self.pid)
            self.seen |= now
            self.most = max(self.most, len(now))


def watched(watcher: Watcher, body: str, status: int = 200, delay: float = 0.0) -> object:
    answer = page(body, status=status)

    async def handler(request: Request, conn: Conn) -> None:
        watcher.look()
        if delay:
            await asyncio.sleep(delay)
        await answer(request, conn)

    return handler


def write_notes(root: Path, sites: list[Site], per_site: int) -> list[str]:
    """Ten Markdown files citing ``per_site`` pages of each site (and a dead one)."""
    urls = [site.url(f"/p{n}") for site in sites for n in range(per_site)]
    urls += [site.url("/gone") for site in sites]
    root.mkdir()
    for part in range(10):
        links = "\n".join(f"- [page]({url})" for url in urls[part::10])
        (root / f"note{part}.md").write_text(f"# Notes {part}\n\n{links}\n", encoding="utf-8")
    return urls


def web(
    server: LoopbackServer, watcher: Watcher, root: Path, hosts: int, per_site: int, delay: float
) -> tuple[list[Site], list[str]]:
    """``hosts`` sites of ``per_site`` pages (answered after ``delay``) and a dead one
    each, and the notes citing them all under ``root``."""
    sites = [server.add_site(f"127.0.0.{n + 2}") for n in range(hosts)]
    for site in sites:
        for n in range(per_site):
            site.route(f"/p{n}", watched(watcher, ARTICLE, delay=delay))
        site.route("/gone", watched(watcher, "<h1>Gone</h1>", status=404))
    return sites, write_notes(root, sites, per_site)


def start(watcher: Watcher, cwd: Path, *args: str) -> subprocess.Popen[str]:
    """``linkaudit check`` in a process of its own, watched."""
    process = subprocess.Popen(
        [*AS_FROM_A_TERMINAL, *CHECK[1:], *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watcher.pid = process.pid
    return process


def verdicts_of(report: str) -> dict[str, str]:
    return {f["citation"]["url"]: f["verdict"] for f in json.loads(report)["findings"]}


def test_a_large_check_is_shared_out_and_gives_the_same_verdicts(tmp_path: Path) -> None:
    watcher = Watcher()
    with LoopbackServer() as server:
        per_site = SHARD_MIN_URLS // 4 + 10
        sites, urls = web(server, watcher, tmp_path / "notes", 4, per_site, 0.0)
        alone = asyncio.run(check_urls(urls, CheckOptions(max_retries=0)))
        process = start(
            watcher, tmp_path, "--format", "json", "--max-retries", "0", str(tmp_path / "notes")
        )
        out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err  # the dead pages
    assert "Traceback" not in err
    assert watcher.most >= 2  # the run was checked by (at least) two processes
    got = verdicts_of(out)
    assert got == {url: result.verdict.value for url, result in alone.items()}
    assert sum(v == "broken" for v in got.values()) == len(sites)


def test_ctrl_c_ends_every_process_of_the_run(tmp_path: Path) -> None:
    watcher = Watcher()
    with LoopbackServer() as server:
        web(server, watcher, tmp_path / "notes", 2, SHARD_MIN_URLS // 2 + 10, 2.0)
        process = start(watcher, tmp_path, str(tmp_path / "notes"))
        deadline = time.monotonic() + 60
        while watcher.most < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watcher.most >= 2
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        shards = set(watcher.seen)
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == "linkaudit: error: interrupted"
    assert "Traceback" not in err
    for pid in shards:  # none left behind
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_the_command_line_never_forks_a_small_run(tmp_path: Path) -> None:
    watcher = Watcher()
    with LoopbackServer() as server:
        web(server, watcher, tmp_path / "notes", 1, 20, 0.05)
        process = start(watcher, tmp_path, str(tmp_path / "notes"))
        process.communicate(timeout=60)
    assert process.returncode == 1
    assert watcher.most == 0
