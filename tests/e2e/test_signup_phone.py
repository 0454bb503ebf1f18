"""A newcomer signs up on a phone, in French, without a mouse."""

import pytest

pytestmark = pytest.mark.e2e


def test_sign_up_on_a_phone_in_french_with_the_keyboard(live_server, phone):
    page = phone
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/signup")
    assert page.locator("html").get_attribute("lang") == "fr"
    # The form fits the phone screen: no horizontal scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    # Labels are tied to their fields (what a screen reader announces).
    page.get_by_label("Votre nom", exact=False).fill("Claire Vasseur")
    page.keyboard.press("Tab")
    page.keyboard.type("claire@exemple.org")
    page.keyboard.press("Tab")
    page.keyboard.type("un mot de passe assez long")
    page.keyboard.press("Tab")
    page.keyboard.type("un mot de passe assez long")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/")
    assert "Claire Vasseur" in page.content()
    assert not [e for e in errors if "Content Security Policy" in e], errors
