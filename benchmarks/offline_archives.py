"""An audit with the cited pages reachable and the archives not: how long it takes.

Offline (or behind a firewall that blocks the Internet Archive), every archive
lookup used to wait on the archive's polite rate only to fail the same way: 79 s
for 23 links, almost 4 minutes for 69.  Here a network namespace with no route
anywhere (and no DNS) holds a loopback web of 70 cited pages, half of them dead,
and the real command line audits an article citing them with the real archive
addresses.  ``check`` (no archives) and ``audit`` (archives asked) are timed side
by side; the difference is what the archives cost.

    sudo .venv/bin/python -m benchmarks.offline_archives

Needs root and iproute2 (``ip netns``).  Exits 0 when the audit ends within a few
seconds of the check, says "archives unreachable" once, and its HTML report
carries the line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

NAMESPACE = f"linkaudit-off-{os.getpid()}"
LINKAUDIT = Path(sys.executable).with_name("linkaudit")
PORT = 8080

#: 70 pages on the namespace's loopback: odd ones are dead.
SERVER = textwrap.dedent(
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            last = self.path.rsplit("/", 1)[-1]
            n = int(last) if self.path.startswith("/p/") and last.isdigit() else -1
            dead = n < 0 or n % 2
            body = (b"<h1>Not Found</h1>" if dead else
                    b"<title>Page %d</title><p>Plenty of words about page %d.</p>" % (n, n))
            self.send_response(404 if dead else 200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    server = ThreadingHTTPServer(("127.0.0.1", PORT), H)
    print("ready", flush=True)
    server.serve_forever()
    """
).replace("PORT", str(PORT))


def _ns(*command: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", NAMESPACE, *command],
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,  # type: ignore[arg-type]
    )


def main() -> int:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("needs root and iproute2 (ip netns)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="linkaudit-off-"))
    etc = Path("/etc/netns") / NAMESPACE
    server: subprocess.Popen[str] | None = None
    try:
        subprocess.run(["ip", "netns", "add", NAMESPACE], check=True)
        _ns("ip", "link", "set", "lo", "up")
        etc.mkdir(parents=True)
        (etc / "resolv.conf").write_text("nameserver 192.0.2.1\n", encoding="utf-8")  # nowhere
        server = subprocess.Popen(
            ["ip", "netns", "exec", NAMESPACE, sys.executable, "-c", SERVER],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        links = "".join(
            f'<p>Finding {n}: <a href="http://127.0.0.1:{PORT}/p/{n}">source {n}</a>.</p>'
            for n in range(70)
        )
        article = work / "story.html"
        article.write_text(
            "<html><head><title>A story</title>"
            '<link rel="canonical" href="https://news.example/story"></head>'
            f"<body><article>{links}<p>Someone <a>floated the idea</a>.</p>"
            "</article></body></html>",
            encoding="utf-8",
        )
        common = [str(article), "--no-cache", "--cited-at", "2023-04-18", "--max-retries", "0"]
        started = time.monotonic()
        check = _ns(str(LINKAUDIT), "check", *common)
        check_s = time.monotonic() - started
        started = time.monotonic()
        audit = _ns(
            str(LINKAUDIT), "audit", *common, "--format", "html", "--output-dir", str(work / "r")
        )
        audit_s = time.monotonic() - started
        said = audit.stderr.count("archives unreachable")
        html = next((work / "r").glob("*.html"), None)
        banner = html is not None and "archives unreachable" in html.read_text(encoding="utf-8")
        print(f"check: exit {check.returncode} in {check_s:.2f} s")
        print(f"audit: exit {audit.returncode} in {audit_s:.2f} s ({audit_s - check_s:+.2f} s)")
        print(f"'archives unreachable' on stderr: {said} time(s); in the HTML report: {banner}")
        for line in audit.stderr.splitlines():
            if "archives unreachable" in line:
                print(f"  {line}")
        good = audit_s - check_s < 10 and said == 1 and banner
        print("as intended" if good else "NOT as intended")
        return 0 if good else 1
    finally:
        if server is not None:
            server.kill()
            server.wait()
        subprocess.run(["ip", "netns", "del", NAMESPACE], check=False)
        shutil.rmtree(etc, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
