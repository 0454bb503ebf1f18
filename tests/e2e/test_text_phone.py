"""On a phone (375 px), in French: the header on one or two lines, sign-up errors in a
summary that takes the focus, @ suggestions with the keyboard (and «@Bruno» typed
without JavaScript is a mention all the same), and axe-core finding nothing on the
sign-up page, a thread and an agreement's word diff."""

from __future__ import annotations

import pytest
from fixtures.agreement_pages import LISTENING
from fixtures.browser import phone as _phone
from fixtures.browser import sign_in as _sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def thread_circle(seed_thread_circle):
    """The proposal helpers' circle, with the seed's names (Malik, Odile, Bruno, Chloé)."""
    return seed_thread_circle


def _header_lines(page) -> int:
    tops = page.evaluate(
        """[...document.querySelectorAll('.site-header nav li')]
            .filter(e => e.getClientRects().length > 0)
            .map(e => Math.round(e.getBoundingClientRect().top))"""
    )
    return len({round(top / 10) for top in tops})


def test_sign_up_errors_are_summarised_and_focused(live_server, browser, check):
    context, page = _phone(browser)
    try:
        page.goto(live_server + "/signup")
        assert _header_lines(page) <= 2
        check(page, "text-signup")
        page.fill("#name", "Claire")
        page.fill("#email", "pas une adresse")
        page.fill("#password", "court")
        page.fill("#confirm", "court")
        with page.expect_navigation():
            page.press("#confirm", "Enter")
        assert page.title().startswith("Erreur")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert page.locator("#error-summary a[href='#email']").count() == 1
        check(page, "text-signup-errors")
    finally:
        context.close()


def test_mentions_with_and_without_javascript(
    live_server, browser, check, seed_thread_circle, decide, amend
):
    circle = seed_thread_circle
    thread_url = f"{live_server}/t/{circle.thread.id}"
    # with JavaScript: «@br», the suggestion chosen with the keyboard
    context, page = _phone(browser)
    try:
        _sign_in(page, live_server, "malik@example.org")
        assert _header_lines(page) <= 2
        page.goto(thread_url)
        field = page.locator("#body")
        field.click()
        field.type("Merci @br")
        option = page.get_by_role("option", name="Bruno")
        option.wait_for()
        assert field.get_attribute("aria-activedescendant") == option.get_attribute("id")
        page.keyboard.press("Enter")
        assert field.input_value() == "Merci @Bruno "
        field.type("pour tout.")
        with page.expect_navigation():
            page.get_by_role("button", name="Publier le commentaire").click()
        assert page.locator("a.mention", has_text="@Bruno").count() == 1
        check(page, "text-thread")
    finally:
        context.close()
    # without JavaScript: typed by hand
    context, page = _phone(browser, javascript=False)
    try:
        _sign_in(page, live_server, "odile@example.org")
        page.goto(thread_url)
        page.fill("#body", "D'accord avec @chloe et @Malik.")
        with page.expect_navigation():
            page.get_by_role("button", name="Publier le commentaire").click()
        assert page.locator("a.mention", has_text="@chloe").count() == 1
        assert page.locator("a.mention", has_text="@Malik").count() == 1
    finally:
        context.close()
    # the agreement's word diff
    poll, outcome = decide(LISTENING)
    amend(outcome["agreement_id"], 1, body="Pas de réciprocité obligatoire, jamais.")
    context, page = _phone(browser)
    try:
        _sign_in(page, live_server, "bruno@example.org")
        page.goto(f"{live_server}/g/tilleuls/agreements/{outcome['agreement_id']}")
        assert page.locator(".word-diff ins").count() >= 1
        check(page, "text-agreement-diff")
    finally:
        context.close()
