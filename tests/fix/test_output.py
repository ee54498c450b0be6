"""Diff, -o and --in-place: nothing the user gave is ever lost; JSON reports read back."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.fix.cli import fix_command
from linkaudit.fix.formats import fix_file, read_source, sha256_of, write_in_place, write_new
from linkaudit.fix.plan import Repair
from linkaudit.fix.report_json import report_from_json
from linkaudit.fix.rewrite import FixError, SourceMismatch
from linkaudit.report.json_format import JsonFormatter
from tests.fix.helpers import ARCHIVE, audit_offline, by_url, fix, write

PAGE = '<p>A <a href="http://dead.test/a">dead</a> link.</p>\n<p>Another line.</p>\n'
MAKE = by_url(dead=["dead.test"])


@pytest.fixture
def page(tmp_path: Path) -> Path:
    return write(tmp_path, "page.html", PAGE)


def test_diff_is_unified_and_only_touches_the_link_line(page: Path) -> None:
    diff = fix(page, MAKE, Repair.REPLACE_DEAD).diff("page.html")
    assert diff.splitlines()[:3] == ["--- a/page.html", "+++ b/page.html", "@@ -1,2 +1,2 @@"]
    assert [line[0] for line in diff.splitlines()[3:]] == ["-", "+", " "]


def test_output_file_is_written_and_never_overwrites(page: Path, tmp_path: Path) -> None:
    result = fix(page, MAKE, Repair.REPLACE_DEAD)
    out = tmp_path / "fixed.html"
    write_new(result, out)
    assert out.read_bytes() == result.fixed_bytes
    assert page.read_text() == PAGE
    out.write_text("precious")
    with pytest.raises(FixError, match="already exists"):
        write_new(result, out)
    assert out.read_text() == "precious"
    write_new(result, out, force=True)
    assert out.read_bytes() == result.fixed_bytes
    with pytest.raises(FixError, match="in-place"):
        write_new(result, page, force=True)
    assert page.read_text() == PAGE


def test_in_place_writes_a_backup_first(page: Path) -> None:
    result = fix(page, MAKE, Repair.REPLACE_DEAD)
    backup = write_in_place(result)
    assert backup == page.with_name("page.html.bak")
    assert backup.read_text() == PAGE
    assert page.read_bytes() == result.fixed_bytes
    # A second fix keeps the first backup and makes a new, timestamped one.
    again = fix_file(page, audit_offline(page, by_url(dead=["archive.org"])), {Repair.REPLACE_DEAD})
    second = write_in_place(again)
    assert second is not None
    assert ".linkaudit-backup-" in second.name
    assert backup.read_text() == PAGE
    assert second.read_bytes() == result.fixed_bytes


def test_in_place_with_nothing_to_do_touches_nothing(page: Path) -> None:
    assert write_in_place(fix(page, MAKE)) is None
    assert not page.with_name("page.html.bak").exists()


def test_in_place_refuses_a_file_changed_since_the_audit(page: Path) -> None:
    audited = sha256_of(page.read_bytes())
    result = fix(page, MAKE, Repair.REPLACE_DEAD)
    page.write_text(PAGE + "<p>edited meanwhile</p>\n")
    with pytest.raises(SourceMismatch, match="changed since it was audited"):
        write_in_place(result, audited_sha256=audited)
    assert page.read_text().endswith("edited meanwhile</p>\n")
    assert not page.with_name("page.html.bak").exists()


def test_fix_refuses_when_the_audited_hash_differs(page: Path) -> None:
    report = audit_offline(page, MAKE)
    with pytest.raises(SourceMismatch):
        fix_file(page, report, {Repair.REPLACE_DEAD}, audited_sha256="0" * 64)


def test_fix_refuses_when_the_audited_text_differs(page: Path) -> None:
    report = audit_offline(page, MAKE)
    page.write_text(PAGE.replace("A <a", "An <a"))
    with pytest.raises(SourceMismatch):
        fix_file(page, report, {Repair.REPLACE_DEAD})


def test_undecodable_files_are_refused_rather_than_altered(tmp_path: Path) -> None:
    damaged = "caf\u00e9 na\u00efve \u00fcber".encode() + b" \xff broken"
    path = write(tmp_path, "bad.html", PAGE.encode() + damaged)
    with pytest.raises(FixError, match="does not decode cleanly"):
        read_source(path)


def test_bom_and_legacy_encodings_round_trip(tmp_path: Path) -> None:
    bom = write(tmp_path, "bom.html", b"\xef\xbb\xbf" + PAGE.encode())
    assert fix(bom, MAKE, Repair.REPLACE_DEAD).fixed_bytes.startswith(b"\xef\xbb\xbf<p>A <a href")
    legacy = '<meta charset="windows-1252"><p>\u201cq\u201d <a href="http://dead.test/a">d</a></p>'
    path = write(tmp_path, "cp.html", legacy.encode("cp1252"))
    fixed = fix(path, MAKE, Repair.REPLACE_DEAD).fixed_bytes
    assert fixed.startswith(legacy.split("<a")[0].encode("cp1252"))
    assert ARCHIVE.encode() in fixed


def _json_report(path: Path, tmp_path: Path) -> Path:
    now = datetime.now(UTC)
    report = replace(audit_offline(path, MAKE), started_at=now, finished_at=now)
    out = tmp_path / "report.json"
    out.write_text(JsonFormatter().render(report))
    return out


def test_report_from_json_round_trips_the_findings(page: Path, tmp_path: Path) -> None:
    original = audit_offline(page, MAKE)
    data = json.loads(_json_report(page, tmp_path).read_text())
    data["findings"][0]["a_field_from_the_future"] = 1
    loaded = report_from_json(data)
    assert [f.verdict for f in loaded.findings] == [f.verdict for f in original.findings]
    assert loaded.findings[0].archive == original.findings[0].archive
    assert loaded.findings[0].citation.location == original.findings[0].citation.location
    assert loaded.documents[0].text == ""


def test_cli_from_report_prints_a_diff_and_writes_nothing(page: Path, tmp_path: Path) -> None:
    report = _json_report(page, tmp_path)
    runner = CliRunner()
    result = runner.invoke(fix_command, [str(page), "--replace-dead", "--from-report", str(report)])
    assert result.exit_code == 0, result.output
    assert '+<p>A <a href="' + ARCHIVE in result.stdout
    assert page.read_text() == PAGE
    plain = runner.invoke(fix_command, [str(page), "--from-report", str(report)])
    assert plain.exit_code == 0
    assert plain.stdout == ""


def test_cli_in_place_and_output(page: Path, tmp_path: Path) -> None:
    report = _json_report(page, tmp_path)
    runner = CliRunner()
    out = tmp_path / "out.html"
    out.write_text("keep me")
    refused = runner.invoke(
        fix_command, [str(page), "--replace-dead", "--from-report", str(report), "-o", str(out)]
    )
    assert refused.exit_code == 2
    assert out.read_text() == "keep me"
    assert "already exists" in refused.stderr
    done = runner.invoke(
        fix_command, [str(page), "--replace-dead", "--from-report", str(report), "--in-place"]
    )
    assert done.exit_code == 0, done.stderr
    assert page.with_name("page.html.bak").read_text() == PAGE
    assert ARCHIVE in page.read_text()


def test_cli_in_place_refuses_a_file_edited_after_a_hashless_report(
    page: Path, tmp_path: Path
) -> None:
    report = _json_report(page, tmp_path)
    data = json.loads(report.read_text())
    for document in data["documents"]:  # a report from before documents carried a hash
        document.pop("sha256", None)
    report.write_text(json.dumps(data))
    page.write_text(PAGE)  # same text, but touched after the audit
    later = time.time() + 60
    os.utime(page, (later, later))
    result = CliRunner().invoke(
        fix_command, [str(page), "--replace-dead", "--from-report", str(report), "--in-place"]
    )
    assert result.exit_code == 2
    assert "modified after the audit" in result.stderr
    assert page.read_text() == PAGE
    assert not page.with_name("page.html.bak").exists()


def test_cli_uses_a_recorded_hash(page: Path, tmp_path: Path) -> None:
    report = _json_report(page, tmp_path)
    data = json.loads(report.read_text())
    data["documents"][0]["sha256"] = "f" * 64
    report.write_text(json.dumps(data))
    result = CliRunner().invoke(
        fix_command, [str(page), "--replace-dead", "--from-report", str(report), "--in-place"]
    )
    assert result.exit_code == 2
    assert "changed since it was audited" in result.stderr
    assert page.read_text() == PAGE


def test_cli_rejects_contradictory_outputs(page: Path) -> None:
    result = CliRunner().invoke(fix_command, [str(page), "--in-place", "-o", "x.html"])
    assert result.exit_code == 2


def test_a_report_of_another_file_is_refused(page: Path, tmp_path: Path) -> None:
    other = write(tmp_path, "other.html", PAGE)
    with pytest.raises(FixError, match="not this file"):
        fix_file(page, audit_offline(other, MAKE), {Repair.REPLACE_DEAD})
