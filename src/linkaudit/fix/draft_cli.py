"""``linkaudit fix --post``: a WordPress post's repairs, shown and (``--apply``) written.

Where the audit comes from follows ``fix`` for files: ``--from-report``, else the
post's latest audit kept in the store (``linkaudit audit --post`` keeps one, and
so does a first ``fix --post`` without ``--apply``), else a fresh audit planned
as ``audit`` plans one.  The diff is always printed first; ``--apply`` then
writes the repaired content to the post (see :mod:`linkaudit.fix.draft` for the
checks before a write).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from linkaudit.fix.draft import apply_draft_fix, repair_draft
from linkaudit.fix.plan import Repair, summary_lines
from linkaudit.fix.report_json import report_from_json
from linkaudit.model import Report
from linkaudit.settings import RunInputs, plan_run
from linkaudit.sources.wordpress_draft import AUTH_ENV, DraftError, draft_ref, fetch_draft
from linkaudit.store import Store, document_key
from linkaudit.store.location import exists as store_exists

__all__ = ["fix_post"]


def _load_json_report(path: Path, origin: str) -> tuple[Report, str | None]:
    from linkaudit.errors import InputError

    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the JSON report ({exc})") from None
    sha = None
    for document in data.get("documents") or () if isinstance(data, dict) else ():
        if isinstance(document, dict) and document.get("origin") == origin:
            sha = document.get("sha256") if isinstance(document.get("sha256"), str) else None
    return report_from_json(data), sha


def fix_post(
    site: str | None,
    post: str,
    repairs: set[Repair],
    *,
    apply: bool,
    from_report: Path | None,
    backup_dir: Path,
    inputs: RunInputs,
    tell: Callable[[str], None],
    archive_gap: Callable[[Report], str] = lambda _report: "",
    needs_archives: bool = False,
) -> None:
    """Print the post's repair diff; with ``apply``, write the repairs to the post."""
    plan = plan_run(inputs)
    options = plan.request.sources
    auth = plan.request.collection.wordpress_auth
    ref = draft_ref(site, post)
    if apply and auth is None:
        raise DraftError(
            f"{ref.site}: writing to a post needs an application password: set "
            f'{AUTH_ENV}=user:application-password, or [sites."HOST"] wordpress_auth = "${{VAR}}"'
        )
    draft = fetch_draft(ref, auth, options)
    origin = ref.edit_url
    report: Report | None = None
    audited: str | None = None
    if from_report is not None:
        report, audited = _load_json_report(from_report, origin)
    elif plan.request.cache_path is not None and store_exists(plan.request.cache_path):
        with Store.open(plan.request.cache_path) as store:
            found = store.reports.latest(document_key(origin), plan.request.policy.max_age)
        if found is not None:
            stored = report_from_json(json.loads(found[0]))
            gap = archive_gap(stored)
            if gap and needs_archives:
                tell(f"not repairing from the stored audit of post {ref.post_id}: it {gap}")
            else:
                report, audited = stored, found[1]
                tell("repairing from the stored audit (no new requests)")
    if report is None:
        from linkaudit.runner import run

        report = run(plan.request).report
        audited = next((d.sha256 for d in report.documents if d.origin == origin), None)
    result = repair_draft(draft, report, repairs, audited_sha256=audited, options=options)
    for line in summary_lines(result.plan, documents=False):
        tell(line)
    sys.stdout.write(result.diff())
    sys.stdout.flush()
    if not result.changed:
        tell(f"post {ref.post_id} needs no change; nothing written")
        return
    if not apply:
        tell(f"dry run: post {ref.post_id} not changed (add --apply to write these repairs to it)")
        return
    assert auth is not None
    applied = apply_draft_fix(result, auth, backup_dir=backup_dir, options=options)
    assert applied is not None
    tell(
        f"wrote the repairs to post {ref.post_id} on {ref.site} (status {applied.written.status}, "
        f"unchanged); the replaced content is in {applied.backup}"
    )
