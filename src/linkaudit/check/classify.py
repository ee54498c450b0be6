"""Evidence in, verdict out: the one place that decides what a reader gets.

Pure: no network, no clock, no randomness, so every hard case of the web is a
table row in the tests.  The order of the rules is the order of what a reader
meets: no answer at all, then a refusal or error status, then (for a page that
loads) whether it is the cited content at all (parked, homepage, soft 404, meta
refresh to an error), whether the ``#fragment`` is there, and last whether the
link should be updated (moved) or merely took a detour (ok).

Reasons come only from :class:`linkaudit.reasons.Reason`, and each rule's verdict is
its reason's own (``_done``), so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import urlunsplit

from linkaudit.check import quirks, soft404
from linkaudit.check.evidence import Classification, Evidence, FetchError, Page, Probe
from linkaudit.model import Hop
from linkaudit.reasons import Reason
from linkaudit.urls import split_url

__all__ = [
    "BORDERLINE_SIMILARITY",
    "MIN_COMPARABLE_TOKENS",
    "SOFT_404_SIMILARITY",
    "classify",
]

SOFT_404_SIMILARITY = 0.9  # alone enough to call the target the host's not-found page
BORDERLINE_SIMILARITY = 0.7  # enough only when the target's title/heading says "not found"
MIN_COMPARABLE_TOKENS = 15  # fewer visible words: a script-rendered shell, not comparable

_PERMANENT = frozenset({301, 308})
_REDIRECT = frozenset({301, 302, 303, 307, 308})

_ERRORS: dict[FetchError, tuple[Reason, str]] = {
    FetchError.DNS_NOT_FOUND: (
        Reason.DNS_NOT_FOUND,
        "The host name {host} does not exist (DNS says NXDOMAIN).",
    ),
    FetchError.CONNECT_REFUSED: (
        Reason.CONNECT_REFUSED,
        "The server at {host} refused the connection: nothing is listening there.",
    ),
    FetchError.REDIRECT_LOOP: (
        Reason.REDIRECT_LOOP,
        "The redirects loop back to a URL already visited ({hops} hops); "
        "a browser would show an error.",
    ),
    FetchError.TOO_MANY_REDIRECTS: (
        Reason.TOO_MANY_REDIRECTS,
        "Too many redirects ({hops} hops recorded); browsers give up after 20.",
    ),
    FetchError.BAD_REDIRECT: (
        Reason.BAD_REDIRECT,
        "A redirect has no usable Location, so a browser cannot follow it.",
    ),
    FetchError.TIMEOUT: (
        Reason.TIMEOUT,
        "No complete answer from {host} within the time limit ({attempts}); it may be temporary.",
    ),
    FetchError.RESET: (
        Reason.RESET,
        "The connection to {host} was closed or reset before a response ({attempts}); "
        "it may be temporary.",
    ),
    FetchError.DNS_TEMPORARY: (
        Reason.DNS_TEMPORARY,
        "DNS could not resolve {host} for now (temporary failure); it may be transient.",
    ),
    FetchError.CONNECT_FAILED: (
        Reason.CONNECT_FAILED,
        "Could not connect to {host} ({attempts}); it may be temporary.",
    ),
    FetchError.PROTOCOL: (
        Reason.PROTOCOL_ERROR,
        "The server at {host} did not answer with valid HTTP.",
    ),
    FetchError.TLS_EXPIRED: (
        Reason.TLS_EXPIRED,
        "The TLS certificate of {host} has expired: browsers show a warning instead of the page.",
    ),
    FetchError.TLS_SELF_SIGNED: (
        Reason.TLS_SELF_SIGNED,
        "The TLS certificate of {host} is self-signed or from an unknown authority: "
        "browsers show a warning instead of the page.",
    ),
    FetchError.TLS_HOSTNAME: (
        Reason.TLS_HOSTNAME,
        "The TLS certificate does not name {host}: browsers show a warning instead of the page.",
    ),
    FetchError.TLS_OTHER: (
        Reason.TLS_OTHER,
        "The TLS handshake with {host} failed: browsers show an error instead of the page.",
    ),
    FetchError.INVALID_URL: (Reason.INVALID_URL, "This is not a usable URL."),
    FetchError.UNDECODABLE: (
        Reason.UNDECODABLE_BODY,
        "The page from {host} cannot be decoded (its Content-Encoding is corrupt): "
        "browsers show an error instead of the page.",
    ),
    FetchError.OVERSIZED: (
        Reason.DECOMPRESSION_BOMB,
        "The page from {host} is a decompression bomb: a few bytes that expand without "
        "end. No reader gets a page; do not cite it.",
    ),
    FetchError.BLOCKED: (
        Reason.PRIVATE_ADDRESS,
        "Not checked: {host} is inside the network, and this run excludes such addresses.",
    ),
    FetchError.RUN_DEADLINE: (
        Reason.RUN_DEADLINE,
        "Not checked to the end: the run's deadline passed while {host} was still being "
        "asked. This says nothing about the link; the next run checks it again.",
    ),
    FetchError.INTERNAL: (
        Reason.INTERNAL_ERROR,
        "linkaudit failed while checking {host}: a bug in linkaudit, not evidence about the "
        "link. Please report it with the detail below.",
    ),
}

_TLS_NAMES: dict[FetchError, str] = {
    FetchError.TLS_EXPIRED: "an expired certificate",
    FetchError.TLS_SELF_SIGNED: "a self-signed or untrusted certificate",
    FetchError.TLS_HOSTNAME: "a certificate for another host name",
    FetchError.TLS_OTHER: "a failing TLS handshake",
}

# Gateways, overload and a CDN failing to reach the origin (Cloudflare's 52x) say
# "the server is not answering properly now", not "the page is gone": past the
# retries they are ``unreachable`` (server_unavailable: never cached, and dead only
# when they persist over weeks of runs).  A plain 500 that persists, 501, 505+ and
# 530 (the origin's DNS is gone) stay ``broken`` like any persistent server error.
_UNAVAILABLE: dict[int, str] = {
    502: "a gateway got no valid answer from the server behind it",
    503: "the server is overloaded or down for maintenance",
    504: "a gateway timed out waiting for the server behind it",
    520: "the origin server sent an empty or unknown response",
    521: "the origin web server refused the CDN's connection (it is down)",
    522: "the origin server did not accept the CDN's connection in time",
    523: "the CDN could not reach the origin server",
    524: "the origin server accepted the connection but did not answer in time",
    525: "the TLS handshake between the CDN and the origin failed",
    526: "the origin server has an invalid certificate",
    527: "the CDN's railgun connection to the origin failed",
}
_CLOUDFLARE_MEANINGS: dict[int, str] = {
    530: "the origin is unavailable (often its DNS no longer resolves)",
}


@dataclass
class _Context:
    """What most rules need, computed once."""

    evidence: Evidence
    url: str  # the cited URL without its fragment
    final: str  # where the reader lands, without fragment
    redirected: bool
    html: str  # final body if it is HTML, else ""
    notes: list[str]
    refresh_target: str | None = None  # where a prompt meta refresh forwards the reader


def classify(evidence: Evidence) -> Classification:
    """Decide what a reader who follows ``evidence.url`` gets.

    Returns a verdict, a reason code from the vocabulary and one sentence an
    editor can check.  ``notes`` carry what is worth knowing but does not change
    the verdict (a canonical redirect, an ignored certificate problem, a title
    that says "not found" without corroboration).  The engine's own
    ``evidence.notes`` are not repeated here; the engine keeps them.
    """
    forward = _forward_hop(evidence.chain)
    if forward is not None and _forward_failed(evidence):
        return _forward_to_error(evidence, forward)
    if evidence.error is not None:
        return _classify_error(evidence, evidence.error)
    if evidence.status is None:
        return Classification(
            Reason.PROTOCOL_ERROR.verdict,
            Reason.PROTOCOL_ERROR,
            f"No response was recorded for {_host(evidence.url)}.",
        )
    ctx = _context(evidence)
    if evidence.tls_error is not None:
        problem = _TLS_NAMES.get(evidence.tls_error, str(evidence.tls_error))
        suffix = " (ignored because of --insecure)" if evidence.tls_verification_skipped else ""
        ctx.notes.append(
            f"TLS: {_host(ctx.final)} presents {problem}{suffix}; "
            "readers' browsers will show a warning."
        )
    status = evidence.status
    if 200 <= status < 300:
        result = _classify_live(ctx)
    elif 300 <= status < 400:
        result = _done(
            ctx,
            Reason.OK,
            f"Answers {_status_text(status)} at {ctx.final}; a browser shows that page.",
        )
    else:
        result = _classify_refusal(ctx, status)
    return result


# --- helpers -------------------------------------------------------------------


def _defrag(url: str) -> str:
    try:
        parts = split_url(url)
    except ValueError:  # never from the engine; stay total anyway
        return url.split("#", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _host(url: str) -> str:
    try:
        return split_url(url).hostname or url
    except ValueError:
        return url


def _path_and_query(url: str) -> str:
    try:
        parts = split_url(url)
    except ValueError:
        return url
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _status_text(status: int) -> str:
    if status == 999:
        return "999 (a non-standard refusal)"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _is_html(page: Page | None) -> bool:
    if page is None or not page.text:
        return False
    ctype = (page.content_type or "").lower()
    if "html" in ctype:
        return True
    if ctype:
        return False
    head = page.text[:1024].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body", "<meta", "<title"))


def _context(evidence: Evidence) -> _Context:
    url = _defrag(evidence.url)
    final_raw = evidence.final_url or (evidence.chain[-1].url if evidence.chain else evidence.url)
    final = _defrag(final_raw)
    page = evidence.page
    html = page.text if _is_html(page) and page is not None else ""
    return _Context(
        evidence=evidence,
        url=url,
        final=final,
        # Only a real redirect counts: a key normalised differently from the URL
        # fetched (host case, say) is not a detour the reader takes.
        redirected=final != url
        and (
            not evidence.chain
            or any(h.status in _REDIRECT or h.note in quirks.FORWARDS for h in evidence.chain[:-1])
        ),
        html=html,
        notes=[],
    )


def _done(ctx: _Context, reason: Reason, detail: str) -> Classification:
    """The classification for ``reason``, whose verdict the reason itself knows."""
    notes = tuple(dict.fromkeys(ctx.notes))  # keep order, drop repeats
    return Classification(reason.verdict, reason, detail, notes)


def _after(ctx: _Context) -> str:
    return f" (after redirects to {ctx.final})" if ctx.redirected else ""


def _attempts(n: int) -> str:
    return "1 attempt" if n <= 1 else f"{n} attempts"


def _fmt_time(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --- no response -----------------------------------------------------------------


def _classify_error(evidence: Evidence, error: FetchError) -> Classification:
    reason, template = _ERRORS[error]
    host = _host(evidence.final_url or evidence.url)
    hops = len(evidence.chain)
    detail = template.format(host=host, hops=hops, attempts=_attempts(evidence.attempts))
    notes: list[str] = []
    if evidence.error_detail:
        notes.append(f"Underlying error: {evidence.error_detail}")
    if error is FetchError.BLOCKED:
        where = evidence.error_detail or host
        detail = (
            f"Not followed: the redirect from {evidence.chain[-1].url} leads to {where}, "
            "which this run excludes."
            if evidence.chain
            else f"Not checked: the link leads to {where}, which this run excludes."
        )
    if error is FetchError.BAD_REDIRECT and evidence.chain:
        last = evidence.chain[-1]
        location = f" (Location: {last.location!r})" if last.location else ""
        detail = (
            f"The redirect from {last.url} ({last.status}) has no usable Location{location}, "
            "so a browser cannot follow it."
        )
    return Classification(reason.verdict, reason, detail, tuple(notes))


# --- pages that forward their reader ----------------------------------------------------

#: Failures past a forwarding page that leave its reader on an error for good.
_DEFINITIVE_ERRORS = frozenset(
    {
        FetchError.DNS_NOT_FOUND,
        FetchError.CONNECT_REFUSED,
        FetchError.BAD_REDIRECT,
        FetchError.REDIRECT_LOOP,
        FetchError.TOO_MANY_REDIRECTS,
    }
)


def _forward_hop(chain: Sequence[Hop]) -> Hop | None:
    """The first hop where a page that loaded forwarded its reader (a prompt meta
    refresh or a script redirect the engine followed, as a browser would)."""
    return next((hop for hop in chain if hop.note in quirks.FORWARDS), None)


def _forward_failed(evidence: Evidence) -> bool:
    """The reader a page forwards lands on an error: a 4xx/5xx answer, or a failure
    that will not pass.  (Bot walls, rate limits and outages are judged as such.)"""
    if evidence.error is not None:
        return evidence.error in _DEFINITIVE_ERRORS
    status = evidence.status
    if status is None or status < 400 or status in {401, 402, 403, 407, 429, 451, 999}:
        return False
    return status not in _UNAVAILABLE


def _forward_to_error(evidence: Evidence, forward: Hop) -> Classification:
    final = evidence.final_url or (evidence.chain[-1].url if evidence.chain else evidence.url)
    answer = (
        _status_text(evidence.status)
        if evidence.status is not None
        else f"{evidence.error}: {evidence.error_detail}".rstrip(": ")
    )
    return Classification(
        Reason.META_REFRESH_ERROR.verdict,
        Reason.META_REFRESH_ERROR,
        f"Answers {_status_text(_forward_status(forward))}, but the page forwards its reader "
        f"({forward.note}) to {forward.location or final}, which gives {answer}: "
        "the reader lands on an error.",
    )


def _forward_status(forward: Hop) -> int:
    return forward.status or 200


# --- refusals and error statuses ---------------------------------------------------------


def _classify_refusal(ctx: _Context, status: int) -> Classification:
    ev = ctx.evidence
    after = _after(ctx)
    text = _status_text(status)
    if status in {403, 405, 503, 429, 406, 409} or 520 <= status <= 530:
        marker = quirks.bot_challenge_marker(status, ev.headers, ctx.html)
        if marker is not None and status != 429:
            return _done(
                ctx,
                Reason.BOT_CHALLENGE,
                f"Answers {text} with a bot challenge ({marker}){after}: a browser would pass it; "
                "this is not evidence the page is gone.",
            )
    if status == 404:
        return _done(ctx, Reason.HTTP_404, f"Answers {text}{after}.")
    if status == 410:
        return _done(ctx, Reason.HTTP_410, f"Answers {text}{after}: removed on purpose.")
    if status in {401, 407}:
        return _done(
            ctx,
            Reason.AUTH_REQUIRED,
            f"Answers {text}{after}: the page needs a login, so its content cannot be verified.",
        )
    if status == 402:
        return _done(
            ctx,
            Reason.PAYMENT_REQUIRED,
            f"Answers {text}{after}: behind a paywall, so its content cannot be verified.",
        )
    if status == 403:
        return _done(
            ctx,
            Reason.FORBIDDEN,
            f"Answers {text}{after} without a recognisable bot challenge: the server refuses "
            "access to us; not evidence the page is gone.",
        )
    if status == 999:
        return _done(
            ctx,
            Reason.STATUS_999,
            f"Answers {text}{after}, as LinkedIn and similar sites do to non-browsers; "
            "not evidence the page is gone.",
        )
    if status == 429:
        when = (
            f"; the server asks us to retry after {_fmt_time(ev.retry_after)}"
            if ev.retry_after is not None
            else ""
        )
        why = (
            "its Retry-After is longer than we may wait"
            if ev.retry_after_exceeded_cap
            else f"still after {_attempts(ev.attempts)}"
        )
        return _done(
            ctx,
            Reason.RATE_LIMITED,
            f"Answers {text} ({why}){when}; not evidence the page is gone.",
        )
    if status == 451:
        return _done(
            ctx,
            Reason.LEGAL_BLOCK,
            f"Answers {text}{after}: withheld for legal reasons where we check from.",
        )
    if 400 <= status < 500:
        return _done(ctx, Reason.HTTP_4XX, f"Answers {text}{after}.")
    if status in _UNAVAILABLE:
        return _done(ctx, Reason.SERVER_UNAVAILABLE, _unavailable_detail(ctx, status))
    if 500 <= status < 600:
        cdn_meaning = _CLOUDFLARE_MEANINGS.get(status)
        explained = f": {cdn_meaning}" if cdn_meaning else ""
        return _done(
            ctx,
            Reason.HTTP_5XX,
            f"Answers {text}{explained}{after}, still after {_attempts(ev.attempts)}.",
        )
    if 100 <= status < 200:
        return _done(
            ctx,
            Reason.PROTOCOL_ERROR,
            f"Ended with an informational status {status} instead of a final answer.",
        )
    return _done(
        ctx,
        Reason.PROTOCOL_ERROR,
        f"Answers with the non-standard status {status}{after}; a browser cannot rely on it.",
    )


def _unavailable_detail(ctx: _Context, status: int) -> str:
    ev = ctx.evidence
    text = _status_text(status)
    if ev.retry_after_exceeded_cap and ev.retry_after is not None:
        why = f"it asks to come back after {_fmt_time(ev.retry_after)}, later than we may wait"
    else:
        why = f"still after {_attempts(ev.attempts)}"
    return (
        f"Answers {text}{_after(ctx)}: {_UNAVAILABLE[status]} ({why}); the server is not "
        "answering properly now, which is not evidence the page is gone."
    )


# --- a page that loads -----------------------------------------------------------------


def _classify_live(ctx: _Context) -> Classification:
    ev = ctx.evidence
    status = ev.status or 200
    text = _status_text(status)

    marker = quirks.bot_challenge_marker(status, ev.headers, ctx.html)
    if marker is not None:
        return _done(
            ctx,
            Reason.BOT_CHALLENGE,
            f"Answers {text} but with a bot challenge ({marker}) instead of the page: "
            "not evidence the page is gone.",
        )

    if ctx.html:
        parked = quirks.parking_marker(ctx.html, _host(ctx.final))
        if parked is not None:
            return _done(
                ctx,
                Reason.PARKED_DOMAIN,
                f"Answers {text}{_after(ctx)}, but it is a parked domain ({parked}): "
                "the cited site is gone.",
            )

    homepage = _homepage_redirect(ctx)
    if homepage is not None:
        return homepage

    if ctx.redirected and quirks.is_login_like(ctx.final) and not quirks.is_login_like(ctx.url):
        return _done(
            ctx,
            Reason.AUTH_REQUIRED,
            f"Redirects to a login page ({ctx.final}): the content cannot be verified without "
            "an account.",
        )

    refresh = _meta_refresh(ctx)
    if refresh is not None:
        return refresh

    soft = _soft_404(ctx)
    if soft is not None:
        return soft

    notice = _removal_notice(ctx)
    if notice is not None:
        return notice

    ev_fragment = ev.fragment
    if ev_fragment is not None and ev.fragment_found is False and ctx.refresh_target:
        # The reader never stays on this page, so its ids say nothing.
        ctx.notes.append(
            f"The #{ev_fragment} fragment was not judged: the page forwards to "
            f"{ctx.refresh_target}."
        )
    elif ev_fragment is not None and ev.fragment_found is False:
        redirect_note = _redirect_summary(ctx)
        if redirect_note:
            ctx.notes.append(redirect_note)
        return _done(
            ctx,
            Reason.FRAGMENT_MISSING,
            f"The page loads ({text}{_after(ctx)}) but has no element with id or name "
            f"{ev_fragment!r}, so the link does not land where it was meant to.",
        )

    return _classify_redirects(ctx, text)


def lands_on_front_page(url: str, final: str, root: str | None) -> bool:
    """Whether a deep link ``url`` (not itself a front page, nor a redirect service's)
    was redirected to a site's front page ``final``: the homepage rule's test, which
    comes before the soft-404 comparison (so the engine sends no probe for it)."""
    original = _path_and_query(url)
    if quirks.is_homepage_like(original) or quirks.is_redirect_service(url):
        return False
    return quirks.is_homepage_like(_path_and_query(final)) or (
        root is not None and quirks.is_trivial_canonicalisation(_defrag(root), final)
    )


def _homepage_redirect(ctx: _Context) -> Classification | None:
    """A deep link that now lands on the site's front page: the cited page is gone."""
    if not ctx.redirected or not lands_on_front_page(ctx.url, ctx.final, ctx.evidence.root_url):
        return None
    original = _path_and_query(ctx.url)
    other_host = _host(ctx.final).removeprefix("www.") != _host(ctx.url).removeprefix("www.")
    where = (
        f"the front page of another site ({ctx.final})"
        if other_host
        else f"the site's front page ({ctx.final})"
    )
    return _done(
        ctx,
        Reason.REDIRECT_TO_HOMEPAGE,
        f"The deep link {original} now redirects to {where}: the cited page is gone.",
    )


def _meta_refresh(ctx: _Context) -> Classification | None:
    """A page whose only job is to forward the reader: judge where it forwards."""
    if not ctx.html:
        return None
    parts = quirks.meta_refresh_parts(ctx.html)
    if parts is None:
        return None
    delay, target_raw = parts
    target = _defrag(quirks.resolve(ctx.final, target_raw))
    if target == ctx.final:
        return None
    if quirks.is_error_page_url(target):
        return _done(
            ctx,
            Reason.META_REFRESH_ERROR,
            f"Answers {_status_text(ctx.evidence.status or 200)}, but the page forwards "
            f"(meta refresh, {delay:g} s) to an error page: {target}.",
        )
    if delay > 10:
        ctx.notes.append(f"The page refreshes to {target} after {delay:g} s.")
        return None
    original = _path_and_query(ctx.url)
    if not quirks.is_homepage_like(original) and quirks.is_homepage_like(_path_and_query(target)):
        return _done(
            ctx,
            Reason.REDIRECT_TO_HOMEPAGE,
            f"The deep link {original} forwards (meta refresh) to the front page {target}: "
            "the cited page is gone.",
        )
    ctx.refresh_target = target
    return None


def _soft_404(ctx: _Context) -> Classification | None:
    """Compare the target with the host's answer for a path that cannot exist.

    A page that says "not found" of itself is only a claim (an article may be
    titled "404"); the host's answer to a random path is the evidence.  Without a
    usable probe the claim becomes a note, never a verdict.
    """
    claim = _not_found_claim(ctx.html)
    probe = ctx.evidence.probe
    if probe is None or _refuses_random_paths(probe):
        if claim is not None:
            ctx.notes.append(_unconfirmed_claim(probe, claim))
        return None
    probe_final = _defrag(probe.final_url or probe.url)
    if probe_final == ctx.final and ctx.redirected:
        return _done(
            ctx,
            Reason.SOFT_404,
            f"Answers {_status_text(ctx.evidence.status or 200)} at {ctx.final}, but a random "
            "path on the same host lands on that very URL: a soft 404.",
        )
    likeness = _likeness(ctx, probe, probe_final)
    if likeness is None:
        return None
    detail = _soft_404_detail(ctx, likeness, claim)
    if detail is not None:
        return _done(ctx, Reason.SOFT_404, detail)
    note = _likeness_note(likeness, claim)
    if note is not None:
        ctx.notes.append(note)
    return None


def _removal_notice(ctx: _Context) -> Classification | None:
    """A page that is itself a notice that the content is gone ("This article is no
    longer available", "Seite nicht gefunden"), served with 200: what the soft-404
    comparison misses when the host answers random paths with a real 404."""
    said = soft404.removal_notice(ctx.html) if ctx.html else None
    if said is None:
        return None
    return _done(
        ctx,
        Reason.REMOVAL_NOTICE,
        f"Answers {_status_text(ctx.evidence.status or 200)}{_after(ctx)}, but the page is a "
        f"notice that the content is gone: {said}.",
    )


@dataclass(frozen=True)
class _Likeness:
    """How much the target looks like the host's answer to a random path."""

    score: float  # similarity of the visible texts, words echoed from the paths ignored
    comparable: bool  # both pages have enough visible words for the score to mean much


def _not_found_claim(html: str) -> str | None:
    """What the page's title or heading says if it says "not found" (as a clause), else None."""
    title, heading = soft404.title_and_heading(html) if html else ("", "")
    if not soft404.not_found_cues(title, heading):
        return None
    return f"the title says {title!r}" if title else f"the heading says {heading!r}"


def _refuses_random_paths(probe: Probe) -> bool:
    """The host answered the random path with an error, so it does not serve soft 404s.

    A probe without a status (no answer at all) proves nothing either way and is
    still compared, as far as it has a page.
    """
    return probe.status is not None and not (200 <= probe.status < 300)


def _unconfirmed_claim(probe: Probe | None, claim: str) -> str:
    """The note for a page that says "not found" when the probe cannot back the claim."""
    if probe is None:
        return f"Possibly a soft 404: {claim}, but there was no probe of the host to confirm."
    return (
        f"The host answers a random path with {probe.status}, so it does not serve soft "
        f"404s in general; yet {claim}."
    )


def _likeness(ctx: _Context, probe: Probe, probe_final: str) -> _Likeness | None:
    """Compare the visible texts of target and probe; None when either is not an HTML page.

    Words of the URLs are ignored because a not-found page often echoes the path
    asked for, which would make two answers for different paths look different.
    """
    probe_page = probe.page
    if probe_page is None or not _is_html(probe_page) or not ctx.html:
        return None
    target_text = soft404.visible_text(ctx.html)
    probe_text = soft404.visible_text(probe_page.text)
    n_target = len(soft404.tokens(target_text, MIN_COMPARABLE_TOKENS))
    n_probe = len(soft404.tokens(probe_text, MIN_COMPARABLE_TOKENS))
    echoed = soft404.path_words(ctx.url, ctx.final, probe.url, probe_final)
    return _Likeness(
        score=soft404.similarity(target_text, probe_text, ignore=echoed),
        comparable=n_target >= MIN_COMPARABLE_TOKENS and n_probe >= MIN_COMPARABLE_TOKENS,
    )


def _soft_404_detail(ctx: _Context, likeness: _Likeness, claim: str | None) -> str | None:
    """The verdict's sentence when the likeness makes the target a soft 404, else None.

    Near-identity is enough on its own; a borderline likeness needs the page's own
    "not found" claim as well.  Pages too short to compare (script-rendered
    shells) are judged only when they make that claim.
    """
    if not likeness.comparable and claim is None:
        return None
    text = _status_text(ctx.evidence.status or 200)
    if likeness.score >= SOFT_404_SIMILARITY:
        return (
            f"Answers {text}, but the host serves the same page for a random path "
            f"(similarity {likeness.score:.2f}): a soft 404."
        )
    if claim is not None and likeness.score >= BORDERLINE_SIMILARITY:
        return (
            f"Answers {text}, but {claim} and the page is much like the host's answer for a "
            f"random path (similarity {likeness.score:.2f}): a soft 404."
        )
    return None


def _likeness_note(likeness: _Likeness, claim: str | None) -> str | None:
    """What an editor should know when ``_soft_404_detail`` found no soft 404.

    Either the page was too short to judge though it looked like the probe, or it
    says "not found" yet differs from the host's not-found answer.
    """
    if not likeness.comparable and claim is None:
        if likeness.score >= SOFT_404_SIMILARITY:
            return (
                "The page has too little visible text to tell it from the host's answer to a "
                "random path (probably rendered by script); not judged a soft 404."
            )
        return None
    if claim is not None:
        return (
            f"{claim[0].upper()}{claim[1:]}, but the page differs from the host's answer for a "
            f"random path (similarity {likeness.score:.2f}); treated as live."
        )
    return None


# --- redirects of a live page ------------------------------------------------------------


def _redirect_hops(chain: Sequence[Hop]) -> list[tuple[Hop, str]]:
    """Each redirect hop with the absolute URL it led to."""
    out: list[tuple[Hop, str]] = []
    for i, hop in enumerate(chain):
        if hop.status not in _REDIRECT:
            continue
        if i + 1 < len(chain):
            target = chain[i + 1].url
        elif hop.location:
            target = quirks.resolve(hop.url, hop.location)
        else:
            continue
        out.append((hop, _defrag(target)))
    return out


def _redirect_summary(ctx: _Context) -> str:
    if not ctx.redirected:
        return ""
    moved = _permanent_destination(ctx)
    if moved is not None:
        return f"Also moved permanently to {moved}: update the link."
    return f"Redirects to {ctx.final}."


def _permanent_destination(ctx: _Context) -> str | None:
    """Where the link should now point, if a permanent redirect moved it elsewhere.

    The first permanent hop that is more than a canonical respelling marks the
    move; the new address follows the permanent hops after it and stops at the
    first temporary one, since a temporary target is not a place to link to.
    """
    if quirks.is_trivial_canonicalisation(ctx.url, ctx.final):
        return None
    hops = _redirect_hops(ctx.evidence.chain)
    start = next(
        (
            i
            for i, (hop, target) in enumerate(hops)
            if hop.status in _PERMANENT
            and not quirks.is_trivial_canonicalisation(_defrag(hop.url), target)
        ),
        None,
    )
    if start is None:
        return None
    destination = hops[start][1]
    for hop, target in hops[start + 1 :]:
        if hop.status not in _PERMANENT:
            break
        destination = target
    if quirks.is_trivial_canonicalisation(ctx.url, destination):
        return None
    return destination


def _classify_redirects(ctx: _Context, text: str) -> Classification:
    ev = ctx.evidence
    head_only = bool(ev.chain) and ev.chain[-1].method.upper() == "HEAD" and ev.page is None
    if head_only:
        ctx.notes.append("Decided by a HEAD request; the body was not read.")
    if not ctx.redirected and ctx.refresh_target is not None:
        return _done(
            ctx,
            Reason.OK_TEMPORARY_REDIRECT,
            f"Answers {text} and forwards the reader (meta refresh) to {ctx.refresh_target}; "
            "the link works as cited, though that address may be the one to cite.",
        )
    forward = _forward_hop(ev.chain)
    if forward is not None and _permanent_destination(ctx) is None:
        return _done(
            ctx,
            Reason.OK_TEMPORARY_REDIRECT,
            f"Answers {_status_text(_forward_status(forward))} and forwards the reader "
            f"({forward.note}) to {ctx.final}, which answers {text}; the link works as cited, "
            "though that address may be the one to cite.",
        )
    if not ctx.redirected:
        if head_only:
            return _done(ctx, Reason.OK_HEAD, f"Answers {text} to HEAD.")
        return _done(ctx, Reason.OK, f"Answers {text}.")
    destination = _permanent_destination(ctx)
    if destination is not None:
        if destination != ctx.final:
            ctx.notes.append(f"A temporary redirect then continues to {ctx.final}.")
        return _done(
            ctx,
            Reason.MOVED_PERMANENTLY,
            f"Moved permanently to {destination} ({text} there): update the link.",
        )
    if quirks.is_trivial_canonicalisation(ctx.url, ctx.final):
        ctx.notes.append(f"Canonical redirect to {ctx.final}; the link may be updated but works.")
        return _done(
            ctx,
            Reason.OK_CANONICAL_REDIRECT,
            f"Answers {text} at {ctx.final}, the canonical form of the same address.",
        )
    codes = ", ".join(str(hop.status) for hop, _ in _redirect_hops(ev.chain)) or "redirect"
    return _done(
        ctx,
        Reason.OK_TEMPORARY_REDIRECT,
        f"Answers {text} at {ctx.final} after a temporary redirect ({codes}); "
        "keep the link as cited.",
    )
