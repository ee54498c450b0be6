"""The JUnit report: valid XML, one test case per citation, failures per --fail-on."""

from __future__ import annotations

from lxml import etree

from linkaudit.model import Report, Verdict
from linkaudit.report.base import verdicts_at_or_above
from linkaudit.report.junit import JunitFormatter, xml_text


def parse(text: str) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"))


def test_structure_and_counts(report: Report) -> None:
    root = parse(JunitFormatter().render(report))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["articles/sea-level.html", "notes/reading-list.md"]
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 15
    assert [s.get("tests") for s in suites] == ["12", "3"]
    # default --fail-on: broken and lost (2 + 2)
    failures = root.findall("testsuite/testcase/failure")
    assert sorted(f.get("type", "") for f in failures) == ["broken", "broken", "lost", "lost"]
    assert root.get("failures") == "4"
    assert root.get("skipped") == "1"
    assert len(root.findall("testsuite/testcase/skipped")) == 1
    for case in cases:  # evidence exactly once: in the failure, else in system-out
        assert (case.find("failure") is None) == (case.find("system-out") is not None)


def test_case_names_and_classnames(report: Report) -> None:
    root = parse(JunitFormatter().render(report))
    case = root.find("testsuite/testcase[@line='27']")
    assert case is not None
    assert case.get("name") == "a 2019 report (27:41)"
    assert case.get("classname") == "articles/sea-level.html"
    failure = case.find("failure")
    assert failure is not None
    assert "web.archive.org/web/20230401083000" in (failure.text or "")
    assert "GET https://news.example.com/2019/glacier-melt -> 404" in (failure.text or "")


def test_fail_on_threshold_changes_failures(report: Report) -> None:
    fmt = JunitFormatter(fail_on=verdicts_at_or_above(Verdict.MOVED))
    root = parse(fmt.render(report))
    types = sorted(f.get("type") or "" for f in root.iter("failure"))
    assert types == sorted(
        [
            "lost",
            "lost",
            "broken",
            "broken",
            "stale",
            "invalid",
            "insecure",
            "fragment_missing",
            "moved",
        ]
    )


def test_control_characters_are_stripped(report: Report) -> None:
    text = JunitFormatter().render(report)
    assert "\x07" not in text
    root = parse(text)
    names = [c.get("name") for c in root.iter("testcase")]
    assert '=HYPERLINK("https://evil.example") (9:1)' in names


def test_hostile_report_is_valid_xml(hostile_report: Report) -> None:
    root = parse(JunitFormatter().render(hostile_report))
    assert len(root.findall("testsuite/testcase")) == len(hostile_report.findings)


def test_xml_text() -> None:
    assert xml_text("a\x00b\x1bc\ufffed\U0001f600") == "abcd\U0001f600"
