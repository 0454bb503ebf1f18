"""A thread on a phone (375 px), in French: «Répondre» and «Réagir» open the page's one
reply form and one picker in place with JavaScript (the reply keeps its @ suggestions),
and lead to pages of their own without it; axe-core finds nothing on each (with
JavaScript: it runs in the page)."""

from __future__ import annotations

import pytest
from fixtures.browser import phone as _phone
from fixtures.browser import sign_in as _sign_in

pytestmark = pytest.mark.e2e


def _post_comment(page, text: str) -> None:
    page.fill("#body", text)
    with page.expect_navigation():
        page.get_by_role("button", name="Publier le commentaire").click()


def test_reply_and_react_in_place_and_without_javascript(
    live_server, browser, check, seed_thread_circle
):
    url = f"{live_server}/t/{seed_thread_circle.thread.id}"
    context, page = _phone(browser)
    try:
        _sign_in(page, live_server, "malik@example.org")
        page.goto(url)
        _post_comment(page, "Qui est disponible dimanche ?")
    finally:
        context.close()

    # Odile, with JavaScript
    context, page = _phone(browser)
    try:
        _sign_in(page, live_server, "odile@example.org")
        page.goto(url)
        reply = page.get_by_role("button", name="Répondre")
        reply.click()
        assert reply.get_attribute("aria-expanded") == "true"
        field = page.get_by_label("Votre réponse")
        assert page.evaluate("document.activeElement.id") == field.get_attribute("id")
        field.type("Moi, avec @br")
        page.get_by_role("option", name="Bruno").wait_for()
        page.keyboard.press("Enter")
        field.type("si besoin.")
        check(page, "thread-reply-open")
        # Escape keeps a reply being written; «Annuler» closes it
        page.keyboard.press("Escape")
        assert field.is_visible()
        with page.expect_navigation():
            page.get_by_role("button", name="Envoyer la réponse").click()
        sent = page.locator(".replies .comment", has_text="Moi, avec @Bruno si besoin.")
        assert sent.count() == 1

        react = page.get_by_role("button", name="Réagir").first
        react.click()
        assert react.get_attribute("aria-expanded") == "true"
        check(page, "thread-picker-open")
        with page.expect_navigation():
            page.locator(".reaction-picker button[value='🙏']").click()
        pressed = page.locator(".reactions-form button[aria-pressed='true']", has_text="🙏 1")
        assert pressed.count() == 1
        # the picker offers only what the comment does not show already
        page.get_by_role("button", name="Réagir").first.click()
        assert page.locator(".reaction-picker button").count() == 5
        assert page.locator(".reaction-picker button[value='🙏']").count() == 0
        # the pages «Répondre» and «Réagir» lead to without JavaScript (axe needs it)
        first = page.locator("article.comment").first.get_attribute("id").removeprefix("comment-")
        page.goto(f"{live_server}/comments/{first}/reply")
        check(page, "thread-reply-page")
        page.goto(f"{live_server}/comments/{first}/reactions")
        check(page, "thread-react-page")
    finally:
        context.close()

    # Bruno, without JavaScript: the same links lead to pages of their own
    context, page = _phone(browser, javascript=False)
    try:
        _sign_in(page, live_server, "bruno@example.org")
        page.goto(url)
        with page.expect_navigation():
            page.get_by_role("link", name="Répondre").click()
        assert page.locator("h1").inner_text() == "Répondre à Malik"
        page.fill("#body", "Je peux aussi.")
        with page.expect_navigation():
            page.get_by_role("button", name="Envoyer la réponse").click()
        assert page.locator(".replies .comment", has_text="Je peux aussi.").count() == 1
        with page.expect_navigation():
            page.get_by_role("link", name="Réagir").first.click()
        with page.expect_navigation():
            page.get_by_role("button", name="🙏 1").click()
        assert page.locator(".reactions-form button", has_text="🙏 2").count() == 1
    finally:
        context.close()


def test_the_keyboard_opens_and_closes_them_as_buttons(live_server, browser, seed_thread_circle):
    """JavaScript gives «Répondre» and «Réagir» the role of buttons: Space opens them as
    it opens a button (not scrolling the page), and the focus comes back on Escape."""
    url = f"{live_server}/t/{seed_thread_circle.thread.id}"
    context, page = _phone(browser)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _sign_in(page, live_server, "malik@example.org")
        page.goto(url)
        _post_comment(page, "Qui est disponible dimanche ?")
        page.evaluate("window.scrollTo(0, 0)")
        for name, opened in (("Répondre", "form.reply-form"), ("Réagir", ".reaction-picker")):
            link = page.get_by_role("button", name=name).first
            link.focus()
            page.keyboard.press(" ")
            assert page.locator(opened).count() == 1, name
            assert link.get_attribute("aria-expanded") == "true"
            page.keyboard.press("Escape")
            assert page.locator(opened).count() == 0, name
            assert page.evaluate("document.activeElement.textContent") == name
        assert errors == []
    finally:
        context.close()


def test_a_reply_being_written_is_not_dropped_by_a_second_tap_on_reply(
    live_server, browser, seed_thread_circle
):
    """Escape keeps a reply being written; so does «Répondre» tapped again (it sits
    right above the field): the field takes the focus back instead. «Annuler» drops it."""
    url = f"{live_server}/t/{seed_thread_circle.thread.id}"
    context, page = _phone(browser)
    try:
        _sign_in(page, live_server, "malik@example.org")
        page.goto(url)
        _post_comment(page, "Qui est disponible dimanche ?")
        reply = page.get_by_role("button", name="Répondre")
        reply.click()
        reply.click()  # nothing written yet: it closes
        assert page.locator("form.reply-form").count() == 0
        reply.click()
        page.get_by_label("Votre réponse").fill("Moi, dimanche matin.")
        reply.click()
        field = page.get_by_label("Votre réponse")
        assert field.input_value() == "Moi, dimanche matin."
        assert page.evaluate("document.activeElement.id") == field.get_attribute("id")
        assert reply.get_attribute("aria-expanded") == "true"
        page.get_by_role("button", name="Annuler").click()
        assert page.locator("form.reply-form").count() == 0
        assert reply.get_attribute("aria-expanded") == "false"
    finally:
        context.close()
