"""From validated configuration (file + command line) to the options of each stage.

``config.Config`` only validates; each stage has its own frozen options with its
own defaults.  This module is the one place that maps one onto the other, so the
CLI, the GitHub Action and library users who start from a ``linkaudit.toml`` get
exactly the same run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from linkaudit.archive import ArchiveOptions
from linkaudit.archive.base import DEFAULT_TIMEGATES, WAYBACK
from linkaudit.check import CheckOptions
from linkaudit.check.options import HostSettings
from linkaudit.config import Config
from linkaudit.pipeline import AuditOptions


def check_options(config: Config, *, insecure: bool = False) -> CheckOptions:
    """Engine settings: the file's values where given, the engine's defaults elsewhere."""
    base = CheckOptions()
    values: dict[str, object] = {
        "max_redirects": config.max_redirects,
        "check_fragments": config.check_fragments,
        "verify_tls": not insecure,
    }
    for field, value in (
        ("concurrency", config.concurrency),
        ("per_host", config.per_host),
        ("host_interval", config.host_interval),
        ("timeout_read", config.timeout),
        ("timeout_connect", config.connect_timeout),
        ("deadline", config.deadline),
        ("max_retries", config.max_retries),
        ("max_retry_wait", config.max_retry_wait),
        ("user_agent", config.user_agent),
    ):
        if value is not None:
            values[field] = value
    hosts = {
        name: HostSettings(
            concurrency=conf.concurrency,
            interval=conf.interval,
            timeout=conf.timeout,
            headers=conf.http_headers(),  # secrets revealed here, for requests only
        )
        for name, conf in config.hosts.items()
    }
    if hosts:
        values["hosts"] = hosts
    return replace(base, **values)  # type: ignore[arg-type]


def archive_options(config: Config, *, wayback_url: str | None = None) -> ArchiveOptions:
    """Which archives to ask, in the configured order (Wayback first by default)."""
    base = ArchiveOptions()
    if wayback_url:
        base = replace(base, wayback_url=wayback_url.rstrip("/"))
    if not config.archives:
        return base
    known = dict(DEFAULT_TIMEGATES)
    gates = tuple(
        (spec.name, spec.timegate or known[spec.name])
        for spec in config.archives
        if spec.name != WAYBACK and (spec.timegate or spec.name in known)
    )
    return replace(base, timegates=gates)


def audit_options(
    config: Config,
    *,
    insecure: bool = False,
    offline: bool = False,
    archive: bool = True,
    wayback_url: str | None = None,
    cited_at: datetime | None = None,
    save: bool = False,
    use_all_archives: bool = False,
) -> AuditOptions:
    """The whole run's options from configuration plus the flags that are not settings."""
    archives = None
    if archive and not offline:
        archives = replace(
            archive_options(config, wayback_url=wayback_url), use_all_archives=use_all_archives
        )
    accept = {
        name: frozenset(s for lo, hi in conf.accept for s in range(lo, hi + 1))
        for name, conf in config.hosts.items()
        if conf.accept
    }
    return AuditOptions(
        scope=config.scope,
        include_internal=config.include_internal,
        exclude=tuple(p.pattern for p in config.exclude),
        cited_at=cited_at,
        check=check_options(config, insecure=insecure),
        archive=archives,
        archive_all=config.archive_all,
        save=save,
        offline=offline,
        accept=accept,
    )
