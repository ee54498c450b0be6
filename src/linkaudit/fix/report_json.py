"""Read a JSON report (``linkaudit audit --format json``) back into model objects.

``fix --from-report`` uses it so a fix after an audit sends no request at all.
Tolerant by design: unknown fields (from a newer linkaudit) are ignored,
missing optional ones take their defaults, and document texts, which the JSON
report leaves out, come back empty (``fix`` reads the file again).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from linkaudit.errors import InputError
from linkaudit.model import (
    ArchiveCopy,
    CheckResult,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    DriftEvidence,
    Finding,
    Hop,
    Location,
    Outage,
    OutageKind,
    Relation,
    Report,
    Restoration,
    Verdict,
)

__all__ = ["finding_from_line", "report_from_json"]

T = TypeVar("T")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


#: Each model class's field names (a reused run decodes thousands of findings).
_FIELDS: dict[type[Any], frozenset[str]] = {}


def _known(cls: type[T], data: Any, **converted: Any) -> T:
    """Build a dataclass from the fields it knows; converted values override raw ones."""
    if not isinstance(data, dict):
        raise InputError(
            f"report: expected an object for {cls.__name__}, found {type(data).__name__}"
        )
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    kwargs.update({k: v for k, v in converted.items() if k in names})
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise InputError(f"report: incomplete {cls.__name__}: {exc}") from None


def _document(data: dict[str, Any]) -> Document:
    return _known(
        Document,
        {"text": "", **data},
        kind=DocumentKind(data.get("kind", "html")),
        cited_at=_time(data.get("cited_at")),
    )


def _citation(data: dict[str, Any]) -> Citation:
    verdict = data.get("verdict")
    return _known(
        Citation,
        data,
        kind=CitationKind(data["kind"]),
        location=_known(Location, data.get("location", {})),
        relation=Relation(data.get("relation", "outbound")),
        verdict=Verdict(verdict) if verdict else None,
    )


def _result(data: Any) -> CheckResult | None:
    if not isinstance(data, dict):
        return None
    return _known(
        CheckResult,
        data,
        verdict=Verdict(data["verdict"]),
        chain=tuple(_known(Hop, hop) for hop in data.get("chain") or ()),
        checked_at=_time(data.get("checked_at")),
        retry_after=_time(data.get("retry_after")),
    )


def _copy(data: Any) -> ArchiveCopy | None:
    if not isinstance(data, dict):
        return None
    captured = _time(data.get("captured_at"))
    if captured is None:
        return None
    return _known(ArchiveCopy, data, captured_at=captured)


def _restoration(data: Any) -> Restoration | None:
    if not isinstance(data, dict):
        return None
    return _known(Restoration, data, captured_at=_time(data.get("captured_at")))


def _drift(data: Any) -> DriftEvidence | None:
    if not isinstance(data, dict):
        return None
    return _known(DriftEvidence, data, baseline_at=_time(data.get("baseline_at")))


def _finding(data: dict[str, Any]) -> Finding:
    return _known(
        Finding,
        data,
        citation=_citation(data["citation"]),
        verdict=Verdict(data["verdict"]),
        result=_result(data.get("result")),
        archive=_copy(data.get("archive")),
        restoration=_restoration(data.get("restoration")),
        drift=_drift(data.get("drift")),
    )


def finding_from_line(line: str) -> Finding:
    """One finding from its line of a JSON report (a reused document's findings are
    kept as lines: ``model.ReusedFindings``)."""
    return _finding(json.loads(line))


def report_from_json(data: Any) -> Report:
    """A Report from the parsed JSON report; InputError if it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise InputError("report: not a linkaudit JSON report (no findings list)")
    try:
        documents = tuple(_document(d) for d in data.get("documents") or ())
        findings = tuple(_finding(f) for f in data["findings"])
    except (KeyError, ValueError) as exc:
        raise InputError(f"report: malformed finding or document ({exc})") from None
    started = _time(data.get("started_at")) or datetime.now(UTC)
    return Report(
        documents=documents,
        findings=findings,
        started_at=started,
        finished_at=_time(data.get("finished_at")) or started,
        settings=dict(data.get("settings") or {}),
        warnings=tuple(str(w) for w in data.get("warnings") or ()),
        outages=tuple(_outages(data.get("outages"))),
    )


def _outages(data: Any) -> list[Outage]:
    """The run's outages; a kind this version does not know is left out."""
    out: list[Outage] = []
    for item in data if isinstance(data, list) else ():
        kinds = {kind.value: kind for kind in OutageKind}
        if isinstance(item, dict) and item.get("kind") in kinds:
            out.append(Outage(kinds[item["kind"]], str(item.get("message", ""))))
    return out
