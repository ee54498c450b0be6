"""The work queue of a PostgreSQL store: URLs claimed by host, under leases.

Many workers on many machines check one archive's URLs, and every host must see
one polite client, not one per worker.  So each host's politeness state has one
owner, the database: a ``hosts`` row per politeness key holds its limits
(``max_in_flight``, ``min_interval``) and its state (``in_flight``,
``next_start``, ``backoff_until``), and a worker may start a request only by
claiming a URL through its host row.

- **Claims** (:meth:`WorkQueue.claim`) take ``FOR UPDATE SKIP LOCKED`` over the
  eligible hosts (below their limit, past their next start and back-off, with a
  URL due), one URL per host per claim, and in the same statement count the
  request in flight and move the host's next start ``min_interval`` on.  Workers
  never wait for each other's locks: a host another worker is claiming is
  skipped.  A ``CHECK`` constraint (``in_flight <= max_in_flight``) makes the
  database itself refuse a claim beyond the limit, whatever a buggy or older
  worker sends.
- **Time** is the database's (``now()``) in every decision, so workers' clocks do
  not matter.
- **Leases** are fenced by owner and token: :meth:`WorkQueue.complete` counts only
  when the lease it names is still the URL's, so a worker that was presumed dead
  (its lease reaped and handed to another) cannot overwrite the newer answer.
  :meth:`WorkQueue.reap` hands expired leases back and gives their hosts the
  slots back; one reaper at a time (an advisory lock), so reapers never deadlock.
- **Just in time**: a worker claims only what it starts at once, and
  :meth:`WorkQueue.release` gives back a claim it did not start within its
  slack (prefetched claims would silently break the host's interval).  A host
  with an interval is next eligible ``min_interval + slack`` after a claim, so
  starts stay ``min_interval`` apart however late within the slack each is.
- **Shared refusals**: an answer asking to come back later (429/503 with
  ``Retry-After``) moves the host's ``backoff_until``, so every worker backs off,
  and the URL is due again then, not recorded as an answer.
- **Scheduling**: each URL carries ``due_at``; a completion sets the next one by
  verdict (:data:`RECHECK_AFTER`), so a daily pass re-checks what is due, not
  everything.

Only the PostgreSQL engine has a queue; one SQLite process checks its own URLs
with the in-process limiter as before.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit

from linkaudit.addresses import is_ip
from linkaudit.model import CheckResult, Verdict
from linkaudit.store.base import Database, DatabaseError, StoreError, is_transient
from linkaudit.store.results import result_values

if TYPE_CHECKING:
    import threading

    import psycopg


class _ServerDatabase(Protocol):
    """What the queue needs of the PostgreSQL engine's database (not imported here:
    the engine creates the queue's tables, so it imports this module)."""

    name: str

    @property
    def connection(self) -> psycopg.Connection[Any]: ...

    @property
    def lock(self) -> threading.RLock: ...


#: The queue's tables (PostgreSQL only), created with the store's schema.
SCHEMA: Final[tuple[str, ...]] = (
    """CREATE TABLE IF NOT EXISTS hosts (
        key TEXT COLLATE "C" PRIMARY KEY,
        max_in_flight INTEGER NOT NULL DEFAULT 2,
        min_interval DOUBLE PRECISION NOT NULL DEFAULT 1.0,
        in_flight INTEGER NOT NULL DEFAULT 0,
        next_start TIMESTAMPTZ NOT NULL DEFAULT now(),
        backoff_until TIMESTAMPTZ NOT NULL DEFAULT now(),
        started BIGINT NOT NULL DEFAULT 0,
        CONSTRAINT hosts_limits CHECK (max_in_flight >= 1 AND min_interval >= 0),
        CONSTRAINT hosts_in_flight_within_limit
            CHECK (in_flight >= 0 AND in_flight <= max_in_flight)
    )""",
    """CREATE TABLE IF NOT EXISTS queue (
        key TEXT COLLATE "C" PRIMARY KEY,
        host TEXT COLLATE "C" NOT NULL REFERENCES hosts (key),
        due_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        lease_owner TEXT,
        lease_token BIGINT,
        lease_expires TIMESTAMPTZ,
        leased_at TIMESTAMPTZ,  -- the last claim's time (kept: the politeness record)
        attempts INTEGER NOT NULL DEFAULT 0,
        checked_at TIMESTAMPTZ,
        verdict TEXT,
        CONSTRAINT queue_lease_whole CHECK (
            (lease_token IS NULL) = (lease_owner IS NULL)
            AND (lease_token IS NULL) = (lease_expires IS NULL))
    )""",
    "CREATE INDEX IF NOT EXISTS queue_due ON queue (host, due_at) WHERE lease_token IS NULL",
    "CREATE INDEX IF NOT EXISTS queue_leases ON queue (lease_expires)"
    " WHERE lease_token IS NOT NULL",
    "CREATE SEQUENCE IF NOT EXISTS queue_lease_tokens",
)

#: When a URL is due again after an answer: alive a week, failing daily (until the
#: history confirms it dead), a moment's answer (timeout, 503) within the hour.
RECHECK_AFTER: Final[dict[str, timedelta]] = {
    "ok": timedelta(days=7),
    "moved": timedelta(days=7),
    "failing": timedelta(days=1),
    "transient": timedelta(hours=1),
}

#: A URL refused with ``Retry-After`` this many times is recorded as it stands.
MAX_DEFERRALS: Final = 5

#: One reaper at a time (``pg_try_advisory_xact_lock``).
_REAP_LOCK: Final = 0x6C6B7270  # "lkrp"

_CLAIM: Final = """
WITH eligible AS (
    SELECT h.key, h.min_interval FROM hosts AS h
    WHERE h.in_flight < h.max_in_flight AND h.next_start <= now() AND h.backoff_until <= now()
      AND EXISTS (SELECT 1 FROM queue AS q
                  WHERE q.host = h.key AND q.lease_token IS NULL AND q.due_at <= now())
    ORDER BY h.next_start
    LIMIT %(hosts)s
    FOR UPDATE SKIP LOCKED
), picked AS (
    SELECT q.key AS url_key, e.key AS host_key, e.min_interval
    FROM eligible AS e CROSS JOIN LATERAL (
        SELECT key FROM queue
        WHERE queue.host = e.key AND queue.lease_token IS NULL AND queue.due_at <= now()
        ORDER BY queue.due_at, queue.key
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ) AS q
), counted AS (  -- a data-modifying CTE runs whether or not it is read
    UPDATE hosts SET in_flight = hosts.in_flight + 1, started = hosts.started + 1,
        next_start = now() + make_interval(secs => picked.min_interval
            + CASE WHEN picked.min_interval > 0 THEN %(slack)s ELSE 0 END)
    FROM picked WHERE hosts.key = picked.host_key
    RETURNING hosts.key
)
UPDATE queue SET lease_owner = %(owner)s, lease_token = nextval('queue_lease_tokens'),
    lease_expires = now() + make_interval(secs => %(lease)s), leased_at = now(),
    attempts = queue.attempts + 1
FROM picked WHERE queue.key = picked.url_key
RETURNING queue.key, queue.host, queue.lease_token, queue.attempts
"""

#: End a lease (only the one named): the URL is due again at ``next`` seconds from
#: now, the host gets its slot back, waits ``min_interval`` from now (the interval
#: also runs from each answer, as Nutch's and Heritrix's delays do: for a host
#: taking one request at a time, the target itself sees every gap) and, if the
#: answer said so, backs off.
_FINISH: Final = """
WITH finished AS (
    UPDATE queue SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL,
        due_at = now() + make_interval(secs => %(next)s),
        checked_at = CASE WHEN %(answered)s THEN now() ELSE queue.checked_at END,
        verdict = COALESCE(%(verdict)s, queue.verdict),
        attempts = CASE WHEN %(answered)s THEN 0 ELSE queue.attempts END
    WHERE queue.key = %(key)s AND queue.lease_owner = %(owner)s
      AND queue.lease_token = %(token)s
    RETURNING queue.host
)
UPDATE hosts SET in_flight = hosts.in_flight - 1,
    next_start = GREATEST(hosts.next_start, now() + make_interval(secs => hosts.min_interval)),
    backoff_until = GREATEST(hosts.backoff_until,
                             now() + make_interval(secs => %(backoff)s))
FROM finished WHERE hosts.key = finished.host
RETURNING hosts.key
"""

_REAP: Final = """
WITH expired AS (
    UPDATE queue SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL
    WHERE lease_token IS NOT NULL AND lease_expires < now()
    RETURNING host
), per_host AS (
    SELECT host, count(*) AS n FROM expired GROUP BY host
)
UPDATE hosts SET in_flight = hosts.in_flight - per_host.n
FROM per_host WHERE hosts.key = per_host.host
RETURNING per_host.n
"""

_INSERT_RESULT: Final = (
    "INSERT INTO results (key, url, verdict, reason, detail, evidence, checked_at,"
    " run_id, from_cache) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


class PolitenessKey(StrEnum):
    """What one politeness budget covers (as Nutch's and Heritrix's queue modes)."""

    HOST = "host"  # the host name: www.example.org and example.org are two
    DOMAIN = "domain"  # the registrable domain, approximately (see politeness_key)
    IP = "ip"  # the address the name resolves to: many names on one server share it


#: Second-level labels under which registrations are made (``bbc.co.uk``): without
#: the Public Suffix List this covers the common cases and no more.
_SECOND_LEVEL: Final = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


def politeness_key(url: str, mode: PolitenessKey = PolitenessKey.HOST) -> str:
    """The key of the host row ``url``'s requests count against; the port counts
    (two servers on one machine are two hosts)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    port = f":{parts.port}" if parts.port else ""
    if mode is PolitenessKey.DOMAIN and not is_ip(host):
        labels = host.split(".")
        keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
        return ".".join(labels[-keep:]) + port
    if mode is PolitenessKey.IP and not is_ip(host):
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except OSError:
            return host + port  # unresolvable: its own key (it will fail fast anyway)
        return str(sorted(info[4][0] for info in infos)[0]) + port
    return host + port


@dataclass(frozen=True)
class HostLimits:
    """A new host row's limits: at most ``max_in_flight`` requests at once, starts at
    least ``min_interval`` seconds apart.  Existing rows keep theirs (the database
    is their owner: an operator may tune one host with an ``UPDATE``)."""

    max_in_flight: int = 2
    min_interval: float = 1.0


@dataclass(frozen=True)
class Lease:
    """A claimed URL: ``owner`` and ``token`` fence its completion."""

    key: str
    host: str
    owner: str
    token: int
    attempt: int


def next_check(result: CheckResult) -> timedelta:
    """How long until ``result``'s URL is due again (:data:`RECHECK_AFTER`)."""
    if is_transient(result):
        return RECHECK_AFTER["transient"]
    if result.verdict in (Verdict.OK, Verdict.MOVED):
        return RECHECK_AFTER["ok"]
    return RECHECK_AFTER["failing"]


def owner_id(name: str = "worker") -> str:
    """A worker's lease owner: name, machine, process and a random tag (a restarted
    worker is another owner: its predecessor's leases are not its own)."""
    return f"{name}@{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class WorkQueue:
    """The queue over a PostgreSQL store's connection (see the module docstring)."""

    def __init__(self, db: Database, *, lease: timedelta = timedelta(minutes=2)) -> None:
        if not hasattr(db, "connection"):
            raise StoreError(
                f"{db.name}: a work queue needs a PostgreSQL store (--store postgresql://…)"
            )
        self._db: _ServerDatabase = db  # type: ignore[assignment]
        self.lease = lease

    def _run(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        import psycopg

        try:
            with self._db.lock, self._db.connection.transaction():
                return self._db.connection.execute(sql, params).fetchall()
        except psycopg.Error as exc:
            raise DatabaseError(str(exc).strip().splitlines()[0]) from exc

    # ------------------------------------------------------------------ filling

    def enqueue(
        self,
        urls: Iterable[str],
        *,
        limits: HostLimits = HostLimits(),
        mode: PolitenessKey = PolitenessKey.HOST,
    ) -> datetime:
        """Make ``urls`` (result keys) due now; returns the database's time, after
        which a completion of each is this request's answer (:meth:`answered`)."""
        keys = sorted(set(urls))
        rows = [(key, politeness_key(key, mode)) for key in keys]
        hosts = sorted({host for _, host in rows})
        import psycopg

        try:
            with self._db.lock, self._db.connection.transaction():
                conn = self._db.connection
                stamp = conn.execute("SELECT now()").fetchone()
                assert stamp is not None
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO hosts (key, max_in_flight, min_interval) VALUES (%s, %s, %s)"
                        " ON CONFLICT (key) DO NOTHING",
                        [(h, limits.max_in_flight, limits.min_interval) for h in hosts],
                    )
                    cursor.executemany(
                        "INSERT INTO queue (key, host) VALUES (%s, %s) ON CONFLICT (key)"
                        " DO UPDATE SET due_at = LEAST(queue.due_at, now())",
                        rows,
                    )
        except psycopg.Error as exc:
            raise DatabaseError(str(exc).strip().splitlines()[0]) from exc
        when: datetime = stamp[0]
        return when

    def set_limits(self, host: str, limits: HostLimits) -> None:
        """Change one host's limits (the ``CHECK`` refuses a limit below what is in
        flight: lower it once requests have finished)."""
        self._run(
            "INSERT INTO hosts (key, max_in_flight, min_interval)"
            " VALUES (%(key)s, %(max)s, %(interval)s) ON CONFLICT (key) DO UPDATE SET"
            " max_in_flight = excluded.max_in_flight, min_interval = excluded.min_interval"
            " RETURNING key",
            {"key": host, "max": limits.max_in_flight, "interval": limits.min_interval},
        )

    # ------------------------------------------------------------------ working

    def claim(self, owner: str, most: int, *, slack: float = 0.0) -> list[Lease]:
        """Up to ``most`` URLs, at most one per host, each counted in its host's
        ``in_flight`` and leased to ``owner`` until the lease runs out.

        ``slack``: how late after the claim (on the database's clock) the worker
        may still start a request; a host with an interval waits that much longer
        before its next claim, so two starts are ``min_interval`` apart even when
        the first is late by the whole slack and the second is not late at all.
        """
        if most <= 0:
            return []
        rows = self._run(
            _CLAIM,
            {"hosts": most, "owner": owner, "lease": self.lease.total_seconds(), "slack": slack},
        )
        return [Lease(key, host, owner, int(token), int(n)) for key, host, token, n in rows]

    def complete(self, lease: Lease, result: CheckResult) -> bool:
        """Record ``result`` for a lease still held; False (nothing written) when the
        lease is no longer this worker's (reaped, and maybe already re-run).

        An answer asking to come back later (``retry_after`` on a transient result)
        backs the whole host off until then and leaves the URL due at that time,
        unanswered, up to :data:`MAX_DEFERRALS` times.
        """
        wait = _retry_wait(result)
        if wait is not None and lease.attempt < MAX_DEFERRALS:
            return self._finish(lease, answered=False, next_in=wait, backoff=wait)
        import psycopg

        params = {
            "key": lease.key,
            "owner": lease.owner,
            "token": lease.token,
            "next": next_check(result).total_seconds(),
            "backoff": wait or 0.0,
            "answered": True,
            "verdict": result.verdict.value,
        }
        try:
            with self._db.lock, self._db.connection.transaction():
                conn = self._db.connection
                if not conn.execute(_FINISH, params).fetchall():
                    return False  # a stale lease: its answer is not ours to give
                conn.execute("DELETE FROM results WHERE key = %s AND run_id IS NULL", (result.key,))
                conn.execute(_INSERT_RESULT, result_values(result, result.checked_at, None))
        except psycopg.Error as exc:
            raise DatabaseError(str(exc).strip().splitlines()[0]) from exc
        return True

    def release(self, lease: Lease) -> bool:
        """Give back a claim that was not started in time: due again at once."""
        return self._finish(lease, answered=False, next_in=0.0, backoff=0.0)

    def _finish(self, lease: Lease, *, answered: bool, next_in: float, backoff: float) -> bool:
        rows = self._run(
            _FINISH,
            {
                "key": lease.key,
                "owner": lease.owner,
                "token": lease.token,
                "next": next_in,
                "backoff": backoff,
                "answered": answered,
                "verdict": None,
            },
        )
        return bool(rows)

    def reap(self) -> int:
        """Hand expired leases (of workers that died or stalled) back to the queue;
        how many.  Skipped while another process is reaping."""
        import psycopg

        try:
            with self._db.lock, self._db.connection.transaction():
                conn = self._db.connection
                got = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_REAP_LOCK,))
                row = got.fetchone()
                if row is None or not row[0]:
                    return 0
                return sum(int(n) for (n,) in conn.execute(_REAP).fetchall())
        except psycopg.Error as exc:
            raise DatabaseError(str(exc).strip().splitlines()[0]) from exc

    # ------------------------------------------------------------------ rate budgets

    def take_slot(self, host: str, burst: int = 1) -> tuple[datetime, float]:
        """The next start slot of ``host`` (its row must exist): the database time
        it may start, and seconds from now until then (0 when it may start now).
        Each call moves the row's ``next_start`` one ``min_interval`` past the slot,
        so callers anywhere get slots that far apart, after up to ``burst`` at once
        for a row that was idle (a generic cell-rate budget shared by every
        process: the archives)."""
        rows = self._run(
            "WITH slot AS (SELECT key, GREATEST(next_start, backoff_until,"
            " now() - make_interval(secs => min_interval * %(extra)s)) AS at"
            " FROM hosts WHERE key = %(key)s FOR UPDATE)"
            " UPDATE hosts SET next_start = slot.at + make_interval(secs => hosts.min_interval),"
            " started = hosts.started + 1 FROM slot WHERE hosts.key = slot.key"
            " RETURNING slot.at, GREATEST(extract(epoch FROM slot.at - now()), 0)",
            {"key": host, "extra": max(burst - 1, 0)},
        )
        if not rows:
            raise DatabaseError(f"no host row for {host}")
        slot, wait = rows[0]
        return slot, float(wait)

    def back_off(self, host: str, seconds: float) -> None:
        """Nobody starts a request to ``host`` for ``seconds`` from now (a 429)."""
        self._run(
            "UPDATE hosts SET backoff_until = GREATEST(backoff_until,"
            " now() + make_interval(secs => %(seconds)s)) WHERE key = %(key)s RETURNING key",
            {"key": host, "seconds": max(seconds, 0.0)},
        )

    # ------------------------------------------------------------------ following

    def answered(self, keys: Sequence[str], since: datetime) -> set[str]:
        """Which of ``keys`` have been answered since ``since`` (database time)."""
        done: set[str] = set()
        for start in range(0, len(keys), 1000):
            chunk = list(keys[start : start + 1000])
            rows = self._run(
                "SELECT key FROM queue WHERE key = ANY(%(keys)s) AND checked_at >= %(since)s",
                {"keys": chunk, "since": since},
            )
            done.update(key for (key,) in rows)
        return done

    def pending(self) -> int:
        """URLs due now or leased: the work still to do."""
        rows = self._run(
            "SELECT count(*) FROM queue WHERE lease_token IS NOT NULL OR due_at <= now()", {}
        )
        return int(rows[0][0])

    def hosts(self) -> dict[str, dict[str, Any]]:
        """Every host row, for reports and tests."""
        rows = self._run(
            "SELECT key, max_in_flight, min_interval, in_flight, next_start, backoff_until,"
            " started FROM hosts ORDER BY key",
            {},
        )
        names = ("max_in_flight", "min_interval", "in_flight", "next_start", "backoff_until")
        return {
            row[0]: {**dict(zip(names, row[1:6], strict=True)), "started": int(row[6])}
            for row in rows
        }


def _retry_wait(result: CheckResult) -> float | None:
    """Seconds the server asked us to wait, when its answer is a "come back later"."""
    if result.retry_after is None or not is_transient(result) or result.checked_at is None:
        return None
    return max((result.retry_after - result.checked_at).total_seconds(), 0.0)
