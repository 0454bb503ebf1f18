"""Voting on a phone, with and without JavaScript: a refused vote shows its error summary
at the top of the form, focused, the page's title saying «Erreur»; a recorded vote is
confirmed where the person lands; the results and the rules in force break no word;
axe-core finds nothing on the poll, the thread, the agreements and an agreement."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from app.timeutil import utcnow

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/cercle-screenshots"))  # noqa: S108

#: the words of every cell of these tables that a line break cuts in two (a word on
#: two lines has two boxes): «D'a/cco/rd» on a phone before
BROKEN_WORDS = """sel => [...document.querySelectorAll(sel)].flatMap(cell => {
  const broken = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('.visually-hidden')) continue;
    for (const m of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(m[0]);
    }
  }
  if (cell.scrollWidth > cell.clientWidth + 1) broken.push('overflow: ' + cell.innerText);
  return broken;
})"""

IN_VIEW = """el => { const r = el.getBoundingClientRect();
  return r.top >= -1 && r.bottom <= window.innerHeight + 1 && r.height > 0; }"""


@pytest.fixture
def thread_circle(seed_thread_circle):
    """The seed's names: Malik (admin), Odile, Bruno, Chloé in «Les Tilleuls»."""
    return seed_thread_circle


def fits_the_phone(page, name):
    """Without JavaScript, axe-core cannot run (its checks are scripts, and they wait
    forever): the same pages get it in the JavaScript run; here, the width only."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_vote_feedback_results_and_rules_on_a_phone(
    javascript, live_server, browser, check, listening_circle, propose, vote, clock
):
    malik, odile, bruno, chloe = listening_circle.people
    clock.now = utcnow() - timedelta(minutes=10)
    poll = propose(author=odile)
    vote(poll, bruno, "block")
    clock.tick()
    vote(poll, bruno, "agree")  # the block is lifted
    vote(poll, malik, "agree")
    p = f"p{poll.id}-"
    check = check if javascript else fits_the_phone

    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        locale="fr-FR",
        timezone_id="Europe/Paris",
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server + "/signin")
        page.fill("#email", "chloe@example.org")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.press("#password", "Enter")

        # The thread: a way straight to the vote, and the lifted block in the timeline.
        page.goto(f"{live_server}/t/{listening_circle.thread.id}")
        skip = page.locator(".skip-to-vote a")
        assert skip.count() == 1 and skip.get_attribute("href") == f"#{p}vote"
        assert page.locator(".block-lifted").count() == 1
        check(page, f"thread-proposal-{'js' if javascript else 'nojs'}")

        # A refused vote (a block needs a reason): the summary at the top of the form,
        # focused and in view, the title saying so.
        page.check(f"#{p}key-block")
        page.fill(f"#{p}reason", "Non")
        with page.expect_navigation():
            page.click(f"#{p}vote button[type=submit]")
        assert page.title().startswith("Erreur")
        summary = page.locator(f"#{p}errors")
        assert page.evaluate("document.activeElement.id") == f"{p}errors"
        assert summary.evaluate(IN_VIEW)
        assert summary.locator(f'a[href="#{p}reason"]').count() == 1
        check(page, f"vote-refused-{'js' if javascript else 'nojs'}")

        # Corrected: recorded, and confirmed where the person lands.
        page.fill(f"#{p}reason", "Je bloque : pas sans un temps d'essai.")
        page.check(f"#{p}key-agree")
        with page.expect_navigation():
            page.click(f"#{p}vote button[type=submit]")
        confirmation = page.locator(f"#{p}confirmation")
        assert confirmation.count() == 1 and confirmation.evaluate(IN_VIEW)
        assert not page.title().startswith("Erreur")
        if javascript:
            assert page.evaluate("document.activeElement.id") == f"{p}confirmation"

        # The results: no word broken on a phone.
        page.goto(f"{live_server}/p/{poll.id}")
        assert page.locator(".poll-results").count() == 1
        assert page.evaluate(BROKEN_WORDS, ".poll-results th, .poll-results td") == []
        check(page, f"poll-{'js' if javascript else 'nojs'}")

        # The agreements page (rules in force) and the agreement page.
        page.goto(f"{live_server}/g/tilleuls/agreements")
        assert page.evaluate(BROKEN_WORDS, ".active-rules th, .active-rules td") == []
        check(page, f"agreements-{'js' if javascript else 'nojs'}")
        page.locator(".agreement h3").first.wait_for()
        with page.expect_navigation():
            page.click("text=L'accord et son historique")
        # Measured once the page and its style sheet are in (not mid-navigation).
        page.wait_for_load_state("load")
        page.locator(".rules-table").first.wait_for()
        assert page.evaluate(BROKEN_WORDS, ".rules-table th, .rules-table td") == []
        # Who decided: the names, since the poll was not anonymous.
        assert page.locator(".decision-stances li").count() == 4
        check(page, f"agreement-{'js' if javascript else 'nojs'}")
    finally:
        context.close()
