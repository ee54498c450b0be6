"""The JUnit XML report: every citation as a test case, for CI test reporters.

One ``<testsuite>`` per document and one ``<testcase>`` per citation, so a CI
dashboard shows "3 of 120 citations failing" with the evidence attached.  Verdicts in
the ``--fail-on`` set are ``<failure>``s, ``skipped`` citations are ``<skipped>``, and
milder problems pass with their evidence in ``<system-out>`` (failures carry it in
their body) (they are worth reading,
not worth a red build).  The XML is built with lxml and stripped of characters XML
1.0 cannot carry, so a page full of control characters still yields a valid file.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lxml import etree

from linkaudit.model import Finding, Report, Verdict
from linkaudit.report.base import (
    anchor_label,
    capture_note,
    fail_set,
    in_document_order,
    location_text,
    moved_to,
    target_url,
    utc_stamp,
)

#: What XML 1.0 forbids, spelled as the (small) set it is rather than the complement of
#: the allowed ranges, which takes ``re`` 13 ms to compile at every start.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Remove what XML 1.0 forbids (C0 controls, lone surrogates, U+FFFE/FFFF)."""
    return _NOT_XML.sub("", value)


def evidence_text(f: Finding) -> str:
    """Plain-text evidence for one citation: what a CI log reader needs to act."""
    cit = f.citation
    lines = [
        f"{f.verdict.value} ({f.reason}): {f.detail}".rstrip(": "),
        f"where: {location_text(f)}",
        f"anchor text: {cit.text}",
    ]
    url = target_url(f)
    if url:
        lines.append(f"url: {url}")
    if f.result is not None:
        for hop in f.result.chain:
            status = hop.status if hop.status is not None else "no answer"
            note = f" ({hop.note})" if hop.note else ""
            lines.append(f"  {hop.method} {hop.url} -> {status}{note}")
        if f.result.final_url and f.result.final_url != url:
            lines.append(f"final url: {f.result.final_url}")
    new = moved_to(f)
    if new:
        lines.append(f"fix: update the link to {new}")
    if f.restoration is not None:
        lines.append(f"fix: restore the link to {f.restoration.url}")
        lines.append(f"  (found in {f.restoration.evidence_url})")
    if f.archive is not None:
        lines.append(f"archived copy: {f.archive.url} ({capture_note(f)})")
    elif f.archive_note:
        lines.append(f"archive: {f.archive_note}")
    if cit.context:
        lines.append(f"context: {cit.context}")
    return "\n".join(lines) + "\n"


class JunitFormatter:
    """JUnit XML in the common (Jenkins/GitLab/pytest) dialect."""

    name = "junit"
    extension = "junit.xml"

    def __init__(self, fail_on: Collection[Verdict] | None = None) -> None:
        self.fail_on = fail_set(fail_on)

    def render(self, report: Report, *, color: bool = False) -> str:
        findings = in_document_order(report)
        root = etree.Element("testsuites", name="linkaudit")
        totals = {"tests": 0, "failures": 0, "skipped": 0}
        elapsed = (report.finished_at - report.started_at).total_seconds()
        docs = {doc.origin: doc for doc in report.documents}
        origins = list(docs)
        origins += sorted({f.citation.document for f in findings} - set(docs))
        for origin in origins:
            doc = docs.get(origin)
            mine = [f for f in findings if f.citation.document == origin]
            suite = etree.SubElement(root, "testsuite", name=xml_text(origin))
            props = etree.SubElement(suite, "properties")
            for key, value in (
                ("title", doc.title or "" if doc else ""),
                ("cited_at", utc_stamp(doc.cited_at) if doc else ""),
                ("base_url", doc.base_url or "" if doc else ""),
            ):
                if value:
                    etree.SubElement(props, "property", name=key, value=xml_text(value))
            failures = skipped = 0
            for f in mine:
                case = etree.SubElement(
                    suite,
                    "testcase",
                    name=xml_text(self._case_name(f)),
                    classname=xml_text(origin),
                    file=xml_text(origin),
                    line=str(f.citation.location.line),
                    time=f"{f.result.elapsed:.3f}" if f.result is not None else "0.000",
                )
                evidence = xml_text(evidence_text(f))
                if f.verdict in self.fail_on:
                    failures += 1
                    failure = etree.SubElement(
                        case,
                        "failure",
                        type=f.verdict.value,
                        message=xml_text(f"{f.verdict.value} ({f.reason}): {f.detail}"),
                    )
                    failure.text = evidence
                elif f.verdict is Verdict.SKIPPED:
                    skipped += 1
                    etree.SubElement(
                        case, "skipped", message=xml_text(f"skipped ({f.reason}): {f.detail}")
                    )
                if f.verdict not in self.fail_on:  # a failure already carries it
                    out = etree.SubElement(case, "system-out")
                    out.text = evidence
            suite.set("tests", str(len(mine)))
            suite.set("failures", str(failures))
            suite.set("errors", "0")
            suite.set("skipped", str(skipped))
            suite.set("timestamp", utc_stamp(report.started_at))
            suite.set("time", f"{elapsed:.3f}")
            totals["tests"] += len(mine)
            totals["failures"] += failures
            totals["skipped"] += skipped
        for total_name, total in totals.items():
            root.set(total_name, str(total))
        root.set("errors", "0")
        root.set("time", f"{elapsed:.3f}")
        body: bytes = etree.tostring(
            root, pretty_print=True, xml_declaration=True, encoding="UTF-8"
        )
        return body.decode("utf-8")

    @staticmethod
    def _case_name(f: Finding) -> str:
        """Anchor text (or URL) plus position: CI reporters merge cases with equal names,
        and "here" or "source" recur in every article."""
        loc = f.citation.location
        return f"{anchor_label(f)} ({loc.line}:{loc.column})"
