"""The notifications page on a phone, in French: each item says why it came (the
agreement's words when a rule decided it), fits 375 px, and axe-core finds no
accessibility violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/cercle-screenshots"))  # noqa: S108
PASSWORD = "correct horse battery"


@pytest.fixture
def thread_circle(seed_thread_circle):
    """The proposal helpers' circle, with the seed's names."""
    return seed_thread_circle


def test_odile_reads_why_each_notification_came(
    live_server, browser, listening_circle, ask_support, propose, vote, clock
):
    from axe_playwright_python.sync_playwright import Axe

    malik, odile, bruno, _chloe = listening_circle.people
    ask_support(malik, listening_circle.group)
    clock.tick()
    poll = propose(author=odile)
    vote(poll, bruno, "block")

    context = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="fr-FR", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    try:
        page.goto(live_server + "/signin")
        page.fill("#email", "odile@example.org")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.press("#password", "Enter")
        page.goto(live_server + "/notifications")
        text = page.inner_text("main").replace("\xa0", " ")
        assert "Bruno a posé un blocage sur votre proposition" in text
        assert "Vous l'avez proposée." in text
        assert "Comme le prévoit « Nos accords d'écoute » v1 (urgent et important" in text

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "notifications-375.png"), full_page=True)
        wide = page.evaluate(
            """[...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 376)
                .map(e => e.tagName + '.' + e.className).slice(0, 8)"""
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, wide
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_snapshot()
    finally:
        context.close()
