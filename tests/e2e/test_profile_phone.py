"""The profile on a phone (issue 12 item 18, issue 13): what a person needs first, then
«Avancé» (API tokens), then leaving; the closing steps work without JavaScript."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_profile_and_closing_steps_read_well_at_375_px(
    live_server, phone, check, make_user, make_group, api_as
):
    person = make_user(name="Élise Girard", email="elise@example.org")
    admin = make_user(name="Claire")
    make_group(person, [admin], name="Cercle des Lilas")  # Élise is its only admin
    api_as(person)  # one API token to list
    page = phone
    page.goto(live_server + "/signin")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    with page.expect_navigation():
        page.press("#password", "Enter")
    page.goto(live_server + "/profile")
    headings = page.locator("main h2").all_inner_texts()
    assert headings.index("Avancé") > headings.index("Adresse e-mail")
    assert headings[-1] == "Quitter Cercle"
    check(page, "profile-375")
    # the deletion says what must happen first, without JavaScript
    page.get_by_role("link", name="Supprimer mon compte…").click()
    text = page.inner_text("main")
    assert "Ce qui doit se faire d'abord" in text and "Cercle des Lilas" in text
    check(page, "account-delete-375")
