"""Write an audited article back with its repairs, changing nothing else.

The pieces, each usable alone:

* ``plan``: ``plan_fixes(report, repairs) -> list[Edit]``, pure; ``make_plan``
  also says which wanted repairs could not be made and why.
* ``rewrite``: ``Edit`` and ``apply_edits(text, edits)``: splices by source
  offsets, never re-serialises a tree; overlaps and changed sources are errors.
* ``formats``: files: HTML, Markdown (front matter kept), WordPress JSON (edits
  mapped into the ``content.rendered`` string, escaped in the file's style);
  diff, ``-o`` and ``--in-place`` (backup first, refuses a changed file).
* ``report_json``: ``report_from_json`` reads ``audit --format json`` back.
* ``cli``: the ``fix`` click command.

What would make "fix after audit sends no request" work from the store: a
``latest_report(source, max_age) -> Report | None`` on the store (findings with
their archive copies and restorations, plus each document's sha256 of the
audited bytes).  Until then ``fix --from-report`` gives the same guarantee.
"""

from __future__ import annotations

from linkaudit.fix.formats import FixResult, fix_file, read_source, write_in_place, write_new
from linkaudit.fix.plan import Plan, Repair, Skipped, make_plan, plan_fixes
from linkaudit.fix.report_json import report_from_json
from linkaudit.fix.rewrite import Edit, EditConflict, FixError, SourceMismatch, apply_edits

__all__ = [
    "Edit",
    "EditConflict",
    "FixError",
    "FixResult",
    "Plan",
    "Repair",
    "Skipped",
    "SourceMismatch",
    "apply_edits",
    "fix_file",
    "make_plan",
    "plan_fixes",
    "read_source",
    "report_from_json",
    "write_in_place",
    "write_new",
]
