"""The reason vocabulary: every machine reason a finding can carry, in one place.

A reason is a public contract: JSON consumers and CI rules match on these words,
so they never change spelling (``Reason`` is a ``StrEnum``: ``Reason.HTTP_404 ==
"http_404"``, and JSON writes the word).  Each reason knows

- the **verdict** it belongs to,
- whether it is **transient** (it describes this moment only: never cached as
  definitive, never counted toward a link's death),
- whether it means **no answer** came back from the host at all (a run where every
  host gives no answer is a dead network, not dead links), and
- its **help** sentence, which reports show next to it, and
- what an editor should **do** about it (``todo``): the verdict's action from the
  README's verdict table unless the reason says better ("re-run later" for a
  rate limit, which is ``blocked`` but passes).

Producers (the classifier, pre-checks, extraction, the pipeline) name reasons
only through this enum; consumers (the store, reports, exit codes) ask it.  One
family is open-ended: links of schemes that are never checked are skipped as
``scheme_<name>`` (``scheme_mailto``); :func:`scheme_reason` spells one and
:meth:`Reason.of` reads it back as :attr:`Reason.SCHEME`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from linkaudit.model import Verdict


class Reason(enum.StrEnum):
    """Why a citation got its verdict (see the module docstring)."""

    # ok
    OK = "ok"
    OK_TEMPORARY_REDIRECT = "ok_temporary_redirect"
    OK_CANONICAL_REDIRECT = "ok_canonical_redirect"
    OK_HEAD = "ok_head"
    ACCEPTED_STATUS = "accepted_status"
    OK_FILE = "ok_file"
    # moved
    MOVED_PERMANENTLY = "moved_permanently"
    # broken
    HTTP_404 = "http_404"
    HTTP_410 = "http_410"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    DNS_NOT_FOUND = "dns_not_found"
    CONNECT_REFUSED = "connect_refused"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BAD_REDIRECT = "bad_redirect"
    UNDECODABLE_BODY = "undecodable_body"
    DECOMPRESSION_BOMB = "decompression_bomb"
    FILE_NOT_FOUND = "file_not_found"
    ANCHOR_NOT_FOUND = "anchor_not_found"
    OUTSIDE_ROOT = "outside_root"
    # stale
    SOFT_404 = "soft_404"
    REDIRECT_TO_HOMEPAGE = "redirect_to_homepage"
    PARKED_DOMAIN = "parked_domain"
    META_REFRESH_ERROR = "meta_refresh_error"
    REMOVAL_NOTICE = "removal_notice"
    CONTENT_CHANGED = "content_changed"
    QUOTE_MISSING = "quote_missing"
    # blocked
    BOT_CHALLENGE = "bot_challenge"
    STATUS_999 = "status_999"
    AUTH_REQUIRED = "auth_required"
    PAYMENT_REQUIRED = "payment_required"
    FORBIDDEN = "forbidden"
    LEGAL_BLOCK = "legal_block"
    RATE_LIMITED = "rate_limited"
    # unreachable
    TIMEOUT = "timeout"
    RESET = "reset"
    DNS_TEMPORARY = "dns_temporary"
    CONNECT_FAILED = "connect_failed"
    PROTOCOL_ERROR = "protocol_error"
    SERVER_UNAVAILABLE = "server_unavailable"
    RUN_DEADLINE = "run_deadline"
    INTERNAL_ERROR = "internal_error"
    # insecure
    TLS_EXPIRED = "tls_expired"
    TLS_SELF_SIGNED = "tls_self_signed"
    TLS_HOSTNAME = "tls_hostname"
    TLS_OTHER = "tls_other"
    # fragment_missing
    FRAGMENT_MISSING = "fragment_missing"
    # invalid
    INVALID_URL = "invalid_url"
    # skipped: decided before any request
    SCHEME = "scheme"  # written as scheme_<name>: see scheme_reason
    EXCLUDED = "excluded"
    PRIVATE_ADDRESS = "private_address"
    INTERNAL = "internal"
    RELATIVE_NO_BASE = "relative_no_base"
    OFFLINE = "offline"
    # lost: decided by extraction
    STRIPPED_LINK = "stripped_link"
    EMPTY_HREF = "empty_href"
    PLACEHOLDER_HREF = "placeholder_href"

    @property
    def verdict(self) -> Verdict:
        return _INFO[self].verdict

    @property
    def transient(self) -> bool:
        """Describes this moment only: never reused from a cache, never a death."""
        return _INFO[self].transient

    @property
    def no_answer(self) -> bool:
        """Nothing usable came back from the host: says nothing about the link."""
        return _INFO[self].no_answer

    @property
    def help(self) -> str:
        """One sentence for a reader of a report."""
        return _INFO[self].help

    @property
    def todo(self) -> str:
        """What an editor should do about it, in a few words."""
        info = _INFO[self]
        return info.todo or VERDICT_TODO[info.verdict]

    @classmethod
    def of(cls, text: str) -> Reason | None:
        """The reason a stored or reported word names; None for a word this version
        does not know (written by a newer linkaudit, say)."""
        try:
            return cls(text)
        except ValueError:
            return cls.SCHEME if _SCHEME_WORD.fullmatch(text) else None


_SCHEME_WORD = re.compile(r"scheme_[a-z0-9_]{1,20}")


def scheme_reason(scheme: str) -> str:
    """The reason word for a link of ``scheme`` that is not checked (``scheme_mailto``)."""
    return f"{Reason.SCHEME}_{re.sub(r'[^a-z0-9]+', '_', scheme.lower())[:20]}"


#: What to do about each verdict: the README's verdict table, word for word.
VERDICT_TODO: dict[Verdict, str] = {
    Verdict.OK: "nothing",
    Verdict.MOVED: "update the link to the new URL",
    Verdict.BROKEN: "use the archived copy, or find a new source",
    Verdict.STALE: "use the archived copy",
    Verdict.BLOCKED: "check by hand in a browser",
    Verdict.UNREACHABLE: "re-run later",
    Verdict.INSECURE: "tell the site, or link the archive",
    Verdict.FRAGMENT_MISSING: "fix the fragment",
    Verdict.INVALID: "fix the typo",
    Verdict.SKIPPED: "nothing",
    Verdict.LOST: "restore it (linkaudit proposes the original from the archived article)",
}


@dataclass(frozen=True)
class _Info:
    verdict: Verdict
    help: str
    transient: bool = False
    no_answer: bool = False
    todo: str = ""  # empty: the verdict's (VERDICT_TODO)


_OK, _MOVED, _BROKEN, _STALE = Verdict.OK, Verdict.MOVED, Verdict.BROKEN, Verdict.STALE
_BLOCKED, _UNREACHABLE, _INSECURE = Verdict.BLOCKED, Verdict.UNREACHABLE, Verdict.INSECURE

_INFO: dict[Reason, _Info] = {
    Reason.OK: _Info(_OK, "The page loads."),
    Reason.OK_TEMPORARY_REDIRECT: _Info(
        _OK, "A temporary redirect to a live page: keep the link as written."
    ),
    Reason.OK_CANONICAL_REDIRECT: _Info(
        _OK, "A redirect to the same page's canonical address (https, www., a slash)."
    ),
    Reason.OK_HEAD: _Info(_OK, "The resource answers; a HEAD request was enough to tell."),
    Reason.ACCEPTED_STATUS: _Info(_OK, "The configuration accepts this status for the host."),
    Reason.OK_FILE: _Info(_OK, "A local link: the file (and its anchor) is there on disk."),
    Reason.MOVED_PERMANENTLY: _Info(_MOVED, "A permanent redirect (301/308) to another live page."),
    Reason.HTTP_404: _Info(_BROKEN, "The server answered 404 Not Found."),
    Reason.HTTP_410: _Info(_BROKEN, "The server answered 410 Gone: removed on purpose."),
    Reason.HTTP_4XX: _Info(_BROKEN, "The server answered with a client error."),
    Reason.HTTP_5XX: _Info(_BROKEN, "The server kept failing with 5xx errors past retries."),
    Reason.DNS_NOT_FOUND: _Info(_BROKEN, "The domain name does not exist any more."),
    Reason.CONNECT_REFUSED: _Info(_BROKEN, "The server refused the connection."),
    Reason.REDIRECT_LOOP: _Info(_BROKEN, "The redirects go round in a loop."),
    Reason.TOO_MANY_REDIRECTS: _Info(_BROKEN, "More than 20 redirects: browsers give up too."),
    Reason.BAD_REDIRECT: _Info(_BROKEN, "A redirect without a usable Location."),
    Reason.UNDECODABLE_BODY: _Info(
        _BROKEN,
        "The body's Content-Encoding is corrupt: browsers show a decoding error instead "
        "of the page.",
    ),
    Reason.DECOMPRESSION_BOMB: _Info(
        _BROKEN,
        "A tiny download that expands without end (a decompression bomb): no reader "
        "gets a page, and it is not a source to cite.",
    ),
    Reason.FILE_NOT_FOUND: _Info(
        _BROKEN,
        "A local link to a file that is not there (renamed, moved, deleted, or spelled in "
        "another case).",
        todo="fix the path",
    ),
    Reason.ANCHOR_NOT_FOUND: _Info(
        _BROKEN,
        "A local link to a heading or id the file does not have (reworded or removed): "
        "the reader lands at the top of the file.",
        todo="fix the anchor",
    ),
    Reason.OUTSIDE_ROOT: _Info(
        _BROKEN,
        "A local link that leaves the repository (or --root-dir): nothing there is "
        "published with it.",
        todo="link inside the repository, or set --root-dir",
    ),
    Reason.SOFT_404: _Info(
        _STALE, "The page says 'not found' (or looks like the site's error page) with a 200."
    ),
    Reason.REDIRECT_TO_HOMEPAGE: _Info(_STALE, "A deep link now redirects to the site's homepage."),
    Reason.PARKED_DOMAIN: _Info(_STALE, "The domain is parked or for sale."),
    Reason.META_REFRESH_ERROR: _Info(_STALE, "The page refreshes to an error page."),
    Reason.REMOVAL_NOTICE: _Info(
        _STALE,
        "The page answers, but only to say the content was removed or cannot be found.",
    ),
    Reason.CONTENT_CHANGED: _Info(
        _STALE,
        "The page answers, but its main text is no longer the text that was cited "
        "(compared with the version first seen or archived near the citation date).",
        todo="link the archived copy of the version cited",
    ),
    Reason.QUOTE_MISSING: _Info(
        _STALE,
        "The quoted passage was on the page when it was cited and is no longer there.",
        todo="link the archived copy, or quote the page as it is now",
    ),
    Reason.BOT_CHALLENGE: _Info(
        _BLOCKED, "A bot challenge (e.g. a CAPTCHA page) blocked the check."
    ),
    Reason.STATUS_999: _Info(
        _BLOCKED, "The site answered 999, its way of refusing automated requests."
    ),
    Reason.AUTH_REQUIRED: _Info(
        _BLOCKED, "The page needs a login.", todo="check by hand in a browser, logged in"
    ),
    Reason.PAYMENT_REQUIRED: _Info(_BLOCKED, "The page is behind a paywall (402)."),
    Reason.FORBIDDEN: _Info(_BLOCKED, "The server answered 403 Forbidden."),
    Reason.LEGAL_BLOCK: _Info(_BLOCKED, "Unavailable for legal reasons (451)."),
    Reason.RATE_LIMITED: _Info(
        _BLOCKED,
        "Rate limited (429) past the retries allowed.",
        transient=True,
        todo="re-run later (the site asked us to slow down)",
    ),
    Reason.TIMEOUT: _Info(
        _UNREACHABLE, "No answer within the time limit.", transient=True, no_answer=True
    ),
    Reason.RESET: _Info(
        _UNREACHABLE,
        "The connection was reset before a response.",
        transient=True,
        no_answer=True,
    ),
    Reason.DNS_TEMPORARY: _Info(
        _UNREACHABLE,
        "The name could not be resolved right now.",
        transient=True,
        no_answer=True,
    ),
    Reason.CONNECT_FAILED: _Info(
        _UNREACHABLE, "The connection failed.", transient=True, no_answer=True
    ),
    Reason.PROTOCOL_ERROR: _Info(
        _UNREACHABLE, "The server did not speak HTTP.", transient=True, no_answer=True
    ),
    Reason.SERVER_UNAVAILABLE: _Info(
        _UNREACHABLE,
        "The server kept answering that it cannot serve the page now (502, 503, 504, or a "
        "CDN's 52x), past retries or beyond the wait it asked for.",
        transient=True,
    ),
    Reason.RUN_DEADLINE: _Info(
        _UNREACHABLE,
        "Not checked to the end: the run's --deadline passed first. Says nothing about "
        "the link; never cached, never counted toward death.",
        transient=True,
    ),
    Reason.INTERNAL_ERROR: _Info(
        _UNREACHABLE,
        "linkaudit itself failed while checking this link: a bug, not evidence about the "
        "link (please report it with the detail). Never cached, never counted toward death.",
        transient=True,
    ),
    Reason.TLS_EXPIRED: _Info(_INSECURE, "The certificate has expired."),
    Reason.TLS_SELF_SIGNED: _Info(
        _INSECURE, "The certificate is self-signed or from an unknown authority."
    ),
    Reason.TLS_HOSTNAME: _Info(_INSECURE, "The certificate is for a different host name."),
    Reason.TLS_OTHER: _Info(_INSECURE, "The TLS handshake failed."),
    Reason.FRAGMENT_MISSING: _Info(
        Verdict.FRAGMENT_MISSING, "No element with this id or name on the page."
    ),
    Reason.INVALID_URL: _Info(Verdict.INVALID, "The URL cannot be parsed."),
    Reason.SCHEME: _Info(Verdict.SKIPPED, "Links of this scheme are not web pages to check."),
    Reason.EXCLUDED: _Info(Verdict.SKIPPED, "The URL matches an --exclude pattern."),
    Reason.PRIVATE_ADDRESS: _Info(
        Verdict.SKIPPED,
        "Not checked: the link (or a redirect on its way) leads to a loopback, private or "
        "link-local address, which this run excludes (--exclude-private and friends).",
        transient=True,
    ),
    Reason.INTERNAL: _Info(
        Verdict.SKIPPED, "A link within the article's own site (use --include-internal)."
    ),
    Reason.RELATIVE_NO_BASE: _Info(
        Verdict.SKIPPED,
        "A relative link, and no base URL to resolve it against.",
        todo="give --base-url to check it",
    ),
    Reason.OFFLINE: _Info(
        Verdict.SKIPPED, "Not checked: the run was offline.", todo="run without --offline"
    ),
    Reason.STRIPPED_LINK: _Info(
        Verdict.LOST, "The link was stripped: its anchor text survives but the href is gone."
    ),
    Reason.EMPTY_HREF: _Info(
        Verdict.LOST,
        "The link has no target: its href is missing or empty.",
        todo="add the link it should have",
    ),
    Reason.PLACEHOLDER_HREF: _Info(
        Verdict.LOST, 'The link points nowhere: href="#".', todo="add the link it should have"
    ),
}
