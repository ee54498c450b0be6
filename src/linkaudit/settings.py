"""From configuration (file + command line) to one run: the only bridge.

``config.Config`` only validates; each stage has its own frozen options with its
own defaults (declared once, there).  :func:`plan_run` is the one call that turns
what a caller asks for (:class:`RunInputs`: sources, a config file or discovery,
command-line overrides, flags) into a :class:`RunPlan`, so the CLI, the GitHub
Action and library users who start from a ``linkaudit.toml`` get exactly the same
run.  The settings a report shows and the history stores are
:func:`run_settings` of that plan: what the run used, defaults included.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from linkaudit import DEFAULT_USER_AGENT
from linkaudit.addresses import AddressKind
from linkaudit.archive import ArchiveOptions
from linkaudit.archive.base import DEFAULT_TIMEGATES, WAYBACK
from linkaudit.check import CheckOptions
from linkaudit.check.local import LocalOptions
from linkaudit.check.options import USER_NAMES, HostSettings
from linkaudit.config import Config, HostConfig, Secret, load_config
from linkaudit.hosts import host_key, match_host
from linkaudit.model import BodySelectors, ConfirmPolicy, Verdict
from linkaudit.pipeline import AuditOptions, audit_settings
from linkaudit.runner import RunRequest
from linkaudit.sources.base import DEFAULT_MAX_BYTES, SourceOptions
from linkaudit.sources.collect import Collection
from linkaudit.store.base import CachePolicy
from linkaudit.store.location import DEFAULT_PATH, shown

if TYPE_CHECKING:  # imported where used: only --changed-since and --post runs need them
    from linkaudit.sources.wordpress_draft import AppPassword


@dataclass(frozen=True)
class RunInputs:
    """What one invocation asks for, as the command line (or the Action, or a
    library caller) says it.

    ``overrides`` are configuration keys given on the command line (``per_host``,
    ``fail_on``, ``no_cache`` …): None means "not given", anything else is
    validated exactly as the file's value would be and replaces it.  The other
    fields are what a run needs that is not a setting: what to read, and flags.
    """

    sources: tuple[str, ...] = ()
    config: Path | None = None  # --config; None: discover from ``cwd`` upwards
    cwd: Path | None = None  # where discovery and ``git`` start (default: the process's)
    overrides: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    base_url: str | None = None
    cited_at: datetime | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    wordpress: str | None = None
    post: str | None = None  # one post of ``wordpress`` (an id or its URL), read for editing
    modified_after: datetime | None = None
    sitemap: str | None = None
    changed_since: str | None = None
    allow_empty: bool = False  # a folder with no documents is not an error
    insecure: bool = False
    offline: bool = False
    archive: bool = True  # look up archived copies (``check`` does not)
    use_all_archives: bool = False
    save: bool = False
    wayback_url: str | None = None
    confirm: ConfirmPolicy = field(default_factory=ConfirmPolicy)
    #: Which command the run is for (``audit``, ``check``, ``fix``): recorded with
    #: the run, so the health report can tell a whole-site audit from a quick check.
    command: str | None = None


@dataclass(frozen=True)
class RunPlan:
    """A run, ready to go: the request and what decides its exit code."""

    request: RunRequest
    config: Config
    fail_on: frozenset[Verdict]


def plan_run(inputs: RunInputs) -> RunPlan:
    """Everything a command decides before the first request, in one place.

    Raises ``ConfigError`` (a bad file or override) and ``InputError`` (e.g. a
    ``--changed-since`` ref git does not know) before any network work.
    """
    cwd = inputs.cwd or Path.cwd()
    config = load_config(cwd, inputs.config).merged_with(**_overrides(inputs))
    config = with_github_token(config, os.environ.get(GITHUB_TOKEN_ENV))
    changed, removed = None, None
    if inputs.changed_since:
        from linkaudit.sources.changed import changes_since

        changed, removed = changes_since(inputs.changed_since, cwd)
    site, post = inputs.wordpress, inputs.post
    if site and not post:
        from linkaudit.sources.wordpress_draft import post_in_url

        if post_in_url(site):  # --wordpress with one post's URL
            site, post = None, site
    collection = Collection(
        specs=inputs.sources,
        include=config.include_paths,
        exclude=config.exclude_paths,
        wordpress=site,
        modified_after=inputs.modified_after,
        sitemap=inputs.sitemap,
        # a removed file or heading breaks links in files the change did not touch
        changed=None if removed else changed,
        allow_empty=inputs.allow_empty,
        post=post,
        wordpress_auth=wordpress_auth(config, site, post, os.environ) if post else None,
    )
    options = audit_options(
        config,
        insecure=inputs.insecure,
        offline=inputs.offline,
        archive=inputs.archive,
        wayback_url=config.wayback_url,
        cited_at=config.cited_at,
        save=inputs.save,
        use_all_archives=inputs.use_all_archives,
    )
    request = RunRequest(
        collection=collection,
        sources=SourceOptions(
            base_url=config.base_url,
            cited_at=config.cited_at,
            max_bytes=inputs.max_bytes,
            user_agent=config.user_agent or DEFAULT_USER_AGENT,
        ),
        audit=replace(
            options,
            changed_lines=changed,
            removed=removed or None,
            # an audit keeps what each ok page says, for later drift checks (issue 19)
            first_observations=inputs.command == "audit",
        ),
        cache_path=None if config.no_cache else (config.cache or DEFAULT_PATH),
        policy=cache_policy(config),
        confirm=inputs.confirm,
        politeness_key=config.politeness_key or "host",
    )
    fail_on = frozenset(config.fail_on)
    settings = {
        **run_settings(config, request, fail_on),
        "command": inputs.command,
        "changed_since": inputs.changed_since,
    }
    return RunPlan(replace(request, settings=settings), config, fail_on)


#: The environment variable holding a GitHub token (the Action's ``token`` input).
GITHUB_TOKEN_ENV = "LINKAUDIT_GITHUB_TOKEN"
#: The hosts that token is sent to, and no other (a redirect elsewhere drops it).
GITHUB_HOSTS = (
    "github.com",
    "api.github.com",
    "gist.github.com",
    "raw.githubusercontent.com",
    "gist.githubusercontent.com",
)


def with_github_token(config: Config, token: str | None) -> Config:
    """``config`` with ``Authorization: Bearer <token>`` for GitHub's own hosts.

    GitHub answers a robot's requests for repository pages with 429s long before a
    site of a few hundred links is checked; an authenticated request has a far
    larger budget.  The token becomes a :class:`~linkaudit.config.Secret` (never
    printed, ``***`` in reports and history), goes to :data:`GITHUB_HOSTS` only,
    and never replaces an ``Authorization`` header configured for one of them.
    """
    if not token or not token.strip():
        return config
    secret = Secret(f"Bearer {token.strip()}", (GITHUB_TOKEN_ENV,))
    hosts = dict(config.hosts)
    for name in GITHUB_HOSTS:
        host = hosts.get(name, HostConfig())
        if not any(header.lower() == "authorization" for header in host.headers):
            headers = MappingProxyType({**host.headers, "Authorization": secret})
            hosts[name] = replace(host, headers=headers)
    return replace(config, hosts=MappingProxyType(hosts))


def wordpress_auth(
    config: Config, site: str | None, post: str | None, environ: Mapping[str, str]
) -> AppPassword | None:
    """The application password for a site's drafts: ``[sites."host"] wordpress_auth``
    when configured for the post's host, else :data:`AUTH_ENV`; None when neither is set."""
    from linkaudit.sources.wordpress_draft import AUTH_ENV, AppPassword, draft_ref

    host = urlsplit(draft_ref(site, post).site).hostname if post else None
    if host:
        found = match_host(
            {name: s.wordpress_auth for name, s in config.sites.items() if s.wordpress_auth},
            host_key(host),
        )
        if found is not None:
            return AppPassword.parse(found.reveal(), f"wordpress_auth of {host}")
    value = environ.get(AUTH_ENV, "")
    return AppPassword.parse(value, AUTH_ENV) if value.strip() else None


def _overrides(inputs: RunInputs) -> dict[str, object]:
    """The command line's settings: its overrides, and the inputs that are settings
    too (``base_url``, ``cited_at``, ``wayback_url``: also configuration keys)."""
    given = {
        "base_url": inputs.base_url,
        "cited_at": inputs.cited_at,
        "wayback_url": inputs.wayback_url,
    }
    return {**inputs.overrides, **{k: v for k, v in given.items() if v is not None}}


def run_settings(
    config: Config, request: RunRequest, fail_on: frozenset[Verdict]
) -> dict[str, object]:
    """The settings a run used, defaults included, as its reports show them and its
    history stores them (secrets masked)."""
    ordered = [v.value for v in Verdict if v in fail_on]
    return {
        **audit_settings(request.audit),
        "base_url": config.base_url,
        "root_dir": str(config.root_dir) if config.root_dir else None,
        "anchor_style": request.audit.local.anchor_style.value,
        "repository": config.repository,
        "config": str(config.source) if config.source else None,
        "include_paths": list(config.include_paths),
        "exclude_paths": list(config.exclude_paths),
        "fail_on": ordered,
        "cache": shown(request.cache_path),  # a DSN's password masked
        "max_age": request.policy.max_age.total_seconds(),
        "max_age_ok": request.policy.max_age_ok.total_seconds(),
        "confirm_runs": request.confirm.runs,
        "confirm_days": request.confirm.days,
        "hosts": {name: conf.to_dict() for name, conf in config.hosts.items()},
    }


def cache_policy(config: Config) -> CachePolicy:
    """How long stored answers are trusted: the configured ages, else the store's."""
    base = CachePolicy()
    return replace(
        base,
        max_age=base.max_age if config.max_age is None else config.max_age,
        max_age_ok=base.max_age_ok if config.max_age_ok is None else config.max_age_ok,
    )


def check_options(config: Config, *, insecure: bool = False) -> CheckOptions:
    """Engine settings: the file's values where given, the engine's defaults elsewhere."""
    values: dict[str, Any] = {"verify_tls": not insecure}
    for name, attribute in USER_NAMES.items():
        value = getattr(config, name)
        if value is not None:
            values[attribute] = value
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
    excluded = excluded_addresses(config)
    if excluded:
        values["exclude_addresses"] = excluded
    return CheckOptions(**values)


def excluded_addresses(config: Config) -> frozenset[AddressKind]:
    """The address kinds the run must not connect to (``exclude_*`` settings)."""
    every = bool(config.exclude_all_private)
    chosen = {
        AddressKind.PRIVATE: every or bool(config.exclude_private),
        AddressKind.LOOPBACK: every or bool(config.exclude_loopback),
        AddressKind.LINK_LOCAL: every or bool(config.exclude_link_local),
    }
    return frozenset(kind for kind, on in chosen.items() if on)


def archive_options(config: Config, *, wayback_url: str | None = None) -> ArchiveOptions:
    """Which archives to ask, in the configured order (Wayback first by default), and
    who is asking."""
    defaults = ArchiveOptions()
    base = replace(
        defaults,
        user_agent=config.user_agent or DEFAULT_USER_AGENT,
        requests_per_minute=config.archive_rate or defaults.requests_per_minute,
        timegate_requests_per_minute=config.timegate_rate or defaults.timegate_requests_per_minute,
        saves_per_minute=config.save_rate or defaults.saves_per_minute,
    )
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
    base = AuditOptions()
    return AuditOptions(
        scope=config.scope or base.scope,
        include_internal=(
            base.include_internal if config.include_internal is None else config.include_internal
        ),
        exclude=tuple(p.pattern for p in config.exclude),
        cited_at=cited_at,
        check=check_options(config, insecure=insecure),
        archive=archives,
        archive_all=base.archive_all if config.archive_all is None else config.archive_all,
        browser=base.browser if config.browser is None else config.browser,
        drift=base.drift if config.drift is None else config.drift,
        run_deadline=config.run_deadline,
        save=save,
        offline=offline,
        accept=accept,
        bodies=body_selectors(config),
        local=local_options(config),
    )


def local_options(config: Config) -> LocalOptions:
    """How local links are checked: the root, the anchor rules, the repository's address."""
    return LocalOptions(
        root=config.root_dir,
        anchor_style=config.anchor_style or LocalOptions.anchor_style,
        repository=config.repository,
    )


def body_selectors(config: Config) -> BodySelectors:
    """Where the article body is on the configured sites (``[sites."host"] body``)."""
    return BodySelectors(
        tuple((name, site.body) for name, site in config.sites.items() if site.body)
    )
