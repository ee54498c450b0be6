"""Pages that answer 200 only to say the content is gone, on a host that answers a
real 404 for random paths (so the soft-404 comparison cannot see them); and their
absence: an article *about* a missing page, or a sidebar saying an offer ended,
is a live page."""

from __future__ import annotations

import pytest

from linkaudit.check import CheckOptions, check_urls_sync
from linkaudit.check.soft404 import removal_notice
from linkaudit.model import Verdict
from linkaudit.testing.server import LoopbackServer, page
from linkaudit.testing.zoo import StaticResolver

CHROME = (
    "<header><nav><ul>"
    + "".join(
        f"<li><a href='/s{n}'>Section number {n} of the newspaper</a></li>" for n in range(30)
    )
    + "</ul></nav></header>"
)
FOOTER = "<footer><p>" + " ".join(["Imprint privacy terms contact careers"] * 20) + "</p></footer>"


def notice(title: str, heading: str, text: str, lang: str = "en") -> str:
    return (
        f"<!doctype html><html lang='{lang}'><head><title>{title}</title></head><body>"
        f"{CHROME}<main><h1>{heading}</h1><p>{text}</p></main>{FOOTER}</body></html>"
    )


ARTICLE_WORDS = " ".join(
    f"Sentence {n} explains how servers answer requests for missing resources." for n in range(40)
)

NOTICES = {
    "en-title": notice("This article is no longer available | The Daily", "Sorry", "Go home."),
    "en-heading": notice("The Daily", "This story has been removed", "Read our latest news."),
    "en-text": notice("The Daily", "Oops", "The page you requested was deleted by its author."),
    "en-410": notice("410 Gone", "Gone", "This resource is gone."),
    "de": notice("Tagesblatt", "Seite nicht gefunden", "Der Artikel wurde entfernt.", "de"),
    "de-unavailable": notice(
        "Der Artikel ist nicht mehr verfügbar – Tagesblatt", "Hinweis", "Zur Startseite.", "de"
    ),
    "fr": notice("Le Quotidien", "Page introuvable", "Cet article a été supprimé.", "fr"),
    "fr-unavailable": notice(
        "Cet article n'est plus disponible", "Désolé", "Retour à l'accueil.", "fr"
    ),
    "es": notice("El Diario", "Página no encontrada", "Lo sentimos.", "es"),
    "es-removed": notice("El Diario", "Aviso", "Este artículo ha sido eliminado.", "es"),
}

LIVE = {
    "about-404-errors": notice(
        "How to fix a 404 Page Not Found error", "Page not found errors, explained", ARTICLE_WORDS
    ),
    "ended-offer-in-sidebar": (
        "<html><head><title>Rivers rise again</title></head><body><main><h1>Rivers rise</h1>"
        f"<p>{ARTICLE_WORDS}</p></main><aside><p>This offer is no longer available.</p></aside>"
        "</body></html>"
    ),
    "book-titled-not-found": notice(
        "Not Found: a novel", "Not Found", "A short blurb about a novel of lost letters."
    ),
    "short-live-page": notice("Opening hours", "Opening hours", "Monday to Friday, 9 to 5."),
}


@pytest.mark.parametrize("name", NOTICES)
def test_notices_in_four_languages_are_seen(name: str) -> None:
    assert removal_notice(NOTICES[name]) is not None


@pytest.mark.parametrize("name", LIVE)
def test_pages_that_only_mention_it_are_not_notices(name: str) -> None:
    assert removal_notice(LIVE[name]) is None


def test_on_a_host_that_404s_random_paths_a_notice_is_stale_and_an_article_ok() -> None:
    with LoopbackServer() as server:
        site = server.add_site("127.0.0.1")
        for name, html in {**NOTICES, **LIVE}.items():
            site.route(f"/{name}", page(html))
        site.route("/", page("<title>Home</title><p>Front page</p>"))
        # every other path: a real 404 (the probe's answer)
        keys = [f"http://paper.test:{site.port}/{name}" for name in {**NOTICES, **LIVE}]
        results = check_urls_sync(
            keys,
            CheckOptions(max_retries=0),
            resolver=StaticResolver({"paper.test": "127.0.0.1"}),
        )
        routed = {"/", *(f"/{name}" for name in {**NOTICES, **LIVE})}
        probes = [path for (_, path) in site.stats.by_path if path not in routed]
    assert probes  # random paths were asked, and this host answers them 404
    for name in NOTICES:
        result = results[f"http://paper.test:{site.port}/{name}"]
        assert (result.verdict, result.reason) == (Verdict.STALE, "removal_notice"), name
        assert "notice that the content is gone" in result.detail
    for name in LIVE:
        result = results[f"http://paper.test:{site.port}/{name}"]
        assert result.verdict is Verdict.OK, (name, result.detail)
