"""The editor's desk without the web: audits queued, run, watched and repaired.

One :class:`Desk` lives as long as ``linkaudit serve``.  It keeps what makes the
command line slow to start warm between audits: the interpreter with every stage
imported, the configuration read once, and the store (the result cache and the
history), so a link checked for the first article is not fetched again for the
second within its ``max_age``.  Audits run one at a time on a worker thread (the
store is one SQLite file; two editors' audits queue rather than fight over it),
each planned by :func:`~linkaudit.settings.plan_run` exactly as ``linkaudit
audit`` plans one, so the desk and the command line give the same verdicts.

What an editor hands in becomes a source the command line knows: a URL, a
WordPress post (``--post``), or pasted or dropped text written to a private
temporary file with the extension of its kind (HTML or Markdown), so that
repairs are :func:`~linkaudit.fix.formats.fix_file` on that file, byte for byte
as ``linkaudit fix`` makes them.

When the desk is open to other machines (``public``), it must not become a way
into the network it stands in: every check refuses loopback, private and
link-local addresses (``exclude_all_private``), and so does every fetch of an
article or a WordPress post, on each redirect hop (:class:`GuardedTransport`).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from linkaudit.addresses import AddressKind, address_kind, internal_name
from linkaudit.check.client import Resolver
from linkaudit.errors import InputError, LinkauditError
from linkaudit.fix.draft import DraftFix, apply_draft_fix, repair_draft
from linkaudit.fix.formats import FixResult, fix_file
from linkaudit.fix.plan import Repair
from linkaudit.hosts import host_key, match_host
from linkaudit.model import CheckResult, Finding, Report, Verdict
from linkaudit.pipeline import Services
from linkaudit.report.base import (
    anchor_label,
    is_problem,
    moved_to,
    summary_line,
    target_url,
    what_to_do,
)
from linkaudit.runner import run
from linkaudit.settings import RunInputs, plan_run
from linkaudit.sources.base import origin_of
from linkaudit.sources.wordpress_draft import (
    AUTH_ENV,
    DraftError,
    draft_ref,
    fetch_draft,
)

#: What an editor may hand in, and the file extension pasted text is audited as.
KINDS = ("url", "html", "markdown", "wordpress")
_EXTENSIONS = {"html": ".html", "markdown": ".md"}
#: The repairs the desk offers, in the order it lists them.
REPAIRS = (Repair.REPLACE_DEAD, Repair.UPDATE_MOVED, Repair.RESTORE_LOST)
#: The most text accepted from the page (the command line's own input limit).
MAX_TEXT = 10 * 1024 * 1024
_DEAD = frozenset({Verdict.BROKEN, Verdict.STALE})
_KEEP = 50  # finished audits kept for their reports and repairs


class DeskError(LinkauditError):
    """A request the desk cannot do (shown to the editor as one line)."""

    exit_code = 2


def _repairable(finding: Finding, repair: Repair) -> bool:
    if repair is Repair.REPLACE_DEAD:
        return finding.archive is not None and finding.verdict in _DEAD
    if repair is Repair.UPDATE_MOVED:
        return moved_to(finding) is not None
    return finding.restoration is not None


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that will not connect to the machine's own network.

    Each request (so each redirect hop) has its host resolved and refused when
    any address is loopback, private or link-local, or the name is one that only
    a private network resolves.  The connection then goes to the address just
    judged (the name kept for ``Host`` and TLS), so a name that resolves to a
    public address for the check and to 127.0.0.1 for the connection (DNS
    rebinding) gains nothing.  This guards article and WordPress fetches; the
    checker has its own guard (``exclude_addresses``), applied after its own
    resolution.  ``resolve`` (host, port -> addresses) is the system's by default.
    """

    def __init__(
        self,
        excluded: frozenset[AddressKind],
        resolve: Callable[[str, int], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.excluded = excluded
        self.resolve = resolve or _system_resolve

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.host
        if internal_name(host):
            raise httpx.ConnectError(f"refused: {host} is a private network name")
        literal = address_kind(host) is not None or _is_address(host)
        try:
            addresses = [host] if literal else self.resolve(host, url.port or 443)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from None
        if not addresses:
            raise httpx.ConnectError(f"cannot resolve {host}")
        for address in addresses:
            kind = address_kind(address)
            if kind is not None and kind in self.excluded:
                raise httpx.ConnectError(f"refused: {host} is on a {kind.value} address")
        if not literal:  # connect to the address judged, not to a second lookup's
            request.url = url.copy_with(host=addresses[0])
            request.extensions = {**request.extensions, "sni_hostname": host}
        return super().handle_request(request)


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass
class Job:
    """One audit, as the page sees it while it runs and after."""

    id: str
    kind: str
    label: str
    state: str = "queued"  # queued, running, done, failed
    total: int = 0
    checked: int = 0
    archive_done: int = 0
    archive_total: int = 0
    live: list[dict[str, str]] = field(default_factory=list)  # verdicts as they come
    error: str | None = None
    report: Report | None = None
    path: Path | None = None  # pasted or dropped text, as a file
    filename: str | None = None
    site: str | None = None
    post: str | None = None
    queued_at: float = field(default_factory=time.monotonic)
    first_verdict_at: float | None = None
    finished_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_total(self, total: int) -> None:
        self.total = total

    def on_result(self, result: CheckResult) -> None:
        with self.lock:
            self.checked += 1
            if self.first_verdict_at is None:
                self.first_verdict_at = time.monotonic()
            self.live.append(
                {"url": result.url, "verdict": result.verdict.value, "reason": result.reason}
            )

    def on_archive(self, done: int, total: int) -> None:
        self.archive_done, self.archive_total = done, total

    @property
    def target(self) -> str | None:
        """Where repairs go: a file to download, the WordPress post, or nowhere (a URL)."""
        if self.kind == "wordpress":
            return "wordpress"
        return "file" if self.path is not None else None


@dataclass(frozen=True)
class Preview:
    """Repairs planned and shown: the diff, and its hash that an apply must quote."""

    diff: str
    edits: int
    skipped: tuple[str, ...]
    changed: bool
    fixed: bytes | str
    digest: str


class Desk:
    """Audits for the web page: submit, watch, read the report, repair.

    ``inputs`` is the run every audit starts from (configuration file, overrides
    such as ``exclude_all_private``, the archive mirror); ``public`` guards every
    fetch as the module says.  ``environ`` supplies the WordPress application
    password (never the page).
    """

    def __init__(
        self,
        inputs: RunInputs | None = None,
        *,
        public: bool = False,
        workdir: Path | None = None,
        backup_dir: Path | None = None,
        resolver: Resolver | None = None,
        wordpress_sites: tuple[str, ...] = (),
    ) -> None:
        base = inputs or RunInputs()
        self.public = public
        self.resolver = resolver  # the checker's name resolution (tests, the screenshot)
        #: The sites the environment's application password may be sent to
        #: (``serve --wordpress-site``); a host with its own ``wordpress_auth`` needs none.
        self.wordpress_sites = wordpress_sites
        if public:
            overrides = dict(base.overrides)
            if overrides.get("exclude_all_private") is None:
                overrides["exclude_all_private"] = True
            base = replace(base, overrides=overrides)
        self.inputs = replace(base, archive=True, command="serve")
        # a bad configuration fails at start, not at the first audit
        self.config = plan_run(replace(self.inputs, sources=("-",))).config
        self._temp = tempfile.TemporaryDirectory(prefix="linkaudit-desk-")
        self.workdir = workdir or Path(self._temp.name)
        self.backup_dir = backup_dir or self.workdir / "backups"
        self.jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkaudit-desk")
        self._lock = threading.Lock()
        self._transport: httpx.BaseTransport | None = None
        if public:
            self._transport = GuardedTransport(
                frozenset({AddressKind.LOOPBACK, AddressKind.PRIVATE, AddressKind.LINK_LOCAL})
            )

    def wordpress_auth_available(self) -> bool:
        """Whether drafts can be read: a password in the environment or the configuration."""
        configured = any(site.wordpress_auth for site in self.config.sites.values())
        return configured or bool(os.environ.get(AUTH_ENV, "").strip())

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._temp.cleanup()

    # -- submitting ----------------------------------------------------------------

    def submit(self, request: dict[str, Any]) -> Job:
        """Queue an audit of what the page sent; raises :class:`DeskError` on bad input."""
        kind = request.get("kind")
        if kind not in KINDS:
            raise DeskError(f"unknown kind of input {kind!r}; one of {', '.join(KINDS)}")
        job_id = f"{next(self._ids)}-{secrets.token_hex(4)}"
        if kind == "url":
            url = _text(request, "url").strip()
            if not url.lower().startswith(("http://", "https://")):
                raise DeskError("give the article's http(s) address")
            job = Job(job_id, kind, url)
        elif kind == "wordpress":
            site, post = _text(request, "site").strip(), _text(request, "post").strip()
            try:
                ref = draft_ref(site or None, post)
            except InputError as exc:
                raise DeskError(str(exc)) from None
            job = Job(job_id, kind, f"post {ref.post_id} on {ref.site}", site=site or None)
            job.post = post
            self._inputs(job)  # refused here, before it is queued, if the site is not allowed
        else:
            text = _text(request, "text")
            if not text.strip():
                raise DeskError("paste or drop an article first")
            if len(text.encode("utf-8")) > MAX_TEXT:
                raise DeskError(f"the article is larger than {MAX_TEXT} bytes")
            name = _safe_name(_text(request, "filename"), _EXTENSIONS[kind])
            folder = self.workdir / job_id
            folder.mkdir(parents=True)
            job = Job(job_id, kind, name, path=folder / name, filename=name)
            assert job.path is not None
            job.path.write_bytes(text.encode("utf-8"))
        with self._lock:
            self.jobs[job_id] = job
            finished = [j for j in self.jobs.values() if j.state in ("done", "failed")]
            for old in finished[:-_KEEP]:
                del self.jobs[old.id]
        self._pool.submit(self._run, job)
        return job

    def _password_may_go_to(self, site: str) -> bool:
        """Whether this site may be sent a password: named at start, or configured.

        The page names the site, and a page must not be able to send the editor's
        password to a server of its choosing (a typo, or another user of a desk
        open to the network)."""
        origin = origin_of(site)
        if any(
            origin_of(draft_ref(allowed, "1").site) == origin for allowed in self.wordpress_sites
        ):
            return True
        host = urlsplit(site).hostname or ""
        configured = {n: s for n, s in self.config.sites.items() if s.wordpress_auth}
        return match_host(configured, host_key(host)) is not None

    def _inputs(self, job: Job) -> RunInputs:
        if job.kind == "wordpress":
            assert job.post is not None
            site = draft_ref(job.site, job.post).site
            if not self._password_may_go_to(site):
                raise DeskError(
                    f"this desk does not send its WordPress password to {site}: start it with "
                    f"`linkaudit serve --wordpress-site {site}`, or configure "
                    f'[sites."{urlsplit(site).hostname}"] wordpress_auth'
                )
            return replace(self.inputs, wordpress=job.site, post=job.post)
        source = str(job.path) if job.path is not None else job.label
        return replace(self.inputs, sources=(source,))

    def _run(self, job: Job) -> None:
        job.state = "running"
        try:
            plan = plan_run(self._inputs(job))
            request = plan.request
            if self._transport is not None:
                request = replace(
                    request, sources=replace(request.sources, transport=self._transport)
                )
            services = Services(
                resolver=self.resolver,
                progress=job.on_result,
                on_total=job.on_total,
                on_archive=job.on_archive,
            )
            outcome = run(request, services)
            if outcome.network_down is not None:
                raise DeskError(outcome.network_down)
            job.report = outcome.report
            job.state = "done"
        except LinkauditError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # the page must hear of it; the desk must live on
            job.error, job.state = f"the audit failed unexpectedly ({type(exc).__name__})", "failed"
        finally:
            job.finished_at = time.monotonic()

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise DeskError("no such audit (the desk keeps the last 50)")
        return job

    # -- what the page shows ---------------------------------------------------------

    def status(self, job: Job) -> dict[str, Any]:
        with job.lock:
            live = list(job.live)
        out: dict[str, Any] = {
            "id": job.id,
            "kind": job.kind,
            "label": job.label,
            "state": job.state,
            "total": job.total,
            "checked": job.checked,
            "archive_done": job.archive_done,
            "archive_total": job.archive_total,
            "live": live,
            "error": job.error,
            "target": job.target,
        }
        report = job.report
        if report is not None:
            out["summary"] = summary_line(report)
            out["findings"] = [_finding(f, report) for f in _in_order(report)]
            out["repairs"] = {
                repair.value: sum(1 for f in report.findings if _repairable(f, repair))
                for repair in REPAIRS
            }
        return out

    # -- repairs ---------------------------------------------------------------------

    def preview(self, job: Job, repairs: set[Repair]) -> Preview:
        """The repairs as a diff (nothing written anywhere)."""
        report = self._finished(job)
        if job.kind == "wordpress":
            result = self._draft_fix(job, report, repairs)
            diff = result.diff()
            return Preview(
                diff,
                len(result.plan.edits),
                tuple(s.why for s in result.plan.skipped),
                result.changed,
                result.fixed,
                _digest(diff),
            )
        if job.path is None:
            raise DeskError(
                "an article read from its URL cannot be repaired here: paste its source"
            )
        document = report.documents[0] if report.documents else None
        fixed: FixResult = fix_file(
            job.path, report, repairs, audited_sha256=document.sha256 if document else None
        )
        diff = fixed.diff(job.filename)
        return Preview(
            diff,
            len(fixed.plan.edits),
            tuple(s.why for s in fixed.plan.skipped),
            fixed.changed,
            fixed.fixed_bytes,
            _digest(diff),
        )

    def _finished(self, job: Job) -> Report:
        if job.report is None:
            raise DeskError("the audit has not finished")
        return job.report

    def _draft_fix(self, job: Job, report: Report, repairs: set[Repair]) -> DraftFix:
        plan = plan_run(self._inputs(job))
        auth = plan.request.collection.wordpress_auth
        assert job.post is not None
        draft = fetch_draft(draft_ref(job.site, job.post), auth, self._sources(plan))
        return repair_draft(draft, report, repairs, options=self._sources(plan))

    def _sources(self, plan: Any) -> Any:
        sources = plan.request.sources
        return sources if self._transport is None else replace(sources, transport=self._transport)

    def apply(self, job: Job, repairs: set[Repair], digest: str) -> dict[str, Any]:
        """Write the repairs to the WordPress post, if they are the diff the editor saw."""
        if job.kind != "wordpress":
            raise DeskError("only a WordPress post is written back; download the repaired file")
        report = self._finished(job)
        plan = plan_run(self._inputs(job))
        auth = plan.request.collection.wordpress_auth
        if auth is None:
            raise DraftError(
                f"writing to a post needs an application password in the desk's environment "
                f"({AUTH_ENV}=user:application-password); it is never typed into the page"
            )
        result = self._draft_fix(job, report, repairs)
        if _digest(result.diff()) != digest:
            raise DeskError(
                "the post or its repairs changed since the diff was shown: review again"
            )
        applied = apply_draft_fix(
            result, auth, backup_dir=self.backup_dir, options=self._sources(plan)
        )
        if applied is None:
            return {"written": False, "message": "nothing to change"}
        return {
            "written": True,
            "status": applied.written.status,
            "message": f"wrote the repairs ({len(result.plan.edits)} edit(s)) to post "
            f"{result.draft.ref.post_id}; it is still a {applied.written.status}",
        }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(request: dict[str, Any], key: str) -> str:
    value = request.get(key, "")
    if not isinstance(value, str):
        raise DeskError(f"{key} must be text")
    return value


def _safe_name(name: str, extension: str) -> str:
    """A dropped file's name, reduced to harmless characters, with the kind's extension."""
    stem = Path(name.replace("\\", "/")).name.rsplit(".", 1)[0] if name else "article"
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem).strip("-")[:60]
    return (stem or "article") + extension


def _in_order(report: Report) -> list[Finding]:
    """Problems first (by verdict severity), then the rest, each in document order."""
    return sorted(
        report.findings,
        key=lambda f: (not is_problem(f.verdict), f.citation.location.line),
    )


def _finding(finding: Finding, report: Report) -> dict[str, Any]:
    """One row of the desk's table: plain strings, which the page inserts as text."""
    archive = finding.archive
    return {
        "verdict": finding.verdict.value,
        "reason": finding.reason,
        "text": anchor_label(finding),
        "url": target_url(finding) or "",
        "line": finding.citation.location.line,
        "todo": what_to_do(finding, report),
        "archive": archive.url if archive is not None else None,
        "problem": is_problem(finding.verdict),
    }


Submit = Callable[[dict[str, Any]], Job]
