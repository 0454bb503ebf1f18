"""What good looks like, in a browser: a facilitator starts her circle from a phone.

She signs up, creates the circle, makes an invitation link; a second person
opens it on his own phone, creates his account and joins; she opens a
thread and he answers it. Every step is a real page in headless Chromium,
with the keyboard and the buttons a person would use.
"""

import re

import pytest

pytestmark = pytest.mark.e2e


def _sign_up(page, base, name, email, password="un mot de passe assez long"):
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.fill("#confirm", password)
    page.press("#confirm", "Enter")


def test_a_facilitator_starts_her_circle_and_a_friend_joins(live_server, browser):
    claire_ctx = browser.new_context(viewport={"width": 375, "height": 740}, locale="fr-FR")
    malik_ctx = browser.new_context(viewport={"width": 390, "height": 800}, locale="fr-FR")
    claire, malik = claire_ctx.new_page(), malik_ctx.new_page()
    try:
        claire.goto(live_server + "/signup")
        _sign_up(claire, live_server, "Claire Vasseur", "claire@exemple.org")
        claire.wait_for_url(live_server + "/")

        claire.goto(live_server + "/groups/new")
        claire.fill("#name", "Cercle des Lilas")
        claire.fill("#description", "Nous nous **soutenons** les uns les autres.")
        claire.locator("form[action$='/groups/new'] button[type=submit]").click()
        claire.wait_for_url(re.compile(r".*/g/cercle-des-lilas$"))
        assert "<strong>soutenons</strong>" in claire.content()

        claire.goto(live_server + "/g/cercle-des-lilas/members")
        claire.locator("form[action$='/invitations'] button[type=submit]").click()
        link = claire.locator("#new-invitation-link").input_value().strip()
        assert "/invitations/" in link

        malik.goto(link)
        malik.locator("main a[href*='/signup']").click()
        _sign_up(malik, live_server, "Malik Benali", "malik@exemple.org")
        # Signed up from the link: straight into the circle, no extra tap.
        malik.wait_for_url(re.compile(r".*/g/cercle-des-lilas$"))
        assert "Cercle des Lilas" in malik.content()

        claire.goto(live_server + "/g/cercle-des-lilas/threads/new")
        claire.fill("#title", "Nos temps d'écoute")
        claire.fill("#body", "Deux temps par semaine, ça vous irait ?")
        claire.locator("form[action$='/threads/new'] button[type=submit]").click()
        claire.wait_for_url(re.compile(r".*/t/\d+$"))
        thread_url = claire.url

        malik.goto(thread_url)
        malik.fill("textarea#body", "Oui, et on vérifie d'abord que l'autre est disponible.")
        malik.locator("textarea#body").press("Tab")  # to the "post" button, by keyboard
        with malik.expect_navigation():
            malik.keyboard.press("Enter")
        assert "on vérifie d'abord" in malik.content()

        claire.goto(thread_url)
        assert "on vérifie d'abord" in claire.content()
        wide = claire.evaluate(
            """[...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 376)
                .map(e => e.tagName + '.' + e.className)
                .slice(0, 8)"""
        )
        assert claire.evaluate("document.documentElement.scrollWidth") <= 375, wide
    finally:
        claire_ctx.close()
        malik_ctx.close()
