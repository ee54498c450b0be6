"""``fix --in-place`` when the disk fills, after a kill, and on a symbolic link."""

from __future__ import annotations

import errno
import os
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkaudit.fix import formats
from linkaudit.fix.cli import fix_command
from linkaudit.fix.formats import write_in_place
from linkaudit.fix.plan import Repair
from linkaudit.fix.rewrite import FixError
from linkaudit.report.json_format import JsonFormatter
from tests.fix.helpers import ARCHIVE, audit_offline, by_url, fix, write

PAGE = '<p>A <a href="http://dead.test/a">dead</a> link.</p>\n<p>Another line.</p>\n'
MAKE = by_url(dead=["dead.test"])


@pytest.fixture
def page(tmp_path: Path) -> Path:
    return write(tmp_path, "page.html", PAGE)


def _report(path: Path, folder: Path) -> Path:
    now = datetime.now(UTC)
    report = replace(audit_offline(path, MAKE), started_at=now, finished_at=now)
    out = folder / "report.json"
    out.write_text(JsonFormatter().render(report))
    return out


def _full_disk(monkeypatch: pytest.MonkeyPatch, fail_on_call: int) -> None:
    """``os.fsync`` says the disk is full on its ``fail_on_call``-th call (1-based)."""
    calls = {"n": 0}
    real = os.fsync

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == fail_on_call:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(formats.os, "fsync", fsync)


def test_a_backup_cut_short_by_a_full_disk_is_removed_and_said(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = fix(page, MAKE, Repair.REPLACE_DEAD)
    _full_disk(monkeypatch, fail_on_call=1)
    with pytest.raises(FixError, match="removed the partial backup") as caught:
        write_in_place(result)
    assert "No space left on device" in str(caught.value)
    assert page.read_text() == PAGE
    assert sorted(p.name for p in page.parent.iterdir()) == ["page.html"]


def test_a_full_disk_while_rewriting_leaves_the_file_and_no_litter(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = fix(page, MAKE, Repair.REPLACE_DEAD)
    _full_disk(monkeypatch, fail_on_call=2)  # the backup is fine, the new file is not
    with pytest.raises(FixError, match="the file is unchanged"):
        write_in_place(result)
    assert page.read_text() == PAGE
    assert sorted(p.name for p in page.parent.iterdir()) == ["page.html"]


def test_the_cli_says_a_full_disk_in_one_line(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _report(page, tmp_path)
    _full_disk(monkeypatch, fail_on_call=1)
    done = CliRunner().invoke(
        fix_command, [str(page), "--replace-dead", "--from-report", str(report), "--in-place"]
    )
    assert done.exit_code != 0
    assert isinstance(done.exception, SystemExit)
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, done.stderr
    assert "removed the partial backup" in errors[0]
    assert page.read_text() == PAGE


def test_a_temporary_file_left_by_a_kill_is_removed_at_the_next_run(
    page: Path, tmp_path: Path
) -> None:
    stale = page.with_name(".page.html.k1ll3d.tmp")
    stale.write_bytes(b"half a rewrite")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    fresh = page.with_name(".page.html.running.tmp")  # maybe another run's, right now
    fresh.write_bytes(b"in progress")
    report = _report(page, tmp_path)
    done = CliRunner().invoke(
        fix_command, [str(page), "--replace-dead", "--from-report", str(report), "--in-place"]
    )
    assert done.exit_code == 0, done.stderr
    assert not stale.exists()
    assert fresh.exists()
    assert f"removed {stale}" in done.stderr
    assert ARCHIVE in page.read_text()


def test_in_place_on_a_symbolic_link_writes_through_to_its_target(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    real = tmp_path / "content" / "page.html"
    real.write_text(PAGE)
    (tmp_path / "site").mkdir()
    link = tmp_path / "site" / "page.html"
    link.symlink_to(real)
    report = _report(link, tmp_path)
    done = CliRunner().invoke(
        fix_command, [str(link), "--replace-dead", "--from-report", str(report), "--in-place"]
    )
    assert done.exit_code == 0, done.stderr
    assert link.is_symlink()
    assert link.resolve() == real.resolve()
    assert ARCHIVE in real.read_text()
    assert real.with_name("page.html.bak").read_text() == PAGE
    assert not link.with_name("page.html.bak").exists()
    assert "through the symbolic link" in done.stderr + done.stdout
