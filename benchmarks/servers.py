"""The corpora's web, served from a process of its own so tools are measured alone.

with CorpusServer("editor", seed=1) as web:
    served = web.served          # cases, citations, work (see corpora.Served)
    web.reset()                  # before each tool: zero the counts
    ... run a tool ...
    stats = web.stats()          # requests and peak in-flight per host, server-counted
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from benchmarks import corpora


@dataclass(frozen=True)
class HostStats:
    address: str  # host:port
    requests: int
    max_in_flight: int
    connections: int = 0


@dataclass(frozen=True)
class Stats:
    hosts: tuple[HostStats, ...]

    @property
    def requests(self) -> int:
        return sum(h.requests for h in self.hosts)

    @property
    def connections(self) -> int:
        return sum(h.connections for h in self.hosts)

    @property
    def max_in_flight(self) -> int:
        return max((h.max_in_flight for h in self.hosts), default=0)


def _build(server: Any, corpus: str, seed: int, scale: float) -> corpora.Served:
    if corpus == "zoo":
        return corpora.build_zoo(server)
    spec = {"editor": corpora.EDITOR, "content": corpora.CONTENT}[corpus]
    if scale != 1.0:
        spec = corpora.scaled(spec, scale)
    return corpora.build_web(server, spec, seed)


def _serve(conn: Connection, corpus: str, seed: int, scale: float) -> None:
    from linkaudit.testing.server import LoopbackServer

    with LoopbackServer() as server:
        try:
            served = _build(server, corpus, seed, scale)
        except Exception as exc:
            conn.send(exc)
            return
        conn.send(served)
        while True:
            command = conn.recv()
            if command == "reset":
                server.reset_stats()
                corpora.reset_hits()
                conn.send(None)
            elif command == "stats":
                conn.send(
                    [
                        (
                            f"{s.host}:{s.port}",
                            s.stats.requests,
                            s.stats.max_in_flight,
                            s.stats.connections,
                        )
                        for s in server.sites
                    ]
                )
            else:
                break


class CorpusServer:
    def __init__(self, corpus: str, *, seed: int = 1, scale: float = 1.0) -> None:
        self.corpus = corpus
        self._parent, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_serve, args=(child, corpus, seed, scale), daemon=True
        )
        self._process.start()
        answer = self._parent.recv()
        if isinstance(answer, Exception):
            raise answer
        self.served: corpora.Served = answer

    def __enter__(self) -> CorpusServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        self._parent.send("reset")
        self._parent.recv()

    def stats(self) -> Stats:
        self._parent.send("stats")
        rows = self._parent.recv()
        return Stats(tuple(HostStats(*row) for row in rows))

    def close(self) -> None:
        if self._process.is_alive():
            self._parent.send("stop")
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.terminate()
