"""Configuration discovery, values, secrets and command-line precedence."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linkaudit.config import (
    DEFAULT_FAIL_ON,
    ArchiveSpec,
    Config,
    HostConfig,
    Secret,
    SiteConfig,
    find_config,
    load_config,
    parse_duration,
)
from linkaudit.errors import ConfigError
from linkaudit.model import (
    BodySelectors,
    Citation,
    CitationKind,
    Document,
    DocumentKind,
    Location,
    Scope,
    Verdict,
)
from linkaudit.pipeline import apply_policy
from linkaudit.settings import RunInputs, audit_options, plan_run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- discovery


def test_no_file_anywhere_gives_defaults(tmp_path: Path) -> None:
    config = load_config(start=tmp_path)
    assert config.source is None
    assert config.fail_on == DEFAULT_FAIL_ON
    # unset: each stage's own default applies (declared there, once)
    assert config.max_age is config.max_age_ok is config.max_redirects is config.scope is None
    plan = plan_run(RunInputs(cwd=tmp_path))
    assert plan.request.policy.max_age == timedelta(days=1)
    assert plan.request.policy.max_age_ok == timedelta(days=7)
    assert plan.request.audit.check.max_redirects == 20
    assert plan.request.audit.scope is Scope.ARTICLE
    assert plan.fail_on == frozenset(DEFAULT_FAIL_ON)


def test_walks_up_from_a_subdirectory(tmp_path: Path) -> None:
    conf = write(tmp_path / "linkaudit.toml", "timeout = 12\n")
    deep = tmp_path / "content" / "2024" / "posts"
    deep.mkdir(parents=True)
    config = load_config(start=deep)
    assert config.source == conf.resolve()
    assert config.timeout == 12.0


def test_start_may_be_a_file(tmp_path: Path) -> None:
    write(tmp_path / "linkaudit.toml", "concurrency = 3\n")
    article = write(tmp_path / "a.html", "<p>x</p>")
    assert load_config(start=article).concurrency == 3


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    outer = write(tmp_path / "pyproject.toml", "[tool.linkaudit]\nper_host = 2\n")
    inner = tmp_path / "site"
    write(inner / "pyproject.toml", '[project]\nname = "site"\n[tool.other]\nx = 1\n')
    config = load_config(start=inner)
    assert config.source == outer.resolve()
    assert config.per_host == 2


def test_unrelated_broken_pyproject_is_skipped(tmp_path: Path) -> None:
    # It never mentions linkaudit, so it is not ours to judge.
    write(tmp_path / "linkaudit.toml", "per_host = 5\n")
    inner = tmp_path / "pkg"
    write(inner / "pyproject.toml", "[project\nname = ")
    assert load_config(start=inner).per_host == 5


def test_nearest_file_wins(tmp_path: Path) -> None:
    write(tmp_path / "linkaudit.toml", "timeout = 1\n")
    inner = write(tmp_path / "sub" / "pyproject.toml", "[tool.linkaudit]\ntimeout = 2\n")
    config = load_config(start=inner.parent)
    assert config.timeout == 2.0
    assert config.source == inner.resolve()


def test_linkaudit_toml_beats_pyproject_in_same_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.linkaudit]\ntimeout = 2\n")
    dedicated = write(tmp_path / "linkaudit.toml", "timeout = 3\n")
    config = load_config(start=tmp_path)
    assert config.timeout == 3.0
    assert config.source == dedicated.resolve()


def test_empty_linkaudit_toml_still_stops_the_walk(tmp_path: Path) -> None:
    write(tmp_path / "linkaudit.toml", "timeout = 9\n")
    empty = write(tmp_path / "sub" / "linkaudit.toml", "")
    config = load_config(start=empty.parent)
    assert config.source == empty.resolve()
    assert config.timeout is None


def test_explicit_overrides_discovery(tmp_path: Path) -> None:
    write(tmp_path / "linkaudit.toml", "timeout = 1\n")
    other = write(tmp_path / "ci" / "strict.toml", 'fail_on = "broken,stale,lost"\n')
    config = load_config(start=tmp_path, explicit=other)
    assert config.source == other.resolve()
    assert config.fail_on == (Verdict.BROKEN, Verdict.STALE, Verdict.LOST)
    assert config.timeout is None


def test_explicit_pyproject_reads_tool_table(tmp_path: Path) -> None:
    py = write(tmp_path / "pyproject.toml", "[tool.linkaudit]\nconcurrency = 7\n")
    assert load_config(explicit=py).concurrency == 7


def test_explicit_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    py = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"no \[tool\.linkaudit\] table"):
        load_config(explicit=py)


def test_explicit_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(explicit=tmp_path / "nope.toml")


def test_find_config_returns_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.linkaudit]\nscope = 'page'\n")
    found = find_config(tmp_path)
    assert found is not None
    assert found[1] == {"scope": "page"}


# --------------------------------------------------------------------------- values

FULL = """
exclude = ['^https?://localhost', 'example\\.com/private/']
exclude_paths = ["drafts/**"]
include_paths = ["**/*.md", "**/*.html"]
fail_on = ["broken", "stale", "lost"]
timeout = "20s"
connect_timeout = 5
deadline = "2m"
concurrency = 16
per_host = 2
host_interval = 0.5
max_retries = 3
max_retry_wait = 30
max_redirects = 10
user_agent = "linkaudit-ci/1.0"
scope = "page"
include_internal = true
check_fragments = false
archives = ["wayback", {name = "perma", timegate = "https://perma.example/timegate/"}]
archive_all = true
cache = "var/cache.sqlite"
max_age = "12h"
max_age_ok = "1d12h"

[hosts."Example.org"]
concurrency = 1
interval = "2s"
timeout = 30
headers = {Accept-Language = "en"}
accept = ["200-299", 403, "999"]

[hosts."*.wikipedia.org"]
concurrency = 4
"""


def test_every_key_parsed(tmp_path: Path) -> None:
    conf = write(tmp_path / "linkaudit.toml", FULL)
    c = load_config(explicit=conf)
    assert [p.pattern for p in c.exclude] == ["^https?://localhost", r"example\.com/private/"]
    options = audit_options(c)  # what the run does with them
    excluded = [re.compile(p) for p in options.exclude]
    for url, skipped in (
        ("http://localhost:8000/x", True),
        ("https://example.com/private/a", True),
        ("https://example.com/public/a", False),
    ):
        cited = Citation("a.md", CitationKind.LINK, url, url, url, "", "", Location(1, 1))
        assert (apply_policy(cited, options, excluded).reason == "excluded") is skipped
    assert c.exclude_paths == ("drafts/**",)
    assert c.include_paths == ("**/*.md", "**/*.html")
    assert c.fail_on == (Verdict.BROKEN, Verdict.STALE, Verdict.LOST)
    assert c.timeout == 20.0
    assert c.connect_timeout == 5.0
    assert c.deadline == 120.0
    assert (c.concurrency, c.per_host, c.host_interval) == (16, 2, 0.5)
    assert (c.max_retries, c.max_retry_wait, c.max_redirects) == (3, 30.0, 10)
    assert c.user_agent == "linkaudit-ci/1.0"
    assert c.scope is Scope.PAGE
    assert c.include_internal is True
    assert c.check_fragments is False
    assert c.archives == (
        ArchiveSpec("wayback"),
        ArchiveSpec("perma", "https://perma.example/timegate/"),
    )
    assert c.archive_all is True
    assert c.cache == (tmp_path / "var" / "cache.sqlite").resolve()  # relative to the file
    assert c.max_age == timedelta(hours=12)
    assert c.max_age_ok == timedelta(days=1, hours=12)
    host = c.hosts["example.org"]  # host names are case-insensitive
    assert host == HostConfig(
        concurrency=1,
        interval=2.0,
        timeout=30.0,
        headers={"Accept-Language": "en"},
        accept=((200, 299), (403, 403), (999, 999)),
    )
    accepted = options.accept["example.org"]
    assert {403, 204, 999} <= accepted
    assert 404 not in accepted
    assert c.host("EXAMPLE.org.") is host
    assert c.host("www.example.org") is None
    assert c.host("en.wikipedia.org") is c.hosts["*.wikipedia.org"]
    assert c.host("wikipedia.org") is c.hosts["*.wikipedia.org"]
    # The whole thing is JSON-ready for a report's settings block.
    json.dumps(c.to_dict())


def test_sites_name_their_article_body(tmp_path: Path) -> None:
    conf = write(
        tmp_path / "linkaudit.toml",
        '[sites."Example.com"]\nbody = "div.story"\n'
        '[sites."*.example.org"]\nbody = "main article"\n'
        '[sites."plain.example.net"]\n',
    )
    c = load_config(explicit=conf)
    assert dict(c.sites) == {
        "example.com": SiteConfig("div.story"),
        "*.example.org": SiteConfig("main article"),
        "plain.example.net": SiteConfig(),
    }
    bodies = audit_options(c).bodies
    assert bodies.by_host == (("*.example.org", "main article"), ("example.com", "div.story"))
    assert bodies == BodySelectors(
        (("example.com", "div.story"), ("*.example.org", "main article"))
    )
    page = Document("<p/>", DocumentKind.HTML, "a.html", base_url="https://news.example.org/a")
    assert bodies.selector_for(page) == "main article"
    assert json.loads(json.dumps(c.to_dict()))["sites"]["example.com"] == {"body": "div.story"}


def test_cache_false_means_no_cache(tmp_path: Path) -> None:
    c = load_config(explicit=write(tmp_path / "linkaudit.toml", "cache = false\n"))
    assert c.no_cache is True
    assert c.cache is None


def test_fail_on_comma_string_and_empty_list(tmp_path: Path) -> None:
    c = load_config(explicit=write(tmp_path / "a.toml", 'fail_on = " Broken , lost,broken"\n'))
    assert c.fail_on == (Verdict.BROKEN, Verdict.LOST)
    c = load_config(explicit=write(tmp_path / "b.toml", "fail_on = []\n"))
    assert c.fail_on == ()


def test_max_age_in_seconds(tmp_path: Path) -> None:
    c = load_config(explicit=write(tmp_path / "a.toml", "max_age = 90\nmax_age_ok = 0\n"))
    assert c.max_age == timedelta(seconds=90)
    assert c.max_age_ok == timedelta(0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1d", 86400),
        ("12h", 43200),
        ("30m", 1800),
        ("45s", 45),
        ("2w", 1209600),
        ("1d12h", 129600),
        ("1.5h", 5400),
        ("1h 30m", 5400),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "d", "1x", "1d-2h", "h1", "1 day"])
def test_parse_duration_rejects(text: str) -> None:
    assert parse_duration(text) is None


# --------------------------------------------------------------------------- secrets


def test_env_secret_resolved_and_masked(tmp_path: Path) -> None:
    conf = write(
        tmp_path / "linkaudit.toml",
        '[hosts."api.example.org"]\n'
        'headers = {Authorization = "Bearer ${API_TOKEN}", X-Key = {env = "X_KEY"},'
        ' X-Plain = "visible"}\n',
    )
    env = {"API_TOKEN": "tok-s3cr3t-123", "X_KEY": "k-98765"}
    c = load_config(explicit=conf, environ=env)
    headers = c.hosts["api.example.org"].headers
    assert isinstance(headers["Authorization"], Secret)
    assert isinstance(headers["X-Key"], Secret)
    assert headers["X-Plain"] == "visible"
    # The request gets the real values...
    assert c.hosts["api.example.org"].http_headers() == {
        "Authorization": "Bearer tok-s3cr3t-123",
        "X-Key": "k-98765",
        "X-Plain": "visible",
    }
    # ...and nothing printable does.
    for text in (repr(c), str(c), json.dumps(c.to_dict()), repr(headers), str(headers["X-Key"])):
        assert "s3cr3t" not in text
        assert "98765" not in text
    assert "***" in repr(c)
    assert c.to_dict()["hosts"]["api.example.org"]["headers"] == {
        "Authorization": "***",
        "X-Key": "***",
        "X-Plain": "visible",
    }
    assert f"{headers['Authorization']}" == "***"
    assert headers["Authorization"].variables == ("API_TOKEN",)


def test_secret_equality_does_not_reveal() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert repr(Secret("hunter2")) == "'***'"


def test_missing_env_variable_is_named(tmp_path: Path) -> None:
    conf = write(
        tmp_path / "linkaudit.toml",
        '[hosts."api.example.org"]\nheaders = {Authorization = "Bearer ${NOPE_TOKEN}"}\n',
    )
    with pytest.raises(ConfigError) as info:
        load_config(explicit=conf, environ={})
    message = str(info.value)
    assert "'NOPE_TOKEN'" in message
    assert 'hosts."api.example.org".headers.Authorization' in message


def test_missing_env_table_form(tmp_path: Path) -> None:
    conf = write(
        tmp_path / "linkaudit.toml", '[hosts."a.org"]\nheaders = {X-Key = {env = "MISSING"}}\n'
    )
    with pytest.raises(ConfigError, match="environment variable 'MISSING' is not set"):
        load_config(explicit=conf, environ={})


def test_environ_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LA_TEST_TOKEN", "from-env")
    conf = write(
        tmp_path / "linkaudit.toml", '[hosts."a.org"]\nheaders = {T = "${LA_TEST_TOKEN}"}\n'
    )
    assert load_config(explicit=conf).hosts["a.org"].http_headers() == {"T": "from-env"}


# --------------------------------------------------------------------------- command line


def test_cli_values_override_file_and_none_keeps_it(tmp_path: Path) -> None:
    conf = write(
        tmp_path / "linkaudit.toml",
        'timeout = 10\nconcurrency = 8\nfail_on = ["broken"]\nexclude = ["a"]\n',
    )
    base = load_config(explicit=conf)
    merged = base.merged_with(
        timeout=3.5,
        concurrency=None,
        fail_on="stale,lost",
        exclude=["b", "c"],
        max_age="2h",
        scope="page",
        cache=Path("elsewhere.sqlite"),
    )
    assert merged.timeout == 3.5
    assert merged.concurrency == 8  # None: not given on the command line
    assert merged.fail_on == (Verdict.STALE, Verdict.LOST)
    assert [p.pattern for p in merged.exclude] == ["b", "c"]  # replaces, not extends
    assert merged.max_age == timedelta(hours=2)
    assert merged.scope is Scope.PAGE
    assert merged.cache == Path("elsewhere.sqlite")  # the CLI's path is cwd-relative
    assert merged.source == base.source
    assert base.timeout == 10.0  # frozen: the original is untouched


def test_cli_no_cache(tmp_path: Path) -> None:
    merged = Config().merged_with(no_cache=True)
    assert merged.no_cache is True
    assert Config().merged_with(cache=False).no_cache is True


def test_cli_values_are_validated_with_option_names() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^command line: --fail-on: unknown verdict 'brokn'; "
        r"did you mean 'broken'\?$",
    ):
        Config().merged_with(fail_on="brokn")
    with pytest.raises(ConfigError, match=r"^command line: --max-age: 'soon' is not a duration"):
        Config().merged_with(max_age="soon")
    with pytest.raises(ConfigError, match=r"--concurrency: must be an integer >= 1, got 0"):
        Config().merged_with(concurrency=0)


def test_cli_unknown_setting_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="concurency"):
        Config().merged_with(concurency=3)


def test_exclude_accepts_compiled_patterns() -> None:
    pattern = re.compile("x")
    assert Config().merged_with(exclude=[pattern]).exclude == (pattern,)


# --------------------------------------------------------------------------- the README's form


def _readme_example() -> str:
    """The ``[tool.linkaudit]`` example of the README's Configuration section."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") :]
    block = section[section.index("```toml\n") + len("```toml\n") :]
    return block[: block.index("```")]


def test_linkaudit_toml_accepts_the_readmes_tool_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXAMPLE_TOKEN", "t0ken")
    example = _readme_example()
    assert example.startswith("[tool.linkaudit]\n")
    write(tmp_path / "linkaudit.toml", example)
    config = load_config(start=tmp_path)
    assert config.per_host == 2
    assert config.fail_on == (Verdict.BROKEN, Verdict.LOST, Verdict.STALE)
    host = config.host("api.example.org")
    assert host is not None
    assert host.concurrency == 1


def test_the_tool_table_form_names_keys_with_their_prefix(tmp_path: Path) -> None:
    write(tmp_path / "linkaudit.toml", "[tool.linkaudit]\nper_hots = 2\n")
    with pytest.raises(ConfigError, match=r"in \[tool\.linkaudit\]; did you mean 'per_host'"):
        load_config(start=tmp_path)
    explicit = write(tmp_path / "ci.toml", "[tool.linkaudit]\ntimeout = -1\n")
    with pytest.raises(ConfigError, match=r"ci\.toml: tool\.linkaudit\.timeout: must be > 0"):
        load_config(explicit=explicit)


def test_top_level_keys_and_a_tool_table_together_are_an_error(tmp_path: Path) -> None:
    write(tmp_path / "linkaudit.toml", "timeout = 3\n[tool.linkaudit]\nper_host = 2\n")
    with pytest.raises(ConfigError, match=r"both under \[tool\.linkaudit\] and outside it"):
        load_config(start=tmp_path)


# --------------------------------------------------------------------------- repeated options


def test_the_options_people_repeat_are_settings(tmp_path: Path) -> None:
    write(
        tmp_path / "linkaudit.toml",
        'format = ["html", "SARIF", "html"]\n'
        'output_dir = "build/links"\n'
        'wayback_url = "https://wayback.mirror.example/"\n'
        'base_url = "https://news.example.org/"\n'
        "cited_at = 2023-04-18\n"
        'root_dir = "site"\n',
    )
    config = load_config(start=tmp_path)
    assert config.format == ("html", "sarif")
    assert config.output_dir == tmp_path.resolve() / "build" / "links"
    assert config.root_dir == tmp_path.resolve() / "site"
    assert config.wayback_url == "https://wayback.mirror.example/"
    assert config.base_url == "https://news.example.org/"
    assert config.cited_at == datetime(2023, 4, 18, tzinfo=UTC)
    assert config.to_dict()["cited_at"] == "2023-04-18T00:00:00+00:00"
    assert config.merged_with(format="json,csv").format == ("json", "csv")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('format = "htlm"', r"format: unknown report format 'htlm'; did you mean 'html'\?"),
        ("format = []", "format: must name at least one report format"),
        ('wayback_url = "web.archive.org"', "wayback_url: must be an http\\(s\\) URL"),
        ("base_url = 3", "base_url: must be a non-empty string"),
        ('cited_at = "last spring"', r"cited_at: must be a date \(YYYY-MM-DD or ISO 8601\)"),
        ("output_dir = false", "output_dir: must be a non-empty string"),
    ],
)
def test_repeated_options_are_validated(tmp_path: Path, line: str, message: str) -> None:
    write(tmp_path / "linkaudit.toml", line + "\n")
    with pytest.raises(ConfigError, match=message):
        load_config(start=tmp_path)


def test_the_run_takes_them_from_the_file_and_the_command_line_wins(tmp_path: Path) -> None:
    write(
        tmp_path / "linkaudit.toml",
        'wayback_url = "http://mirror.example/"\nbase_url = "https://a.example/"\n'
        'cited_at = "2020-01-02T03:04:05Z"\nroot_dir = "."\n',
    )
    plan = plan_run(RunInputs(cwd=tmp_path, archive=True, command="audit"))
    assert plan.request.audit.archive is not None
    assert plan.request.audit.archive.wayback_url == "http://mirror.example"
    assert plan.request.sources.base_url == "https://a.example/"
    assert plan.request.audit.cited_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    settings = plan.request.settings
    assert settings["command"] == "audit"
    assert settings["changed_since"] is None
    assert settings["root_dir"] == str(tmp_path.resolve())
    assert settings["base_url"] == "https://a.example/"
    given = plan_run(
        RunInputs(
            cwd=tmp_path,
            archive=True,
            base_url="https://b.example/",
            wayback_url="http://other.example",
            cited_at=datetime(2021, 5, 6, tzinfo=UTC),
        )
    )
    assert given.request.sources.base_url == "https://b.example/"
    assert given.request.audit.archive is not None
    assert given.request.audit.archive.wayback_url == "http://other.example"
    assert given.request.sources.cited_at == datetime(2021, 5, 6, tzinfo=UTC)
