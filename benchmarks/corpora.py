"""The benchmark corpora: deterministic webs served on loopback, and the documents citing them.

Three corpora (issue 9):

* ``editor``: one article, 150 citations over 60 hosts, latency median ~80 ms with a
  tail to 2 s, and a realistic mix of failures;
* ``content``: a repository of Markdown and HTML files (2,000 files, 20,000
  citations, 5,000 distinct URLs, 200 hosts by default);
* ``zoo``: every case of the link zoo (``linkaudit.testing.zoo``) with its true
  verdict, rebuilt on IP literals where a case allows it.

Every URL a peer sees is an IP literal on 127.0.0.0/8, so no tool ever asks DNS.
The server side (``build_*``) runs in the servers' process and returns a picklable
``Served`` description; ``write_documents`` turns it into files in the parent.
Everything is drawn from ``random.Random(seed)``; only the listening ports vary.
"""

from __future__ import annotations

import asyncio
import math
import random
import ssl
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from linkaudit.testing.server import Conn, LoopbackServer, Request, closed_port, page, redirect

# --- what the parent gets back --------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One cited URL (as written, maybe with a fragment) and what a reader truly gets."""

    url: str
    truth: str  # a linkaudit verdict word
    label: str = ""
    peers: bool = True  # False: needs a host name (resolver), so linkaudit only


@dataclass(frozen=True)
class Work:
    """What a polite checker cannot avoid for one fragment-less URL (for the lower bound)."""

    host: str
    answers: tuple[float, ...]  # server latencies it must wait for, one after another
    waits: float = 0.0  # deliberate waits the server asks for (Retry-After)
    rate: float = 0.0  # requests per second the host allows (0: no rate limit)
    burst: int = 0  # requests it allows at once before the rate applies


@dataclass(frozen=True)
class Served:
    corpus: str
    cases: tuple[Case, ...]  # distinct cited URLs with their truth
    citations: tuple[str, ...]  # every citation in document order (repeats included)
    work: tuple[Work, ...]
    hosts: int
    ca_pem: str = ""
    resolver: dict[str, str] = field(default_factory=dict)  # name -> address (linkaudit only)
    temporary: tuple[str, ...] = ()  # names that fail as SERVFAIL would
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bound:
    """The politeness lower bound and what sets it."""

    seconds: float
    per_host: float  # max over hosts of serialised work / per-host limit
    overall: float  # all work / global concurrency
    slowest: float  # the slowest single URL (its answers and required waits in a row)


def lower_bound(work: Sequence[Work], per_host: int, concurrency: int) -> Bound:
    """No polite checker finishes sooner (it may well need longer: retries, probes).

    Per host: its answers' latencies spread over ``per_host`` slots, or for a
    rate-limited host the time its token bucket needs to admit every request,
    whichever is longer.
    """
    by_host: dict[str, float] = {}
    requests: Counter[str] = Counter()
    limits: dict[str, tuple[float, int]] = {}
    total = slowest = 0.0
    for item in work:
        cost = sum(item.answers)
        by_host[item.host] = by_host.get(item.host, 0.0) + cost
        requests[item.host] += len(item.answers)
        if item.rate:
            limits[item.host] = (item.rate, item.burst)
        total += cost
        slowest = max(slowest, cost + item.waits)
    host_bound = 0.0
    for host, cost in by_host.items():
        bound = cost / per_host
        if host in limits:
            rate, burst = limits[host]
            bound = max(bound, (requests[host] - burst) / rate)
        host_bound = max(host_bound, bound)
    overall = total / concurrency
    return Bound(max(host_bound, overall, slowest), host_bound, overall, slowest)


# --- a generated web ------------------------------------------------------------


@dataclass(frozen=True)
class WebSpec:
    name: str
    hosts: int
    urls: int  # distinct fragment-less URLs
    citations: int
    latency_median: float
    latency_sigma: float
    latency_cap: float
    prefix: int  # addresses 127.<prefix>.x.y
    slow: int = 0  # hosts answering in 1-2 s
    soft: int = 0  # hosts answering every path 200 "not found" (soft 404)
    walls: int = 0  # hosts behind a bot challenge (403)
    rate_limited: int = 0  # hosts behind a token-bucket rate limit (429 Retry-After: 1)
    dead: int = 0  # hosts refusing connections
    # hosts refusing a share of URLs once each (429 or 503, Retry-After: 1), at any rate
    sporadic: int = 0
    fragments: float = 0.15  # share of extra citations of a page that carry a #fragment


EDITOR = WebSpec(
    "editor",
    hosts=60,
    urls=138,
    citations=150,
    latency_median=0.08,
    latency_sigma=0.6,
    latency_cap=2.0,
    prefix=10,
    slow=3,
    soft=2,
    walls=3,
    rate_limited=2,
    dead=1,
    sporadic=4,
)
CONTENT = WebSpec(
    "content",
    hosts=200,
    urls=5000,
    citations=20000,
    latency_median=0.04,
    latency_sigma=0.5,
    latency_cap=0.5,
    prefix=20,
    soft=2,
    walls=1,
    rate_limited=1,
    dead=1,
    sporadic=20,
)
#: The normal hosts' mix of URL kinds (weights).
MIX = {
    "page": 78,
    "404": 6,
    "410": 2,
    "moved": 5,
    "homepage": 2,
    "flaky": 2,
    "pdf": 3,
    "missing_fragment": 2,
}
TRUTH = {
    "page": "ok",
    "404": "broken",
    "410": "broken",
    "moved": "moved",
    "homepage": "stale",
    "flaky": "ok",
    "pdf": "ok",
    "missing_fragment": "fragment_missing",
    "soft": "stale",
    "challenge": "blocked",
    "refused": "broken",
}

SOFT_404 = (
    "<!doctype html><html><head><title>Oops</title></head><body><h1>Sorry, page not found"
    "</h1><p>We looked everywhere but the page you asked for is not here. Try the search "
    "box, or go back to the front page and browse our categories.</p></body></html>"
)
CHALLENGE = (
    "<!doctype html><html><head><title>Just a moment...</title></head><body><noscript>"
    "Enable JavaScript and cookies to continue</noscript><script src='/cdn-cgi/challenge-"
    "platform/h/b/orchestrate/chl_page/v1'></script></body></html>"
)
WORDS = [
    "archive",
    "citation",
    "source",
    "evidence",
    "report",
    "study",
    "data",
    "river",
    "council",
    "budget",
    "school",
    "climate",
    "energy",
    "health",
    "market",
    "court",
    "election",
    "museum",
    "harbour",
    "library",
    "science",
    "rail",
    "storm",
    "festival",
    "vaccine",
    "census",
    "treaty",
    "bridge",
    "forest",
]


def _article(rng: random.Random, title: str) -> bytes:
    paras = []
    for n in range(4):
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        paras.append(f"<h2 id='sec-{n}'>Section {n}</h2><p>{words}</p>")
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>{''.join(paras)}</article></body></html>"
    ).encode()


def _homepage(rng: random.Random, host: str) -> bytes:
    words = " ".join(rng.choice(WORDS) for _ in range(40))
    return (
        f"<!doctype html><html><head><title>Home of {host}</title></head><body>"
        f"<h1>Welcome</h1><p>Latest stories: {words}</p></body></html>"
    ).encode()


@dataclass
class _Route:
    kind: str
    latency: float
    body: bytes = b""
    status: int = 200
    location: str = ""


#: A rate-limited host admits this many requests per second, in bursts of at most this many.
RATE, BURST = 2.0, 2
#: The share of cited URLs whose last path segment is a descriptive slug that the page's
#: title echoes: 302 of the 591 outbound links in ../shared/corpus and the article-body
#: set have one (two or more words of four letters or more).
SLUG_SHARE = 0.5
#: The share of a sporadically refusing host's URLs refused once (whatever the rate).
SPORADIC_SHARE = 0.1


class _Host:
    """One generated host: its routes, its fallback and per-run state.

    A rate-limited host keeps a token bucket (``RATE`` per second, ``BURST`` deep)
    and answers 429 with ``Retry-After: 1`` when it is empty, as real rate limiters do.
    """

    def __init__(self, latency: float, fallback: _Route, limited: bool = False) -> None:
        self.latency = latency
        self.fallback = fallback
        self.limited = limited
        self.routes: dict[str, _Route] = {}
        self.refuse_once: dict[str, int] = {}  # path -> 429 or 503, its first request only
        self.hits: Counter[str] = Counter()
        self.tokens = float(BURST)
        self.filled = time.monotonic()

    def reset(self) -> None:
        self.hits.clear()
        self.tokens = float(BURST)
        self.filled = time.monotonic()

    def _admit(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.filled) * RATE)
        self.filled = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    async def __call__(self, request: Request, conn: Conn) -> None:
        route = self.routes.get(request.path, self.fallback)
        seen = self.hits[request.path]
        self.hits[request.path] += 1
        if self.limited and not self._admit():
            await asyncio.sleep(self.latency)
            headers = (("Retry-After", "1"),)
            await conn.send(request, 429, b"<h1>Too Many Requests</h1>", headers)
            return
        if route.latency:
            await asyncio.sleep(route.latency)
        refusal = self.refuse_once.get(request.path)
        if refusal is not None and seen == 0:
            text = b"<h1>Too Many Requests</h1>" if refusal == 429 else b"<h1>Busy</h1>"
            await conn.send(request, refusal, text, (("Retry-After", "1"),))
            return
        kind = route.kind
        if kind == "flaky" and seen == 0:
            await conn.send(request, 503, b"<h1>Service Unavailable</h1>")
        elif kind == "redirect":
            await conn.send(request, route.status, b"", (("Location", route.location),), None)
        elif kind == "challenge":
            wall = (("cf-mitigated", "challenge"), ("Server", "cloudflare"))
            await conn.send(request, 403, CHALLENGE.encode(), wall)
        elif kind == "pdf":
            await conn.send(request, 200, route.body, content_type="application/pdf")
        else:
            await conn.send(request, route.status, route.body)


#: Every generated host of the current servers' process, for ``reset_hits``.
_HOSTS: list[_Host] = []


def reset_hits() -> None:
    """Forget which paths were asked (429/503-once routes start over for the next tool)."""
    for host in _HOSTS:
        host.reset()


def _latency(rng: random.Random, spec: WebSpec) -> float:
    value = spec.latency_median * math.exp(rng.gauss(0.0, spec.latency_sigma))
    return min(value, spec.latency_cap)


def build_web(server: LoopbackServer, spec: WebSpec, seed: int) -> Served:
    rng = random.Random(f"{spec.name}:{seed}")
    slugs = random.Random(f"{spec.name}:{seed}:slugs")  # its own stream: the rest stays put
    kinds = (
        ["slow"] * spec.slow
        + ["soft"] * spec.soft
        + ["wall"] * spec.walls
        + ["ratelimit"] * spec.rate_limited
        + ["dead"] * spec.dead
        + ["sporadic"] * spec.sporadic
    )
    kinds += ["normal"] * (spec.hosts - len(kinds))
    rng.shuffle(kinds)

    origins: list[str] = []
    hosts: list[_Host | None] = []
    # A site keeps its pages in a few sections (/news/..., /blog/...), as real sites do.
    sections = [rng.sample(WORDS, rng.randint(1, 4)) for _ in kinds]
    for index, kind in enumerate(kinds):
        address = f"127.{spec.prefix}.{index // 250}.{index % 250 + 1}"
        if kind == "dead":
            origins.append(f"http://{address}:{closed_port(address)}")
            hosts.append(None)
            continue
        base = rng.uniform(1.0, 2.0) if kind == "slow" else _latency(rng, spec)
        fallback = (
            _Route("page", base, SOFT_404.encode())
            if kind == "soft"
            else _Route("status", base, b"<h1>Not Found</h1>", status=404)
        )
        state = _Host(base, fallback, limited=kind == "ratelimit")
        site = server.add_site(address)
        site.fallback = state
        _HOSTS.append(state)
        origins.append(f"http://{address}:{site.port}")
        hosts.append(state)

    def path_latency(host: _Host) -> float:
        if host.latency >= 1.0:
            return host.latency
        return min(host.latency * math.exp(rng.gauss(0.0, 0.25)), spec.latency_cap)

    cases: list[Case] = []
    work: list[Work] = []
    pages: list[str] = []  # live HTML pages (fragments may be cited on them)
    names = list(MIX)
    weights = [MIX[k] for k in names]
    for n in range(spec.urls):
        index = n % spec.hosts
        kind, origin, host = kinds[index], origins[index], hosts[index]
        path = f"/{rng.choice(sections[index])}/{n}-{rng.choice(WORDS)}"
        title = f"Story {n}"
        if slugs.random() < SLUG_SHARE:  # a descriptive slug, echoed by the page's title
            first, second = slugs.sample(WORDS, 2)
            path = f"{path.rsplit('/', 1)[0]}/{first}-{second}-{n}"
            title = f"{first.title()} and {second}: story {n}"
        url = origin + path
        if host is None:
            cases.append(Case(url, TRUTH["refused"], "refused"))
            work.append(Work(origin, ()))
            continue
        lat = path_latency(host)
        if kind == "soft":
            # every other URL of the host (``n % 2`` would follow the host's index,
            # which fixes every URL's parity: a host at an odd index had no soft case)
            what = "soft" if (n // spec.hosts) % 2 == 0 else "page"
        elif kind == "wall":
            what = "challenge"
        elif kind == "ratelimit" or kind == "slow":
            what = "page"
        else:
            what = rng.choices(names, weights)[0]
        answers: tuple[float, ...] = (lat,)
        waits = 0.0
        key = url
        if what == "soft":
            pass  # the fallback answers it
        elif what in ("page", "flaky", "missing_fragment"):
            host.routes[path] = _Route(what, lat, _article(rng, title))
            if what == "flaky":
                answers = (lat, lat)
            if what == "missing_fragment":
                key = f"{url}#no-such-{n}"
            elif what == "page":
                pages.append(url)
        elif what in ("404", "410"):
            host.routes[path] = _Route("status", lat, b"<h1>Gone</h1>", status=int(what))
        elif what == "moved":
            target = f"/new{path}"
            host.routes[path] = _Route("redirect", lat, status=301, location=target)
            host.routes[target] = _Route("page", lat, _article(rng, f"Story {n}, moved"))
            answers = (lat, lat)
        elif what == "homepage":
            host.routes[path] = _Route("redirect", lat, status=301, location="/")
            host.routes.setdefault("/", _Route("page", lat, _homepage(rng, origin)))
            answers = (lat, host.routes["/"].latency)
        elif what == "pdf":
            url = key = url + ".pdf"
            path += ".pdf"
            host.routes[path] = _Route("pdf", lat, b"%PDF-1.4\n" + b"0" * 4096)
        elif what == "challenge":
            host.routes[path] = _Route("challenge", lat)
        label = "rate_limited_host" if kind == "ratelimit" else what
        refused = kind == "sporadic" and what not in ("soft", "challenge")
        if refused and rng.random() < SPORADIC_SHARE:
            host.refuse_once[path] = rng.choice((429, 503))
            answers, waits = (*answers, lat), waits + 1.0  # asked again after Retry-After
            label = f"sporadic_refusal_{what}"
        cases.append(Case(key, TRUTH[what], label))
        rate, burst = (RATE, BURST) if kind == "ratelimit" else (0.0, 0)
        work.append(Work(origin, answers, waits, rate, burst))

    # Citations: every URL once, then repeats (some with a fragment) up to the total.
    citations = [case.url for case in cases]
    truth = {case.url: case for case in cases}
    while len(citations) < spec.citations:
        if pages and rng.random() < spec.fragments:
            url = rng.choice(pages)
            key = f"{url}#sec-{rng.randrange(4)}"
            if key not in truth:
                truth[key] = Case(key, "ok", "fragment")
            citations.append(key)
        else:
            citations.append(rng.choice(cases).url)
    rng.shuffle(citations)
    return Served(
        corpus=spec.name,
        cases=tuple(truth.values()),
        citations=tuple(citations),
        work=tuple(work),
        hosts=spec.hosts,
    )


def scaled(spec: WebSpec, factor: float) -> WebSpec:
    """A smaller corpus of the same shape (for the smoke test and quick runs)."""
    from dataclasses import replace

    hosts = max(8, round(spec.hosts * factor))
    return replace(
        spec,
        hosts=hosts,
        urls=max(hosts, round(spec.urls * factor)),
        citations=max(hosts, round(spec.citations * factor)),
        slow=min(spec.slow, 1),
        soft=min(spec.soft, 1),
        walls=min(spec.walls, 1),
        rate_limited=min(spec.rate_limited, 1),
        dead=min(spec.dead, 1),
        sporadic=min(spec.sporadic, 2),
    )


# --- the zoo --------------------------------------------------------------------


def _tls_context(cert: object) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)  # type: ignore[attr-defined]
    return context


def build_zoo(server: LoopbackServer) -> Served:
    """The link zoo's cases, on IP literals wherever the case survives it.

    Cases about names (NXDOMAIN, SERVFAIL) stay on names for linkaudit's injected
    resolver and are ``n/a`` for peers.  The TLS cases and http->https are rebuilt
    with certificates for IP addresses (a wrong-host certificate is one issued for
    another name, served on an IP); the named originals are dropped.
    """
    import trustme

    from linkaudit.testing.zoo import ARTICLE, Zoo

    zoo = Zoo(server)
    zoo.build()
    hosts = zoo.resolver.hosts
    renamed = {"https_live", "tls_self_signed", "tls_expired", "tls_hostname", "http_to_https"}
    cases: list[Case] = []
    for case in zoo.cases:
        if case.name in renamed:
            continue
        parts = urlsplit(case.key)
        name = (parts.hostname or "").lower()
        truth = case.verdict.value
        if name in hosts:
            netloc = hosts[name] + (f":{parts.port}" if parts.port else "")
            url = urlunsplit(parts._replace(netloc=netloc))
            cases.append(Case(url, truth, case.name))
        else:
            cases.append(Case(case.key, truth, case.name, peers=False))

    def tls_site(address: str, cert: object, label: str, truth: str) -> None:
        site = server.add_site(address, ssl_context=_tls_context(cert))
        site.route("/article", page(ARTICLE))
        cases.append(Case(site.url("/article"), truth, label))

    ca = zoo.ca
    tls_site("127.0.3.1", ca.issue_cert("127.0.3.1"), "https_live", "ok")
    tls_site("127.0.3.2", trustme.CA().issue_cert("127.0.3.2"), "tls_self_signed", "insecure")
    expired = ca.issue_cert(
        "127.0.3.3",
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2021, 1, 1, tzinfo=UTC),
    )
    tls_site("127.0.3.3", expired, "tls_expired", "insecure")
    tls_site("127.0.3.4", ca.issue_cert("other.zoo.test"), "tls_hostname", "insecure")
    notes = []
    try:
        address = "127.77.0.2"
        https = server.add_site(address, 443, ssl_context=_tls_context(ca.issue_cert(address)))
        http = server.add_site(address, 80)
        https.route("/page", page(ARTICLE))
        http.route("/page", redirect(f"https://{address}/page"))
        cases.append(Case(f"http://{address}/page", "ok", "http_to_https"))
    except (OSError, TimeoutError):
        notes.append("http_to_https left out: ports 80/443 could not be bound")
    return Served(
        corpus="zoo",
        cases=tuple(cases),
        citations=tuple(case.url for case in cases),
        work=(),
        hosts=len(server.sites),
        ca_pem=ca.cert_pem.bytes().decode(),
        resolver=dict(hosts),
        temporary=tuple(zoo.resolver.temporary),
        notes=tuple(notes),
    )


# --- documents ------------------------------------------------------------------


def _html_document(title: str, urls: Sequence[str], rng: random.Random) -> str:
    items = []
    for n, url in enumerate(urls):
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        items.append(f'<p>{words} <a href="{url}">source {n}</a>.</p>')
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>\n" + "\n".join(items) + "\n</article></body></html>\n"
    )


def _markdown_document(title: str, urls: Sequence[str], rng: random.Random) -> str:
    lines = [f"# {title}", ""]
    for n, url in enumerate(urls):
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        lines += [f"{words} [source {n}]({url}).", ""]
    return "\n".join(lines)


def write_documents(served: Served, directory: Path, files: int = 1) -> list[Path]:
    """The documents citing ``served`` (peer-checkable citations only), readable by all.

    Returns the paths of the files written (one HTML article for the editor and the
    zoo; ``files`` files, half Markdown and half HTML, for the content repo).  The
    zoo's name-only cases go to ``names_document(directory)`` (not returned).
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    rng = random.Random(f"documents:{served.corpus}")
    peer_urls = {case.url for case in served.cases if case.peers}
    citations = [url for url in served.citations if url in peer_urls]
    paths: list[Path] = []
    if files <= 1:
        path = directory / "article.html"
        path.write_text(_html_document(f"The {served.corpus} article", citations, rng))
        paths.append(path)
    else:
        per = math.ceil(len(citations) / files)
        for index in range(files):
            chunk = citations[index * per : (index + 1) * per]
            sub = directory / f"section-{index // 100:02d}"
            sub.mkdir(exist_ok=True)
            sub.chmod(0o755)
            if index % 2:
                path = sub / f"page-{index:04d}.html"
                path.write_text(_html_document(f"Page {index}", chunk, rng))
            else:
                path = sub / f"note-{index:04d}.md"
                path.write_text(_markdown_document(f"Note {index}", chunk, rng))
            paths.append(path)
    names = [case.url for case in served.cases if not case.peers]
    if names:
        path = names_document(directory)
        path.parent.mkdir(exist_ok=True)
        path.write_text(_html_document("Named cases", names, rng))
    for path in directory.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    return paths


def names_document(directory: Path) -> Path:
    """Where the zoo's name-only cases are written (outside the peers' inputs)."""
    return directory.with_name(directory.name + "-names") / "names.html"
