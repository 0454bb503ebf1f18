"""The proposal form on a phone, in French, with and without JavaScript: «Proposer» from
the thread, the change type chosen without losing the title typed, a rule value that
sets the rule (JavaScript unticks «Laisser non fixée» as one types; without it, both at
once is an error on the rule, never a silent drop), at 375 px with no axe-core
violation."""

from __future__ import annotations

import pytest
from fixtures.browser import phone as _phone
from fixtures.browser import sign_in as _sign_in

pytestmark = pytest.mark.e2e


def _to_the_form_with_a_typed_title(page, base, thread_id):
    page.goto(f"{base}/t/{thread_id}")
    with page.expect_navigation():
        page.get_by_role("button", name="Proposer", exact=True).click()
    page.fill("#title", "Adoptons nos accords d'écoute")
    page.check("#change-adopt")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher les champs de ce choix").click()
    assert page.input_value("#title") == "Adoptons nos accords d'écoute"  # kept
    assert page.is_checked("#change-adopt")
    page.fill("#change-title", "Nos accords d'écoute")
    page.fill("#change-body", "Deux temps d'écoute par semaine.")
    page.click("#rule-rhythm_per_week-fieldset > summary")  # unfold the rule
    page.fill("#rule-rhythm_per_week", "2")


def test_the_proposal_form_without_javascript(live_server, browser, thread_circle):
    context, page = _phone(browser, javascript=False)
    try:
        _sign_in(page, live_server, thread_circle.admin.email)
        _to_the_form_with_a_typed_title(page, live_server, thread_circle.thread.id)
        assert page.is_checked("#rule-rhythm_per_week-unset")  # no script to untick it
        with page.expect_navigation():
            page.get_by_role("button", name="Faire la proposition").click()
        error = page.inner_text("#rule-rhythm_per_week-error").replace("\xa0", " ")
        assert "Vous avez donné une valeur et coché « Laisser non fixée »" in error
        assert page.input_value("#rule-rhythm_per_week") == "2"  # kept
        # (axe-core and width checks run scripts: they run on the same form in the test
        # with JavaScript)
        page.uncheck("#rule-rhythm_per_week-unset")
        with page.expect_navigation():
            page.get_by_role("button", name="Faire la proposition").click()
        assert "/p/" in page.url
        text = page.inner_text("main").replace("\xa0", " ")
        assert "Rythme de soutien" in text and "2 fois par semaine" in text
    finally:
        context.close()


def test_the_proposal_form_with_javascript(live_server, browser, thread_circle, check):
    context, page = _phone(browser, javascript=True)
    try:
        _sign_in(page, live_server, thread_circle.admin.email)
        _to_the_form_with_a_typed_title(page, live_server, thread_circle.thread.id)
        assert not page.is_checked("#rule-rhythm_per_week-unset")  # typing unticked it
        check(page, "proposal-form-js-375")
        with page.expect_navigation():
            page.get_by_role("button", name="Faire la proposition").click()
        assert "/p/" in page.url
        text = page.inner_text("main").replace("\xa0", " ")
        assert "2 fois par semaine" in text
    finally:
        context.close()
