"""On a phone, in French: a circle's search page finds a thread, a comment and a poll
by a word typed without its accents, and shows each match highlighted, readable, within
375 px (no sideways scrolling), with no axe-core violation; a search that finds
nothing says so on a page that passes the same checks."""

from __future__ import annotations

import pytest
from fixtures.browser import sign_in as _sign_in

pytestmark = pytest.mark.e2e


def test_search_results_are_highlighted_and_fit_a_phone(
    app, check, live_server, phone, thread_circle, make_thread, new_poll
):
    from app.auth.models import User
    from app.extensions import db
    from app.threads.models import Thread
    from app.threads.services import add_comment
    from app.timeutil import utcnow

    circle = thread_circle
    handle = circle.group.handle
    thread = make_thread(
        circle.group,
        circle.admin,
        title="Réciprocité et soutien entre membres du cercle",
        body="Nos accords : pas de réciprocité exigée, jamais. "
        "Unmotsansespacequiseraittroplongpourunécrandetéléphonesionnelecoupaitpas. " * 3,
    )
    with app.app_context():
        add_comment(
            db.session.get(Thread, thread.id),
            author=db.session.get(User, circle.members[0].id),
            body="Je préfère parler de **réciprocités** souples plutôt que d'obligations.",
            now=utcnow(),
        )
        db.session.commit()
    new_poll(title="Adopter la réciprocité souple ?")

    page = phone
    _sign_in(page, live_server, circle.admin.email)
    page.goto(f"{live_server}/g/{handle}/search?q=reciprocite")
    results = page.locator("li.search-result")
    assert results.count() == 3
    marks = page.locator("li.search-result mark")
    assert marks.count() >= 3
    for n in range(marks.count()):
        mark = marks.nth(n)
        assert mark.is_visible()
        assert mark.inner_text().lower().startswith("réciprocit")
        box = mark.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    # a highlight stands out from the text around it
    background = marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    around = marks.first.evaluate("m => getComputedStyle(m.parentElement).backgroundColor")
    assert background != around
    check(page, "search-results")

    page.fill("#q", "hippopotame")
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert page.locator("li.search-result").count() == 0
    assert page.locator(".search-results .empty-state").is_visible()
    check(page, "search-nothing")
