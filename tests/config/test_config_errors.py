"""Every configuration mistake is one line naming the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkaudit.config import load_config
from linkaudit.errors import ConfigError


def error_for(tmp_path: Path, text: str, name: str = "linkaudit.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(explicit=path, environ={})
    message = str(info.value)
    assert "\n" not in message
    assert info.value.exit_code == 2
    return message


def test_unknown_top_level_key_suggests(tmp_path: Path) -> None:
    message = error_for(tmp_path, "exlcude = ['x']\n")
    assert message.endswith(
        "linkaudit.toml: unknown key 'exlcude' at top level; did you mean 'exclude'?"
    )


def test_unknown_key_in_pyproject_names_the_table(tmp_path: Path) -> None:
    message = error_for(tmp_path, "[tool.linkaudit]\nfail_onn = 'broken'\n", "pyproject.toml")
    assert message.endswith(
        "pyproject.toml: unknown key 'fail_onn' in [tool.linkaudit]; did you mean 'fail_on'?"
    )


def test_unknown_host_key_suggests(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[hosts."example.org"]\nconcurency = 2\n')
    assert message.endswith(
        "linkaudit.toml: unknown key 'concurency' in [hosts.\"example.org\"]; "
        "did you mean 'concurrency'?"
    )


def test_unknown_host_key_in_pyproject_has_full_path(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, '[tool.linkaudit.hosts."example.org"]\nconcurency = 2\n', "pyproject.toml"
    )
    assert "in [tool.linkaudit.hosts.\"example.org\"]; did you mean 'concurrency'?" in message


def test_unknown_key_without_close_match_lists_valid_keys(tmp_path: Path) -> None:
    message = error_for(tmp_path, "zzzzzz = 1\n")
    assert (
        "unknown key 'zzzzzz' at top level (valid keys: anchor_style, archive_all, archive_rate,"
        in message
    )
    assert "no_cache" not in message  # spelled `cache = false` in a file


def test_invalid_toml_reports_line_and_column(tmp_path: Path) -> None:
    message = error_for(tmp_path, 'timeout = 3\nscope = "page\n')
    assert "linkaudit.toml: invalid TOML:" in message
    assert "line 2" in message
    assert "column" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "linkaudit.toml"
    path.write_bytes(b"user_agent = '\xff\xfe'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(explicit=path)


def test_invalid_toml_in_discovered_pyproject_mentioning_us(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.linkaudit\ntimeout = 1\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: invalid TOML: .*line 1"):
        load_config(start=tmp_path)


def test_tool_linkaudit_not_a_table(tmp_path: Path) -> None:
    message = error_for(tmp_path, "[tool]\nlinkaudit = 3\n", "pyproject.toml")
    assert "tool.linkaudit must be a table" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timeout = -1\n", "timeout: must be > 0 seconds, got -1"),
        ("timeout = 0\n", "timeout: must be > 0 seconds"),
        ("timeout = true\n", "timeout: must be a number > 0 (seconds, or a duration like"),
        ("timeout = 'fast'\n", "timeout: 'fast' is not a duration"),
        ("connect_timeout = [1]\n", "connect_timeout: must be a number > 0"),
        ("concurrency = 0\n", "concurrency: must be an integer >= 1, got 0"),
        ("concurrency = 2.5\n", "concurrency: must be an integer >= 1, got a number"),
        ("concurrency = true\n", "concurrency: must be an integer >= 1, got a boolean"),
        ("per_host = '4'\n", "per_host: must be an integer >= 1, got a string"),
        ("max_retries = -1\n", "max_retries: must be an integer >= 0, got -1"),
        ("host_interval = -0.5\n", "host_interval: must be >= 0 seconds"),
        ("user_agent = ''\n", "user_agent: must be a non-empty string"),
        ("scope = 'body'\n", "scope: must be one of 'article', 'page', got 'body'"),
        ("include_internal = 'yes'\n", "include_internal: must be true or false, got a string"),
        ("exclude = 3\n", "exclude: must be a list of regular expressions, got an integer"),
        ("exclude_paths = [1]\n", "exclude_paths.0: must be a string, got an integer"),
        (
            "fail_on = ['broken', 'stael']\n",
            "fail_on: unknown verdict 'stael'; did you mean 'stale'?",
        ),
        ("fail_on = 'everything'\n", "fail_on: unknown verdict 'everything' (one of: ok, moved"),
        ("fail_on = 5\n", "fail_on: must be a list of verdicts or a comma string"),
        ("max_age = '1 day'\n", "max_age: '1 day' is not a duration (use e.g."),
        ("max_age = '3y'\n", "max_age: '3y' is not a duration"),
        ("max_age_ok = -5\n", "max_age_ok: must be >= 0 seconds"),
        ("cache = 3\n", "cache: must be a path or false, got an integer"),
        ("cache = true\n", "cache: must be a path or false, got a boolean"),
        (
            "archives = ['wayback', 'waybak']\n",
            "archives.1: unknown archive 'waybak'; did you mean 'wayback'?",
        ),
        (
            "archives = [{name = 'perma'}]\n",
            "archives.0: archive 'perma' is not built in and needs a timegate",
        ),
        (
            "archives = [{name = 'p', timegate = 'ftp://x'}]\n",
            "archives.0.timegate: must be an http(s) URL",
        ),
        (
            "archives = [{name = 'p', time_gate = 'https://x'}]\n",
            "unknown key 'time_gate' in [archives.0]; did you mean 'timegate'?",
        ),
        ("archives = [3]\n", "archives.0: must be an archive name or a table, got an integer"),
    ],
)
def test_bad_values(tmp_path: Path, text: str, expected: str) -> None:
    message = error_for(tmp_path, text)
    assert "linkaudit.toml: " in message
    assert expected in message


def test_bad_regex_names_key_and_pattern(tmp_path: Path) -> None:
    message = error_for(tmp_path, "exclude = ['ok', 'a(b']\n")
    assert "linkaudit.toml: exclude: invalid regular expression 'a(b':" in message
    assert "missing )" in message


def test_bad_value_in_pyproject_has_full_key_path(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, '[tool.linkaudit.hosts."example.org"]\ninterval = "often"\n', "pyproject.toml"
    )
    assert "pyproject.toml: tool.linkaudit.hosts.\"example.org\".interval: 'often'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hosts = 3\n", "hosts: must be a table of host tables"),
        ('[hosts]\n"example.org" = 3\n', 'hosts."example.org": must be a table, got an integer'),
        ('[hosts."https://example.org/"]\n', 'use a host name such as "example.org", not a URL'),
        ('[hosts."exa mple.org"]\n', "'exa mple.org' is not a host name"),
        (
            '[hosts."a.org"]\nconcurrency = 0\n',
            'hosts."a.org".concurrency: must be an integer >= 1',
        ),
        ('[hosts."a.org"]\ninterval = -1\n', 'hosts."a.org".interval: must be >= 0 seconds'),
        ('[hosts."a.org"]\ntimeout = 0\n', 'hosts."a.org".timeout: must be > 0 seconds'),
        ('[hosts."a.org"]\nheaders = "x"\n', 'hosts."a.org".headers: must be a table of header'),
        (
            '[hosts."a.org"]\nheaders = {X = 1}\n',
            'hosts."a.org".headers.X: must be a string, got an integer',
        ),
        (
            '[hosts."a.org"]\nheaders = {"Bad Name" = "v"}\n',
            "'Bad Name' is not a valid HTTP header name",
        ),
        (
            '[hosts."a.org"]\nheaders = {X = {variable = "V"}}\n',
            'must be a string or {env = "VARIABLE"}',
        ),
        (
            '[hosts."a.org"]\naccept = ["2xx"]\n',
            "accept: '2xx' is not a status (403) or range ('200-299')",
        ),
        (
            '[hosts."a.org"]\naccept = ["299-200"]\n',
            "'299-200' is not a status range within 100-999",
        ),
        ('[hosts."a.org"]\naccept = [1000]\n', "1000 is not a status range within 100-999"),
        ('[hosts."a.org"]\naccept = [true]\n', "True is not a status (403)"),
        ('[hosts."a.org"]\naccept = {x = 1}\n', "accept: must be a list of statuses or ranges"),
    ],
)
def test_bad_host_tables(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


def test_unknown_site_key_suggests(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, '[tool.linkaudit.sites."example.com"]\nbdy = "div.story"\n', "pyproject.toml"
    )
    assert message.endswith(
        "pyproject.toml: unknown key 'bdy' in [tool.linkaudit.sites.\"example.com\"]; "
        "did you mean 'body'?"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sites = 3\n", 'sites: must be a table of site tables ([sites."example.org"])'),
        ('[sites]\n"example.com" = "div"\n', 'sites."example.com": must be a table, got a string'),
        ('[sites."https://example.com/"]\n', 'use a host name such as "example.org", not a URL'),
        ('[sites."exa mple.com"]\n', "'exa mple.com' is not a host name"),
        (
            '[sites."example.com"]\nbody = 3\n',
            'sites."example.com".body: must be a non-empty string, got an integer',
        ),
        (
            '[sites."example.com"]\nbody = "div..story"\n',
            "sites.\"example.com\".body: 'div..story' is not a CSS selector (Expected ident",
        ),
        (
            '[sites."example.com"]\nbody = "article >"\n',
            "sites.\"example.com\".body: 'article >' is not a CSS selector (",
        ),
        ('[sites."a.com"]\n[sites."A.com."]\n', "the same host as another entry ('a.com')"),
    ],
)
def test_bad_site_tables(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


def test_same_host_twice_after_normalising(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[hosts."Example.org"]\n[hosts."example.org."]\n')
    assert "the same host as another entry ('example.org')" in message


def test_file_named_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "linkaudit.toml").write_text("exlcude = []\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert str(info.value) == (
        "linkaudit.toml: unknown key 'exlcude' at top level; did you mean 'exclude'?"
    )
