"""On a phone, in French: the group page shows what awaits a vote; the members page
reads at 375 px; removing someone and leaving the group go through a confirmation
page, with JavaScript and without it.

Every page is checked at 375 px (no sideways scrolling) and, with JavaScript, by
axe-core (no violation). Selectors are addresses, so the test reads the same whatever
the catalog holds.
"""

from __future__ import annotations

import re

import pytest
from fixtures.browser import sign_in as _sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def membership_id(app):
    """``membership_id(group, user)``: the id of the user's current membership, or None."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.groups.models import Membership

    def find(group, user):
        with app.app_context():
            return db.session.scalar(
                sa.select(Membership.id).where(
                    Membership.group_id == group.id,
                    Membership.user_id == user.id,
                    Membership.revoked_at.is_(None),
                )
            )

    return find


@pytest.fixture
def invite(app):
    """``invite(group, admin, email)``: a pending invitation to that address."""
    from app.auth.models import User
    from app.extensions import db
    from app.groups.models import Group
    from app.groups.services import create_invitation
    from app.timeutil import utcnow

    def make(group, admin, email):
        with app.app_context():
            create_invitation(
                db.session.get(Group, group.id),
                actor=db.session.get(User, admin.id),
                email=email,
                note="Zoé, la voisine",
                now=utcnow(),
            )
            db.session.commit()

    return make


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_members_page_and_confirmation_steps_on_a_phone(
    check, live_server, phone, browser, thread_circle, new_poll, membership_id, invite
):
    group = thread_circle.group
    handle = group.handle
    new_poll(title="Adopter «Nos accords d'écoute»")
    invite(group, thread_circle.admin, "zoe@exemple.org")
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]

    # With JavaScript: Alice, the admin.
    page = phone
    _sign_in(page, live_server, thread_circle.admin.email)
    page.goto(f"{live_server}/g/{handle}")
    assert page.locator("#open-polls-heading").is_visible()
    assert page.locator(".open-polls .badge-new").count() == 1
    check(page, "group-open-polls")
    page.locator(f"a[href='/g/{handle}/members#invite']").click()
    page.wait_for_url(re.compile(rf".*/g/{handle}/members#invite$"))
    check(page, "members")
    remove = f"/g/{handle}/members/{membership_id(group, bruno)}/remove"
    page.locator(f"a[href^='{remove}?next=']").click()
    page.wait_for_url(re.compile(rf".*{remove}\?next=.*"))
    check(page, "confirm-remove")
    page.locator("form.actions a[role=button]").click()  # "no, go back"
    page.wait_for_url(re.compile(rf".*/g/{handle}/members$"))
    assert membership_id(group, bruno) is not None
    page.locator(f"a[href^='{remove}?next=']").click()
    with page.expect_navigation():
        page.locator("form.actions button[type=submit]").click()
    assert page.url.endswith(f"/g/{handle}/members")
    assert membership_id(group, bruno) is None
    assert page.locator(f"a[href^='{remove}']").count() == 0

    # Without JavaScript: Chloé leaves the group.
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="fr-FR", java_script_enabled=False
    )
    try:
        plain = context.new_page()
        _sign_in(plain, live_server, chloe.email)
        plain.goto(f"{live_server}/g/{handle}/members")
        _fits(plain)
        assert plain.locator("table").count() == 0
        plain.locator(f"a[href^='/g/{handle}/leave?next=']").click()
        plain.wait_for_url(re.compile(rf".*/g/{handle}/leave\?next=.*"))
        _fits(plain)
        assert membership_id(group, chloe) is not None
        with plain.expect_navigation():
            plain.locator("form.actions button[type=submit]").click()
        assert plain.url == live_server + "/"
        assert membership_id(group, chloe) is None
    finally:
        context.close()
