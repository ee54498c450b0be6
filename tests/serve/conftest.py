"""A desk on loopback with a WordPress stand-in, a small web and the archive stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from linkaudit.serve.app import Running
from linkaudit.serve.desk import Desk
from linkaudit.settings import RunInputs
from linkaudit.sources.wordpress_draft import AUTH_ENV
from linkaudit.testing.archive import ArchiveStandIn
from linkaudit.testing.server import LoopbackServer, Site
from linkaudit.testing.wordpress import WordPressStandIn, draft_scene


@dataclass
class World:
    server: LoopbackServer
    web: Site
    wp: WordPressStandIn
    archive: ArchiveStandIn
    workdir: Path
    raw: str
    live: str
    dead: str

    @property
    def archived(self) -> str:
        return f"{self.archive.base_url}/web/20210401000000/{self.dead}"

    def repaired(self) -> str:
        """The draft with its dead link pointed at the archived copy, as ``fix`` does it."""
        return self.raw.replace(
            f'href="{self.dead}"', f'href="{self.archived}" data-originalurl="{self.dead}"'
        )

    def desk(self, **kwargs: object) -> Desk:
        inputs = RunInputs(
            wayback_url=self.archive.base_url,
            overrides={"cache": self.workdir / "desk.sqlite"},
        )
        return Desk(
            inputs,
            backup_dir=self.workdir / "backups",
            wordpress_sites=(self.wp.url,),
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with LoopbackServer() as server, ArchiveStandIn() as archive:
        scene = draft_scene(server, archive)
        web, wp, raw, live, dead = scene.web, scene.wp, scene.raw, scene.live, scene.dead
        (tmp_path / "linkaudit.toml").write_text(
            'archives = ["wayback"]\ntimeout = 2\nmax_retries = 0\n', encoding="utf-8"
        )
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(AUTH_ENV, wp.auth())
        yield World(server, web, wp, archive, tmp_path, raw, live, dead)


@pytest.fixture
def running(world: World) -> Iterator[Running]:
    desk = world.desk()
    try:
        with Running(desk) as served:
            yield served
    finally:
        desk.close()
