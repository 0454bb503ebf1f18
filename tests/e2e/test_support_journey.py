"""Support, lived on a phone: Malik asks his circle for listening, urgent and important;
Odile answers «Je suis disponible» from her dashboard; Malik's page shows she is with him.

Each page is checked at 375 px: no sideways scrolling, and axe-core (shipped in the
``axe-playwright-python`` wheel, run in the page) finds no accessibility violation.
Screenshots go to ``SCREENSHOTS`` (``/tmp/cercle-screenshots`` by default) for a person
to look at.
"""

from __future__ import annotations

import re

import pytest
from fixtures.browser import sign_in as _sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def thread_circle(seed_thread_circle):
    """The proposal helpers' circle, with the seed's names."""
    return seed_thread_circle


def _phone(browser):
    return browser.new_context(
        viewport={"width": 375, "height": 740}, locale="fr-FR", timezone_id="Europe/Paris"
    )


def test_malik_asks_for_listening_and_odile_is_with_him(
    check, live_server, browser, listening_circle
):
    malik_ctx, odile_ctx = _phone(browser), _phone(browser)
    malik, odile = malik_ctx.new_page(), odile_ctx.new_page()
    errors = []
    malik.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        _sign_in(malik, live_server, "malik@example.org")
        malik.goto(live_server + "/g/tilleuls")
        malik.get_by_role("button", name="Demander du soutien").click()  # a link shown as a button
        malik.wait_for_url(re.compile(r".*/g/tilleuls/support$"))
        check(malik, "support-page-375")
        text = malik.inner_text("main")
        assert "sans réponse dans 30 minutes, tout le cercle est prévenu" in text
        assert "« Nos accords d'écoute » v1" in text.replace("\xa0", " ")

        malik.get_by_role("radio", name="Écoute").check()
        soon = malik.get_by_role("group", name="Avez-vous besoin de quelqu'un bientôt ?")
        soon.get_by_role("radio", name="Oui").check()
        matters = malik.get_by_role("group", name="Est-ce important pour vous ?")
        matters.get_by_role("radio", name="Oui").check()
        malik.get_by_label("Votre message (facultatif)").fill("J'ai besoin d'écoute ce soir.")
        malik.get_by_label("Quand (facultatif)").fill("ce soir après 20 h")
        malik.get_by_role("radio", name="Jitsi").check()
        malik.get_by_role("button", name="Envoyer ma demande").click()
        malik.wait_for_url(re.compile(r".*/s/\d+$"))
        request_url = malik.url
        assert "Votre demande est envoyée." in malik.inner_text("main")
        check(malik, "request-page-malik-375")

        _sign_in(odile, live_server, "odile@example.org")
        assert "Écoute pour Malik" in odile.inner_text("main")
        check(odile, "dashboard-odile-375")
        odile.get_by_role("link", name="Écoute pour Malik").click()
        odile.wait_for_url(request_url)
        check(odile, "request-page-odile-375")
        odile.get_by_label("Un message, ou un moment que vous proposez (facultatif)").fill(
            "Je t'appelle à 20 h"
        )
        odile.get_by_role("button", name="Je suis disponible").click()
        odile.wait_for_url(request_url)
        assert "Vous êtes avec Malik." in odile.inner_text("main")

        malik.reload()
        main = malik.inner_text("main")
        assert "Odile est avec vous." in main and "Je t'appelle à 20 h" in main
        check(malik, "request-page-matched-375")
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        malik_ctx.close()
        odile_ctx.close()
