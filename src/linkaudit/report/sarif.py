"""The SARIF 2.1.0 report: problems as code-scanning alerts on the content repo.

GitHub code scanning (and other SARIF viewers) annotate the Markdown/HTML source at
``file:line:column``, so a rotten citation shows up in review like a lint error.
One rule per verdict and reason code carries the help text; ``partialFingerprints``
leave out the line so an alert survives edits above it and is not reopened.
Only problems are results: passing citations would be noise in an alert list.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from linkaudit import __version__
from linkaudit.model import Finding, Report, Verdict
from linkaudit.reasons import Reason
from linkaudit.report.base import (
    anchor_label,
    capture_note,
    fix_text,
    moved_to,
    problems,
    target_url,
    utc_stamp,
)

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"

#: SARIF level per verdict (brief: errors need repair, warnings need a look, notes may pass).
LEVELS: dict[Verdict, str] = {
    Verdict.BROKEN: "error",
    Verdict.LOST: "error",
    Verdict.STALE: "error",
    Verdict.INVALID: "error",
    Verdict.MOVED: "warning",
    Verdict.FRAGMENT_MISSING: "warning",
    Verdict.INSECURE: "warning",
    Verdict.BLOCKED: "note",
    Verdict.UNREACHABLE: "note",
}

_VERDICT_HELP: dict[Verdict, str] = {
    Verdict.MOVED: "The link is permanently redirected to another live page. "
    "Update it to the new URL so readers (and search engines) skip the redirect.",
    Verdict.BROKEN: "The linked resource is definitively gone (404/410, the domain no longer "
    "exists, or the server keeps failing). Link an archived copy or a replacement source.",
    Verdict.STALE: "The server answers, but the cited content is gone (a soft 404, a redirect "
    "to the homepage, a parked domain). Link an archived copy of what was cited.",
    Verdict.BLOCKED: "The server refused to let linkaudit verify the link (bot challenge, "
    "paywall, rate limit). Not evidence that it is dead: check it in a browser.",
    Verdict.UNREACHABLE: "No usable answer within the limits (timeout, reset). Possibly "
    "transient: check again later before changing anything.",
    Verdict.INSECURE: "The site's TLS certificate fails (expired, self-signed, wrong host): "
    "readers' browsers will show a warning. Consider an archived copy or another source.",
    Verdict.FRAGMENT_MISSING: "The page is live but the #fragment it points to is not on it. "
    "Link the right section, or drop the fragment.",
    Verdict.INVALID: "This is not a usable URL (e.g. a space in the host, a missing host). "
    "Fix the typo.",
    Verdict.LOST: "Anchor text whose link is missing (stripped href, empty href, or '#'). "
    "Restore the original link; linkaudit recovers it from an archived copy when it can.",
}


def rule_id(f: Finding) -> str:
    return f"{f.verdict.value}/{f.reason}" if f.reason else f.verdict.value


def _reason_help(finding: Finding) -> str:
    """The reason's own sentence, except for lost links: how a link went missing
    changes nothing about what to do, which the verdict's help says."""
    reason = Reason.of(finding.reason)
    if reason is None or finding.verdict is Verdict.LOST:
        return ""
    return reason.help


def _rule(f: Finding) -> dict[str, Any]:
    verdict = f.verdict
    reason_help = _reason_help(f)
    verdict_help = _VERDICT_HELP.get(verdict, "")
    short = reason_help or verdict_help.split(". ")[0]
    full = f"{reason_help} {verdict_help}".strip()
    name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule_id(f)) if part)
    return {
        "id": rule_id(f),
        "name": name or "Link",
        "shortDescription": {"text": f"{verdict.value}: {short}" if short else verdict.value},
        "fullDescription": {"text": full or verdict.value},
        "help": {"text": full or verdict.value, "markdown": f"**{verdict.value}**: {full}"},
        "defaultConfiguration": {"level": LEVELS.get(verdict, "note")},
        "properties": {"tags": ["links", "citations", verdict.value]},
    }


def artifact_uri(origin: str, base_dir: Path | None = None) -> str:
    """The document as a SARIF artifact URI: a relative path for files in the repo."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", origin):
        return origin
    if origin == "<stdin>":
        return "stdin"
    path = Path(origin)
    if path.is_absolute():
        root = (base_dir or Path.cwd()).resolve()
        try:
            path = path.resolve().relative_to(root)
        except ValueError:
            return path.as_uri()
    return quote(PurePosixPath(*path.parts).as_posix(), safe="/-._~")


def fingerprint(f: Finding) -> str:
    """Stable across line moves: document, kind, URL as written and anchor text."""
    cit = f.citation
    material = "\x1f".join(
        (cit.document, cit.kind.value, cit.url_as_written or "", cit.text, f.verdict.value)
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def _message(f: Finding) -> str:
    url = target_url(f)
    what = f"\u201c{anchor_label(f)}\u201d" + (f" \u2192 {url}" if url else "")
    detail = f": {f.detail.rstrip('. ')}" if f.detail else ""
    text = f"{f.verdict.value.replace('_', ' ').capitalize()} link {what} ({f.reason}){detail}."
    fix = fix_text(f)
    if fix:
        return f"{text} Fix: {fix}."
    return f"{text} ({f.archive_note})" if f.archive_note else text


class SarifFormatter:
    """SARIF 2.1.0 (validated in the tests against the OASIS schema)."""

    name = "sarif"
    extension = "sarif"

    def __init__(self, base_dir: Path | None = None) -> None:
        self.base_dir = base_dir

    def render(self, report: Report, *, color: bool = False) -> str:
        found = problems(report)
        rules: dict[str, dict[str, Any]] = {}
        for f in found:
            rules.setdefault(rule_id(f), _rule(f))
        ordered_ids = sorted(rules)
        index = {rid: i for i, rid in enumerate(ordered_ids)}
        results = [self._result(f, index[rule_id(f)]) for f in found]
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "linkaudit",
                    "version": __version__,
                    "semanticVersion": __version__,
                    "rules": [rules[rid] for rid in ordered_ids],
                }
            },
            "invocations": [
                {
                    "executionSuccessful": True,
                    "startTimeUtc": utc_stamp(report.started_at),
                    "endTimeUtc": utc_stamp(report.finished_at),
                }
            ],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }
        log = {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"

    def _result(self, f: Finding, rule_index: int) -> dict[str, Any]:
        cit = f.citation
        properties: dict[str, Any] = {"verdict": f.verdict.value, "reason": f.reason}
        url = target_url(f)
        if url:
            properties["url"] = url
        if f.result is not None and f.result.final_url:
            properties["finalUrl"] = f.result.final_url
        new = moved_to(f)
        if new:
            properties["newUrl"] = new
        if f.archive is not None:
            properties["archiveUrl"] = f.archive.url
            properties["archiveCapturedAt"] = utc_stamp(f.archive.captured_at)
            properties["archiveNote"] = capture_note(f)
        if f.restoration is not None:
            properties["restoredUrl"] = f.restoration.url
        return {
            "ruleId": rule_id(f),
            "ruleIndex": rule_index,
            "level": LEVELS.get(f.verdict, "note"),
            "message": {"text": _message(f)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(cit.document, self.base_dir)},
                        "region": {
                            "startLine": cit.location.line,
                            "startColumn": cit.location.column,
                        },
                    }
                }
            ],
            "partialFingerprints": {"linkauditCitation/v1": fingerprint(f)},
            "properties": properties,
        }
