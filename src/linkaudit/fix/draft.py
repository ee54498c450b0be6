"""Repairs for a WordPress draft, written back to the same post over the REST API.

The draft's ``content.raw`` is the audited text itself (no file, no JSON string
around it), so the plan's edits apply to it directly.  Nothing is written unless
asked (``apply``): the default is the diff.  Before a write, in this order:

* the audit must be of this content: a report that recorded the content's hash
  must match it, and a post whose ``modified_gmt`` is later than the audit's
  start was edited since (:class:`~linkaudit.sources.wordpress_draft.DraftChanged`);
* a local backup of the content being replaced is written and read back;
* :func:`~linkaudit.sources.wordpress_draft.write_draft` reads the post once more
  and refuses if it changed since it was read here, then sends ``content`` only,
  so the post's status never changes (a draft is never published by a repair).

The command line (``linkaudit fix --post``) and ``linkaudit serve`` both use
:func:`repair_draft` and :func:`apply_draft_fix`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from linkaudit.fix.formats import unified_diff
from linkaudit.fix.plan import Plan, Repair, make_plan
from linkaudit.fix.rewrite import FixError, apply_edits
from linkaudit.model import Report
from linkaudit.sources.base import SourceOptions
from linkaudit.sources.wordpress_draft import (
    AppPassword,
    Draft,
    DraftChanged,
    draft_json,
    write_draft,
)

__all__ = ["DEFAULT_BACKUP_DIR", "DraftFix", "apply_draft_fix", "repair_draft"]

#: Where backups of replaced draft content go, relative to the working directory.
DEFAULT_BACKUP_DIR = Path("linkaudit-backups")


@dataclass(frozen=True)
class DraftFix:
    """The repaired content of a draft, not yet written."""

    draft: Draft
    plan: Plan
    fixed: str

    @property
    def changed(self) -> bool:
        return self.fixed != self.draft.raw

    def diff(self) -> str:
        label = f"{self.draft.ref.site.split('://', 1)[-1]}/post-{self.draft.ref.post_id}.html"
        return unified_diff(self.draft.raw, self.fixed, label)


def _refuse_if_changed(draft: Draft, report: Report, audited_sha256: str | None) -> None:
    """The audit must be of the draft as it is now (see the module's first rule)."""
    origin = draft.ref.edit_url
    audited = next((d for d in report.documents if d.origin == origin), None)
    if audited is None:
        names = ", ".join(d.origin for d in report.documents[:3]) or "nothing"
        raise FixError(f"{origin}: the audit is of {names}, not this post")
    recorded = audited_sha256 or audited.sha256
    if recorded is not None and recorded != draft.sha256:
        raise DraftChanged(
            f"{origin}: the post's content changed since it was audited; nothing written: "
            "audit it again"
        )
    modified = draft.modified
    if modified is not None and modified > report.started_at.astimezone(UTC):
        raise DraftChanged(
            f"{origin}: the post was modified after the audit (modified_gmt "
            f"{draft.modified_gmt}, audit started {report.started_at:%Y-%m-%dT%H:%M:%S}); "
            "nothing written: audit it again"
        )


def repair_draft(
    draft: Draft,
    report: Report,
    repairs: Iterable[Repair],
    *,
    audited_sha256: str | None = None,
    options: SourceOptions | None = None,
) -> DraftFix:
    """Plan ``repairs`` from ``report`` on the draft's current content.

    Raises :class:`DraftChanged` when the report is not of this content, and
    ``EditConflict``/``SourceMismatch`` from the planner and the splicer.
    """
    _refuse_if_changed(draft, report, audited_sha256)
    origin = draft.ref.edit_url
    document = draft.document(options)
    rebased = replace(
        report,
        documents=(document,),
        findings=tuple(f for f in report.findings if f.citation.document == origin),
    )
    plan = make_plan(rebased, repairs)
    return DraftFix(draft, plan, apply_edits(draft.raw, plan.edits))


def _backup_name(draft: Draft) -> str:
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", draft.ref.site.split("://", 1)[-1]).strip("_")
    stamp = re.sub(r"[^0-9T]", "", draft.modified_gmt) or "unknown"
    return f"{host}-post-{draft.ref.post_id}-{stamp}.json"


def _write_backup(draft: Draft, directory: Path) -> Path:
    """The content about to be replaced, in a new file (never over an existing one)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / _backup_name(draft)
    counter = 1
    while path.exists():
        path = directory / f"{path.stem.rsplit('.', 1)[0]}.{counter}.json"
        counter += 1
    data = draft_json(draft).encode("utf-8")
    with path.open("xb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    if path.read_bytes() != data:
        raise FixError(f"{path}: the backup did not read back intact; the post was not written")
    return path


@dataclass(frozen=True)
class Applied:
    """What a write did: the post as WordPress answered, and where the backup is."""

    written: Draft
    backup: Path
    at: datetime


def apply_draft_fix(
    result: DraftFix,
    auth: AppPassword,
    *,
    backup_dir: Path = DEFAULT_BACKUP_DIR,
    options: SourceOptions | None = None,
) -> Applied | None:
    """Back up the draft's content, then write the repaired content to the same post.

    None when there is nothing to write.  Raises :class:`DraftChanged` (and writes
    nothing to the site) when the post changed since ``result.draft`` was read.
    """
    if not result.changed:
        return None
    backup = _write_backup(result.draft, backup_dir)
    written = write_draft(result.draft, result.fixed, auth, options)
    return Applied(written, backup, datetime.now(UTC))
