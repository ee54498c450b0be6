"""Turning a URL as written into a Citation: resolve, classify, key.

One place, so HTML, Markdown and plain-text citations are resolved and
classified identically (a ``mailto:`` is skipped whichever syntax wrote it).
"""

from __future__ import annotations

from dataclasses import dataclass

from linkaudit import urls
from linkaudit.model import Citation, CitationKind, Document, Location, Relation, Verdict
from linkaudit.reasons import Reason


@dataclass(frozen=True, slots=True)
class Env:
    """What every citation of one document shares."""

    origin: str
    base: str | None
    site: str | None


def env_for(document: Document, base: str | None = None) -> Env:
    """The base and site to use; without a declared site, the base's origin is the site."""
    base = base or document.base_url
    site = document.site
    if site is None and base:
        candidate = urls.origin(base)
        site = candidate if candidate.startswith(("http://", "https://")) else None
    return Env(document.origin, base, site)


def url_citation(
    env: Env,
    kind: CitationKind,
    written: str,
    *,
    text: str,
    context: str,
    location: Location,
    element: str,
    attribute: str,
    rel: tuple[str, ...] = (),
    resolved: str | None = None,
) -> Citation:
    """A citation for a URL: lost if it is a placeholder, else resolved and pre-checked."""
    stripped = written.strip()
    if stripped in {"", "#"} and kind is CitationKind.LINK:
        lost = Reason.EMPTY_HREF if stripped == "" else Reason.PLACEHOLDER_HREF
        return lost_citation(
            env, text=text, context=context, location=location, reason=lost,
            element=element, attribute=attribute, written=written, rel=rel,
        )  # fmt: skip
    url = resolved if resolved is not None else urls.resolve(written, env.base)
    if url == written:  # one string, not two equal ones: ~90 B a citation on big pages
        url = written
    verdict: Verdict | None = None
    reason: str = ""
    key: str | None = None
    decided = urls.precheck(written, url)
    if decided is not None:
        verdict, reason, _detail = decided
    else:
        key = urls.normalize(url)
        if key == url:
            key = url
    relation = Relation.OUTBOUND
    if urls.is_internal(url, env.site) or (
        reason == Reason.RELATIVE_NO_BASE  # a relative link points into its own site
    ):
        relation = Relation.INTERNAL
    return Citation(
        document=env.origin,
        kind=kind,
        url_as_written=written,
        url=url,
        key=key,
        text=text,
        context=context,
        location=location,
        element=element,
        attribute=attribute,
        rel=rel,
        relation=relation,
        verdict=verdict,
        reason=reason,
    )


def lost_citation(
    env: Env,
    *,
    text: str,
    context: str,
    location: Location,
    reason: str,
    element: str = "a",
    attribute: str = "",
    written: str | None = None,
    rel: tuple[str, ...] = (),
) -> Citation:
    """A citation whose link is gone: the reader sees anchor text that leads nowhere."""
    return Citation(
        document=env.origin,
        kind=CitationKind.LOST,
        url_as_written=written,
        url=None,
        key=None,
        text=text,
        context=context,
        location=location,
        element=element,
        attribute=attribute,
        rel=rel,
        verdict=Verdict.LOST,
        reason=reason,
    )
