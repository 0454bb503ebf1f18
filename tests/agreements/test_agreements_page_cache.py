"""The agreements page's shared part is cached under the circle's revision
(``app/fragments.py``): with the cache on, everyone sees exactly what they would see
with it off, before and after each kind of write the page shows, the cache being warm
from the revision before the write."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fixtures.agreement_pages import EN, FR, LISTENING, text_of

from app.extensions import db
from app.timeutil import utcnow

pytestmark = pytest.mark.usefixtures("ten_days_ago")

CSRF = re.compile(r'(name="csrf_token" value="|name="csrf-token" content=")[^"]+')


def _url(thread_circle, tail=""):
    return f"/g/{thread_circle.group.handle}/agreements{tail}"


@pytest.fixture
def same_either_way(app, client, auth, thread_circle):
    """``same_either_way(url)``: the page for a member and for the admin, in English and
    in French, rendered with the cache on (warm from whatever was cached before) and
    off, is the same HTML apart from the CSRF token; returns the member's English HTML."""
    cache = app.extensions["fragments"]

    def check(url: str) -> str:
        seen = None
        for person in (thread_circle.members[0], thread_circle.admin):
            auth.login(person)
            for headers in (EN, FR):
                cache.enabled = True
                cached = client.get(url, headers=headers)
                cache.enabled = False
                try:
                    fresh = client.get(url, headers=headers)
                finally:
                    cache.enabled = True
                assert cached.status_code == fresh.status_code == 200
                cached_html = CSRF.sub(r"\1", cached.get_data(as_text=True))
                fresh_html = CSRF.sub(r"\1", fresh.get_data(as_text=True))
                assert cached_html == fresh_html, (person.name, headers)
                if seen is None:
                    seen = fresh_html
        return seen

    return check


def _section(html: str, start: str, end: str | None = None) -> str:
    text = text_of(html)
    return text[text.index(start) : text.index(end) if end else None]


def test_rendered_once_per_revision_language_and_day(page, thread_circle, adopted, monkeypatch):
    from app.agreements import views

    renders = []
    real = views._index_parts
    monkeypatch.setattr(views, "_index_parts", lambda *a: renders.append(a) or real(*a))
    adopted()
    url = _url(thread_circle)
    page(url, user=thread_circle.admin)
    page(url, user=thread_circle.members[0])  # another viewer, the same revision
    assert len(renders) == 1
    page(url, lang="fr")
    page(f"{url}?as_of={date.today().isoformat()}")
    assert len(renders) == 3
    adopted(dict(LISTENING, title="Un autre accord"))  # a write: a new revision
    page(url)
    assert len(renders) == 4


def test_same_html_before_and_after_each_write_the_page_shows(
    run, thread_circle, same_either_way, adopted, amend, decide, propose, vote
):
    from app.agreements.models import Agreement
    from app.auth.models import User
    from app.groups.models import Group, Membership
    from app.groups.services import change_role, update_group
    from app.polls.models import Poll

    url = _url(thread_circle)
    html = same_either_way(url)
    assert "No agreement yet" in text_of(html)

    # adoption
    agreement_id, first = adopted()
    html = same_either_way(url)
    assert "Nos accords d'écoute v1" in text_of(html)
    assert f'href="/p/{first.id}"' in html

    # an amendment that changes the rules
    amend(agreement_id, 1, rules={"reciprocity": "required"}, change_summary="Réciprocité")
    html = same_either_way(url)
    assert "Nos accords d'écoute v2" in text_of(html)
    assert "Reciprocity Required" in text_of(html)

    # a second agreement that overrides a rule of the first
    other = dict(LISTENING, title="Relances", rules={"reciprocity": "not_required"})
    adopted(other)
    html = same_either_way(url)
    assert "Overrides" in _section(html, "Active rules", "Repealed agreements")

    # a review date set by an admin (due: the notice and the line), then moved away
    def review(day):
        def write():
            db.session.get(Agreement, agreement_id).review_on = day

        run(write)

    review(date.today() - timedelta(days=1))
    html = same_either_way(url)
    assert "1 agreement is due for review" in text_of(html)
    review(date.today() + timedelta(days=5))
    html = same_either_way(url)
    assert "review soon" in text_of(html) and "due for review" not in text_of(html)

    # a proposal whose closing time has passed: applied by the page's own read
    due = propose(
        {"action": "amend", "agreement_id": agreement_id, "base_version": 2, "body": "Plus tard."},
        closing_in=timedelta(hours=1),
    )
    for person in thread_circle.people:
        vote(due, person, "agree")

    def overdue():
        db.session.get(Poll, due.id).closing_at = utcnow() - timedelta(minutes=1)

    run(overdue)
    html = same_either_way(url)
    assert "Nos accords d'écoute v3" in text_of(html)

    # the circle renamed, a member renamed, a member made admin, proposals reserved
    def rename():
        db.session.get(Group, thread_circle.group.id).name = "Cercle renommé"
        db.session.get(User, thread_circle.members[0].id).name = "Bruno B."

    run(rename)
    html = same_either_way(url)
    assert "What Cercle renommé agreed" in text_of(html)

    def roles():
        group = db.session.get(Group, thread_circle.group.id)
        membership = db.session.scalar(
            sa.select(Membership).where(
                Membership.group_id == group.id,
                Membership.user_id == thread_circle.members[1].id,
            )
        )
        change_role(group, membership, "admin", now=utcnow())
        update_group(group, members_can_raise_proposals=False)

    run(roles)
    html = same_either_way(url)
    assert "Propose a new agreement" not in html  # the member's page
    # repeal
    decide({"action": "repeal", "agreement_id": agreement_id, "base_version": 3})
    html = same_either_way(url)
    assert "Repealed on" in _section(html, "Repealed agreements")

    # and a past day, cached apart from today's page
    html = same_either_way(f"{url}?as_of={(date.today() - timedelta(days=30)).isoformat()}")
    assert "No agreement yet" in text_of(html)


def test_an_adoption_dated_ahead_shows_once_its_time_has_come(
    page, thread_circle, adopted, clock, monkeypatch
):
    """A version adopted with a clock ahead of the reader's (another server's) is not in
    force yet: the cached page stops being used when its time comes."""
    from app.agreements import views

    clock.now = utcnow() + timedelta(hours=2)
    adopted()
    status, html = page(_url(thread_circle), user=thread_circle.admin)
    assert "No agreement yet" in text_of(html)
    later = utcnow() + timedelta(hours=3)
    monkeypatch.setattr(views, "utcnow", lambda: later)
    status, html = page(_url(thread_circle))
    assert "Nos accords d'écoute v1" in text_of(html)


def test_statements_fixed_and_fewer_once_cached(
    app, client, auth, thread_circle, adopted, count_queries
):
    adopted()
    auth.login(thread_circle.members[0])
    url = _url(thread_circle)
    cache = app.extensions["fragments"]
    cache.clear()
    with count_queries() as miss:
        assert client.get(url, headers=EN).status_code == 200
    with count_queries() as hit:
        assert client.get(url, headers=EN).status_code == 200
    assert hit.count < miss.count, hit.statements
    assert not any("agreement_versions" in s for s in hit.statements)
