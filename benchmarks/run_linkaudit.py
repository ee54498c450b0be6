"""Run linkaudit like ``linkaudit check SOURCE... --format json`` does, through the library.

The harness prefers the real CLI; this runner is for two cases the CLI cannot
serve: while the CLI cannot be imported, and for the zoo's name-only cases, which
need an injected resolver (``--resolve NAME=ADDRESS``, ``--servfail NAME``) so that
no DNS query ever leaves the machine.  It prints the same JSON report.

    python benchmarks/run_linkaudit.py FILE... [--concurrency 64] [--per-host 4]
        [--timeout 10] [--connect-timeout 10] [--deadline 30] [--max-retries 2]
        [--cache PATH | --no-cache] [--resolve NAME=ADDRESS]... [--servfail NAME]...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--connect-timeout", type=float, default=10.0)
    parser.add_argument("--deadline", type=float, default=30.0)
    parser.add_argument("--max-retries", type=int, default=2)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--resolve", action="append", default=[], metavar="NAME=ADDRESS")
    parser.add_argument("--servfail", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)

    from linkaudit.check import CheckOptions
    from linkaudit.pipeline import AuditOptions, Services
    from linkaudit.report import FORMATS
    from linkaudit.runner import RunRequest, run
    from linkaudit.sources.collect import Collection

    options = AuditOptions(
        check=CheckOptions(
            concurrency=args.concurrency,
            per_host=args.per_host,
            timeout_read=args.timeout,
            timeout_connect=args.connect_timeout,
            deadline=args.deadline,
            max_retries=args.max_retries,
        ),
        archive=None,
    )
    services = Services()
    if args.resolve or args.servfail:
        from linkaudit.testing.zoo import StaticResolver

        table = dict(item.split("=", 1) for item in args.resolve)
        # a working DNS also knows the names that always exist (the canaries a run
        # asks when every one of its hosts fails to resolve)
        from linkaudit.check.client import CANARY_NAMES

        table = dict.fromkeys(CANARY_NAMES, "127.0.0.1") | table
        services = Services(resolver=StaticResolver(table, temporary=args.servfail))
    request = RunRequest(
        collection=Collection(specs=tuple(args.sources)),
        audit=options,
        cache_path=None if args.no_cache else args.cache,
    )
    outcome = run(request, services)
    sys.stdout.write(FORMATS["json"].render(outcome.report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
