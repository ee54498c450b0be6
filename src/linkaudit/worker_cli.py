"""``linkaudit worker``: check what a PostgreSQL store's queue says is due.

Start as many as the machines allow, against one database; ``audit … --store
postgresql://…`` enqueues and follows a run.  A worker stops on Ctrl-C or
SIGTERM after finishing (and completing) what it has started, or by itself
after ``--idle-exit`` seconds with nothing to do.  A worker killed outright
loses nothing: its leases run out and are handed to the others.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from pathlib import Path

import click

from linkaudit import _aio as aio
from linkaudit.commandline import Command, cache_option, config_option, handles_errors, say
from linkaudit.config import load_config
from linkaudit.errors import InputError
from linkaudit.settings import check_options
from linkaudit.store import Store
from linkaudit.store.location import is_server
from linkaudit.store.queue import WorkQueue
from linkaudit.worker import WorkerOptions, work


@click.command("worker", cls=Command)
@config_option
@cache_option
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=WorkerOptions.concurrency,
    show_default=True,
    help="URLs this worker checks at once (each host's own limit is its row's).",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=1),
    default=WorkerOptions.lease.total_seconds(),
    show_default=True,
    help="Seconds a claim lasts without an answer before other workers may take it.",
)
@click.option(
    "--idle-exit",
    type=click.FloatRange(min=0),
    default=None,
    help="Stop after this many seconds with nothing due (default: run until stopped).",
)
@handles_errors
def worker_command(
    config_path: Path | None,
    cache_path: Path | str | None,
    concurrency: int,
    lease: float,
    idle_exit: float | None,
) -> None:
    """Check URLs from a PostgreSQL store's queue, politely for every worker at once.

    Each host's limits are its row in the store (made when a run first enqueues
    the host, from that run's per_host and host_interval); workers only obey them.
    """
    config = load_config(Path.cwd(), config_path)
    location = cache_path or config.cache
    if not is_server(location):
        raise InputError("a worker needs a shared store: --store postgresql://user@host/db")
    assert isinstance(location, str)
    options = WorkerOptions(
        concurrency=concurrency,
        lease=timedelta(seconds=lease),
    )
    stopping = [False]

    def on_signal(signum: int, frame: object) -> None:
        stopping[0] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with Store.open(location) as store:
        queue = WorkQueue(store.db)
        idle_since = [time.monotonic()]
        checked = [0]

        def count(_: object) -> None:
            checked[0] += 1
            idle_since[0] = time.monotonic()

        def stop() -> bool:
            if stopping[0]:
                return True
            if idle_exit is None or time.monotonic() - idle_since[0] < idle_exit:
                return False
            if queue.pending():
                idle_since[0] = time.monotonic()
                return False
            return True

        say(f"worker on {store.name}: checking what is due")
        stats = aio.run(work(store, check_options(config), options, stop=stop, progress=count))
    say(
        f"worker done: {stats.checked} checked, {stats.released} given back,"
        f" {stats.stale} stale, {stats.reaped} leases reaped"
    )
