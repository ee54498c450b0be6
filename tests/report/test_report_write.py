"""write_reports: names, directories and the no-overwrite rule."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkaudit.errors import InputError, LinkauditError
from linkaudit.model import Report
from linkaudit.report import FORMATS, ReportExistsError, source_name, write_reports

NOW = datetime(2024, 6, 1, 12, 30, 5, tzinfo=UTC)


def single(report: Report, origin: str) -> Report:
    doc = dataclasses.replace(report.documents[0], origin=origin)
    return dataclasses.replace(report, documents=(doc,))


def test_writes_every_format_with_stamped_names(report: Report, tmp_path: Path) -> None:
    out = tmp_path / "new" / "reports"
    paths = write_reports(report, list(FORMATS), out, now=NOW)
    assert [p.name for p in paths] == [
        "audit-20240601T123005Z.txt",
        "audit-20240601T123005Z.json",
        "audit-20240601T123005Z.md",
        "audit-20240601T123005Z.html",
        "audit-20240601T123005Z.csv",
        "audit-20240601T123005Z.junit.xml",
        "audit-20240601T123005Z.sarif",
    ]
    for path in paths:
        assert path.parent == out
        name = next(n for n, f in FORMATS.items() if path.name.endswith("." + f.extension))
        assert path.read_bytes() == FORMATS[name].render(report).encode("utf-8")
    assert "\x1b" not in paths[0].read_text()  # files never get colour


def test_refuses_to_overwrite_and_writes_nothing(report: Report, tmp_path: Path) -> None:
    write_reports(report, ["json"], tmp_path, now=NOW)
    with pytest.raises(ReportExistsError, match=r"audit-20240601T123005Z\.json") as info:
        write_reports(report, ["csv", "json"], tmp_path, now=NOW)
    assert isinstance(info.value, LinkauditError)
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)
    assert not (tmp_path / "audit-20240601T123005Z.csv").exists()


def test_force_overwrites(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "audit-20240601T123005Z.json"
    target.write_text("old")
    (path,) = write_reports(report, ["json"], tmp_path, now=NOW, force=True)
    assert path == target
    assert path.read_text() != "old"


def test_source_names(report: Report) -> None:
    assert source_name(report) == "audit"
    assert source_name(single(report, "posts/My Post.md")) == "My-Post"
    assert source_name(single(report, "https://mag.example/2023/sea-level/")) == "sea-level"
    assert source_name(single(report, "https://mag.example/")) == "mag.example"
    assert source_name(single(report, "<stdin>")) == "stdin"
    assert source_name(single(report, "../../")) == "audit"


def test_unknown_format(report: Report, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown report format 'pdf'"):
        write_reports(report, ["pdf"], tmp_path, now=NOW)


def test_fail_on_reaches_junit(report: Report, tmp_path: Path) -> None:
    from linkaudit.model import Verdict

    (path,) = write_reports(report, ["junit"], tmp_path, now=NOW, fail_on={Verdict.MOVED})
    assert path.read_text().count("<failure ") == 1


def test_a_planted_link_is_replaced_never_written_through(tmp_path: Path) -> None:
    from linkaudit.report.files import write_files

    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "reports"
    out.mkdir()
    (out / "a.json").symlink_to(victim)
    with pytest.raises(ReportExistsError):
        write_files(out, [("a.json", lambda: "{}")], force=False)
    (path,) = write_files(out, [("a.json", lambda: "{}")], force=True)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not path.is_symlink()
    assert path.read_text(encoding="utf-8") == "{}"
    assert sorted(p.name for p in out.iterdir()) == ["a.json"]  # no temporary left


def test_health_and_audit_reports_share_one_writer(tmp_path: Path) -> None:
    """Both refuse before writing anything when one target exists."""
    from linkaudit.report.files import write_files

    (tmp_path / "b.md").write_text("mine", encoding="utf-8")
    with pytest.raises(ReportExistsError, match=r"b\.md"):
        write_files(tmp_path, [("a.html", lambda: "x"), ("b.md", lambda: "y")], force=False)
    assert not (tmp_path / "a.html").exists()
    assert (tmp_path / "b.md").read_text(encoding="utf-8") == "mine"


def test_latest_pointers_are_copies_beside_the_dated_files(tmp_path: Path) -> None:
    from linkaudit.report.files import latest_name, write_latest

    assert latest_name("a-20261203T042017Z.junit.xml") == "a-latest.junit.xml"
    assert latest_name("notes.html") is None
    first = tmp_path / "a-20261203T042017Z.html"
    first.write_text("first", encoding="utf-8")
    assert write_latest([first]) == [tmp_path / "a-latest.html"]
    second = tmp_path / "a-20261204T000000Z.html"
    second.write_text("second", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_text("keep", encoding="utf-8")
    (tmp_path / "a-latest.html").unlink()
    (tmp_path / "a-latest.html").symlink_to(elsewhere)  # a link planted as the pointer
    write_latest([second])
    assert (tmp_path / "a-latest.html").read_text(encoding="utf-8") == "second"
    assert not (tmp_path / "a-latest.html").is_symlink()
    assert elsewhere.read_text(encoding="utf-8") == "keep"
