"""The agreements page and one agreement's page: who may see them, what they say (current
agreements with their deciding poll in words, active rules with provenance, repealed
ones), the page as of a date, diffs between versions, review dates, and a fixed number
of SQL statements whatever the number of agreements and versions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fixtures.accounts import session_user_id
from fixtures.agreement_pages import EN, LISTENING, text_of

from app.extensions import db
from app.timeutil import utcnow

# The proposal helpers act ten days ago: what they adopt is in force now.
pytestmark = pytest.mark.usefixtures("ten_days_ago")


def _url(thread_circle, tail=""):
    return f"/g/{thread_circle.group.handle}/agreements{tail}"


# -- access ---------------------------------------------------------------------------


def test_pages_need_sign_in(client, thread_circle, adopted):
    agreement_id, _poll = adopted()
    for url in (
        _url(thread_circle),
        _url(thread_circle, f"/{agreement_id}"),
        _url(thread_circle, "/propose"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_secret_group_is_404_for_outsiders_and_closed_group_403(
    client, auth, thread_circle, adopted, make_user, make_group
):
    agreement_id, _poll = adopted()
    stranger = make_user(name="Zoé")
    auth.login(stranger)
    assert client.get(_url(thread_circle)).status_code == 404
    assert client.get(_url(thread_circle, f"/{agreement_id}")).status_code == 404
    make_group(thread_circle.admin, privacy="closed", handle="ferme")
    assert client.get("/g/ferme/agreements").status_code == 403
    assert client.get("/g/nowhere/agreements").status_code == 404


def test_an_agreement_of_another_group_is_404(client, auth, thread_circle, adopted, make_group):
    agreement_id, _poll = adopted()
    make_group(thread_circle.admin, handle="autre")
    auth.login(thread_circle.admin)
    assert client.get(f"/g/autre/agreements/{agreement_id}").status_code == 404
    assert client.get(_url(thread_circle, "/999999")).status_code == 404


# -- what the agreements page says -------------------------------------------------------


def test_agreements_page_says_what_we_agreed(page, thread_circle, adopted, amend, vote, decide):
    agreement_id, _first = adopted()
    second, _outcome = amend(
        agreement_id,
        1,
        rules={**LISTENING["rules"], "urgent_response_minutes": 30},
        body=LISTENING["body"] + "\n\nEn cas d'urgence, on répond dans la demi-heure.",
        change_summary="Urgences : 30 minutes",
    )
    # a second agreement that also sets the rhythm: it overrides the first one's
    other, _ = adopted(
        {
            "action": "adopt",
            "title": "Rythme",
            "body": "Trois fois.",
            "rules": {"rhythm_per_week": 3},
        }
    )
    status, html = page(_url(thread_circle), user=thread_circle.members[0])
    assert status == 200
    text = text_of(html)
    assert "Nos accords d'écoute v2" in text
    assert "4 agree, 0 abstain, 0 disagree, 0 block, 4 of 4 took part" in text
    assert "Adopted on" in text and "by the proposal “ Une proposition ”:" in text
    # active rules in words with provenance, defaults marked
    assert "Reciprocity Not required Nos accords d'écoute, v2" in text
    assert "Check-in after 21 days Nos accords d'écoute, v2" in text
    assert "Urgent response time 30 minutes Nos accords d'écoute, v2" in text
    assert "Support rhythm 3 times a week Rythme, v1" in text
    assert "Overrides Nos accords d'écoute, v2 : 2 times a week" in text
    assert "Decision quorum 50% Not agreed yet (default)" in text
    assert f'href="/g/{thread_circle.group.handle}/agreements/{agreement_id}#v2"' in html
    assert f'href="/g/{thread_circle.group.handle}/agreements/{other}"' in html
    assert f'href="/p/{second.id}"' in html  # the poll that decided the current version
    assert "No repealed agreement." in text


def test_repealed_agreements_have_their_own_section(page, thread_circle, adopted, decide):
    agreement_id, _ = adopted()
    repeal, outcome = decide({"action": "repeal", "agreement_id": agreement_id, "base_version": 1})
    assert outcome["applied"]
    status, html = page(_url(thread_circle), user=thread_circle.admin)
    text = text_of(html)
    current = text[text.index("Current agreements") : text.index("Active rules")]
    repealed = text[text.index("Repealed agreements") :]
    assert "No agreement yet" in current
    assert "Nos accords d'écoute" in repealed and "Repealed on" in repealed
    assert f'href="/p/{repeal.id}"' in html
    assert "Reciprocity Required Not agreed yet (default)" in text


def test_french_page_structure(page, thread_circle, adopted):
    adopted()
    status, html = page(_url(thread_circle), user=thread_circle.admin, lang="fr")
    assert status == 200
    assert '<html lang="fr"' in html
    for anchor in ('id="current-heading"', 'id="rules-heading"', 'id="repealed-heading"'):
        assert anchor in html
    assert html.index('id="current-heading"') < html.index('id="rules-heading"')
    assert '<input type="date" id="as_of" name="as_of"' in html
    assert 'class="active-rules"' in html and "agreements.css" in html


def test_as_of_a_date_in_the_readers_zone(page, thread_circle, adopted, amend, clock, run):
    from app.agreements.models import AgreementVersion

    agreement_id, _ = adopted()
    clock.tick(days=3)
    amend(agreement_id, 1, rules={"reciprocity": "required"})
    with_dates = run(
        lambda: {
            v.version: v.adopted_at
            for v in db.session.scalars(sa.select(AgreementVersion).order_by(AgreementVersion.id))
        }
    )
    before = (with_dates[1] - timedelta(days=2)).date()
    between = (with_dates[1] + timedelta(days=1)).date()
    status, html = page(
        _url(thread_circle, f"?as_of={before.isoformat()}"), user=thread_circle.admin
    )
    assert status == 200 and "No agreement yet" in text_of(html)
    status, html = page(_url(thread_circle, f"?as_of={between.isoformat()}"))
    text = text_of(html)
    assert "As it stood at the end of" in text
    assert "Nos accords d'écoute v1" in text and "Reciprocity Not required" in text
    status, html = page(_url(thread_circle))
    assert "Nos accords d'écoute v2" in text_of(html) and "Reciprocity Required" in text_of(html)


def test_as_of_that_is_not_a_date_is_a_400_page(page, thread_circle):
    status, html = page(_url(thread_circle, "?as_of=12/05/2026"), user=thread_circle.admin)
    assert status == 400
    assert "is not a date: give it as YYYY-MM-DD" in text_of(html)


def test_review_date_due_shows_on_the_page(page, thread_circle, adopted, run):
    from app.agreements.models import Agreement

    agreement_id, _ = adopted()

    def due():
        db.session.get(Agreement, agreement_id).review_on = date.today() - timedelta(days=1)

    run(due)
    status, html = page(_url(thread_circle), user=thread_circle.members[1])
    text = text_of(html)
    assert "1 agreement is due for review" in text
    assert "due for review" in text[text.index("Current agreements") :]


# -- the query count ----------------------------------------------------------------------


def _many_agreements(run, thread_circle, count: int, versions: int = 5) -> None:
    """``count`` agreements of ``versions`` versions each, written directly (every
    version needs its own deciding poll)."""
    from app.agreements.models import Agreement, AgreementVersion
    from app.auth.models import User
    from app.polls.services import create_poll
    from app.threads.models import Thread

    def write():
        thread = db.session.get(Thread, thread_circle.thread.id)
        author = db.session.get(User, thread_circle.admin.id)
        start = utcnow() - timedelta(days=9)
        for n in range(count):
            agreement = Agreement(
                group_id=thread_circle.group.id, created_at=start, current_version=versions
            )
            db.session.add(agreement)
            db.session.flush()
            for v in range(1, versions + 1):
                moment = start + timedelta(minutes=n * versions + v)
                poll = create_poll(
                    thread,
                    author=author,
                    kind="proposal",
                    title=f"P{n}.{v}",
                    closing_at=moment + timedelta(hours=1),
                    now=moment,
                )
                poll.closed_at = moment
                db.session.add(
                    AgreementVersion(
                        agreement_id=agreement.id,
                        version=v,
                        title=f"Accord {n}",
                        body=f"v{v}",
                        body_html=f"<p>v{v}</p>",
                        rules={"rhythm_per_week": v, "channels": ["tél"]},
                        poll_id=poll.id,
                        adopted_at=moment,
                        result={"counts": {"agree": 4}, "participants": 4, "eligible": 4},
                    )
                )
                db.session.flush()
        if count > 2:  # one repealed, so that every section has something
            agreement.status, agreement.repealed_at = "repealed", start + timedelta(days=1)

    run(write)


def test_fixed_number_of_queries_for_2_and_40_agreements(
    app, client, auth, thread_circle, run, count_queries, make_user, make_group, make_thread
):
    # what the page runs when it renders (a page cached is counted in
    # test_agreements_page_cache.py)
    app.extensions["fragments"].enabled = False
    auth.login(thread_circle.admin)
    _many_agreements(run, thread_circle, 2)
    client.get(_url(thread_circle), headers=EN)  # warm up
    with count_queries() as few:
        small = client.get(_url(thread_circle), headers=EN)
    assert small.status_code == 200
    with count_queries() as few_one:
        client.get(_url(thread_circle, "/1"), headers=EN)

    _many_agreements(run, thread_circle, 38)
    with count_queries() as many:
        large = client.get(_url(thread_circle), headers=EN)
    assert large.status_code == 200
    assert text_of(large.get_data(as_text=True)).count("Accord ") >= 40
    assert many.count == few.count, many.statements
    with count_queries() as many_one:
        client.get(_url(thread_circle, "/1"), headers=EN)
    assert many_one.count == few_one.count


# -- one agreement ---------------------------------------------------------------------------


def test_agreement_page_versions_and_diff(page, thread_circle, adopted, amend):
    agreement_id, first = adopted()
    second, _ = amend(
        agreement_id,
        1,
        body="Texte <b>nouveau</b>.",
        rules={"reciprocity": "required"},
        change_summary="Réciprocité",
    )
    status, html = page(_url(thread_circle, f"/{agreement_id}"), user=thread_circle.members[2])
    assert status == 200
    text = text_of(html)
    assert "Version 2: Nos accords d'écoute current" in text
    assert "What changed: Réciprocité" in text and "Version 1: Nos accords d'écoute" in text
    assert f'href="/p/{first.id}"' in html and f'href="/p/{second.id}"' in html
    assert 'id="v1"' in html and 'id="v2"' in html
    # the default diff: previous → current, escaped, with <ins>/<del>
    assert "From version 1 to version 2" in text
    assert "<ins>" in html and "<del>" in html
    assert "Texte &lt;b&gt;nouveau&lt;/b&gt;." in html
    assert "Reciprocity Not required Required" in text
    assert "Check-in after 21 days not set" in text
    # the form: two selects, GET
    assert (
        '<select id="diff-from" name="from">' in html and '<select id="diff-to" name="to">' in html
    )
    status, html = page(_url(thread_circle, f"/{agreement_id}?from=2&to=1"))
    assert "From version 2 to version 1" in text_of(html)
    assert "Check-in after not set 21 days" in text_of(html)
    assert page(_url(thread_circle, f"/{agreement_id}?from=1&to=7"))[0] == 404
    assert page(_url(thread_circle, f"/{agreement_id}?from=x&to=2"))[0] == 400


def test_agreement_page_lists_open_proposals_and_buttons(
    page, thread_circle, adopted, propose, clock
):
    agreement_id, _ = adopted()
    open_one = propose(
        {"action": "repeal", "agreement_id": agreement_id, "base_version": 1},
        closing_in=timedelta(days=30),
    )
    status, html = page(_url(thread_circle, f"/{agreement_id}"), user=thread_circle.members[0])
    assert "An open proposal would change this agreement" in text_of(html)
    assert f'href="/p/{open_one.id}"' in html
    handle = thread_circle.group.handle
    assert f"/g/{handle}/agreements/propose?change=amend&amp;agreement={agreement_id}" in html
    assert f"/g/{handle}/agreements/propose?change=repeal&amp;agreement={agreement_id}" in html
    # only admins set the review date
    assert "Save the review date" not in html


def test_admin_sets_the_review_date_members_may_not(client, auth, thread_circle, adopted):
    agreement_id, _ = adopted()
    url = _url(thread_circle, f"/{agreement_id}/review")
    later = (date.today() + timedelta(days=60)).isoformat()
    auth.login(thread_circle.members[0])
    assert client.post(url, data={"review_on": later}).status_code == 403
    auth.login(thread_circle.admin)
    response = client.post(url, data={"review_on": "2001-01-01"}, headers=EN)
    assert response.status_code == 400 and "Must be in the future." in response.get_data(
        as_text=True
    )
    response = client.post(url, data={"review_on": later}, headers=EN)
    assert response.status_code == 302
    html = client.get(_url(thread_circle, f"/{agreement_id}"), headers=EN).get_data(as_text=True)
    assert "The review date is saved." in html and "Review date:" in text_of(html)


def test_review_date_form_needs_csrf(csrf_app, thread_circle, adopted):
    agreement_id, _ = adopted()
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_user_id(client.application, thread_circle.admin.id)
    response = client.post(
        _url(thread_circle, f"/{agreement_id}/review"),
        data={"review_on": (date.today() + timedelta(days=9)).isoformat()},
    )
    assert response.status_code == 400
