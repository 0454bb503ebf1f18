"""Bruno chooses his emails on a phone, in French, with the keyboard: from his
notifications to the settings page (his circle in the digest, no digest on Saturday),
a mistake named next to its field, then one discussion muted from its own page.

Each page fits 375 px and axe-core finds no accessibility violation on it.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


def _press(page, locator, key="Enter"):
    """Reach ``locator`` by focus, as Tab would, and press a key on it."""
    locator.focus()
    page.keyboard.press(key)


def test_bruno_chooses_his_emails_on_a_phone(check, app, live_server, phone, thread_circle):
    page = phone
    bruno, group, thread = thread_circle.members[0], thread_circle.group, thread_circle.thread
    page.goto(live_server + "/signin")
    page.fill("#email", bruno.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")

    page.goto(live_server + "/notifications")
    link = page.get_by_role("link", name="Réglages de notifications", exact=False)
    with page.expect_navigation():
        _press(page, link)
    assert page.url.endswith("/notifications/settings")
    assert page.locator("h1").inner_text() == "Réglages de notifications"
    check(page, "notification-settings")

    # His circle's news in the daily digest, support requests still at once.
    _press(page, page.locator(f"#volume_{group.id}-1"), "Space")
    assert page.locator(f"#volume_{group.id}-1").is_checked()
    # No digest on Saturday.
    _press(page, page.get_by_label("Samedi"), "Space")
    assert not page.get_by_label("Samedi").is_checked()
    with page.expect_navigation():
        _press(page, page.get_by_role("button", name="Enregistrer mes réglages de notifications"))
    assert "Vos réglages de notifications sont enregistrés." in page.content()
    assert page.locator(f"#volume_{group.id}-1").is_checked()
    assert not page.get_by_label("Samedi").is_checked()

    # A mistake: "on the days checked" with every day unchecked, named at its field.
    for day in ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Dimanche"):
        _press(page, page.get_by_label(day), "Space")
    with page.expect_navigation():
        _press(page, page.get_by_role("button", name="Enregistrer mes réglages de notifications"))
    error = page.locator("#digest_days-error")
    assert "Cochez au moins un jour" in error.inner_text()
    check(page, "notification-settings-error")

    # One discussion muted from its own page.
    page.goto(live_server + f"/t/{thread.id}")
    select = page.get_by_label("Courriels sur cette discussion", exact=True)
    select.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    assert select.input_value() == "mute"
    with page.expect_navigation():
        _press(page, page.locator("#thread-emails button[type=submit]"))
    assert "Courriels sur cette discussion\u00a0: Silence" in page.locator(".flashes").inner_text()
    check(page, "thread-emails")

    # Listed on the settings page, and removed from there.
    page.goto(live_server + "/notifications/settings#threads")
    assert thread.title in page.locator("#threads").inner_text()
    with page.expect_navigation():
        _press(page, page.locator("#threads").get_by_role("button"))
    assert "suivent à nouveau le réglage de son cercle" in page.content()
