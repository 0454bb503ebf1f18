"""Starting a poll from a thread's page: the kind chooser, each kind's form, the
closing time in the reader's zone, defaults, and field errors next to the fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fixtures.poll_pages import EN, main_of, text_of

from app.extensions import db
from app.polls.models import Poll, PollVoter
from app.timeutil import utcnow

LOCAL = "%Y-%m-%dT%H:%M"


def _local(moment: datetime, zone: str = "Europe/Paris") -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(LOCAL)


def _new_url(thread_circle, kind=None) -> str:
    url = f"/t/{thread_circle.thread.id}/polls/new"
    return f"{url}?kind={kind}" if kind else url


def _post(client, thread_circle, kind, **data):
    values = {
        "title": "Un groupe Zoom ?",
        "details": "Voir la proposition **ci-dessus**.",
        "closing_at": _local(utcnow() + timedelta(days=2)),
        "results_visibility": "always",
        "voters_mode": "all",
    }
    values.update(data)
    return client.post(_new_url(thread_circle, kind), data=values, headers=EN)


def _latest_poll(app) -> Poll:
    with app.app_context():
        poll = db.session.scalars(sa.select(Poll).order_by(Poll.id.desc())).first()
        if poll is not None:
            _ = [o.name for o in poll.options]  # load before the session closes
            db.session.expunge(poll)
        return poll


def test_the_kind_chooser_explains_each_kind(client, auth, thread_circle, page):
    auth.login(thread_circle.members[0])
    status, html = page(_new_url(thread_circle))
    assert status == 200
    text = text_of(main_of(html))
    for kind in ("proposal", "choice", "score", "ranked", "dot", "meeting"):
        assert f"kind={kind}" in html
    assert "Decide by consent: agree, abstain, disagree or block." in text
    assert "Find a time: yes, if need be, or no for each time slot." in text


def test_the_thread_page_offers_a_new_poll_to_members(client, auth, thread_circle, page, make_user):
    auth.login(thread_circle.members[0])
    _status, html = page(f"/t/{thread_circle.thread.id}")
    assert _new_url(thread_circle) in html
    stranger = make_user(name="Eve")
    auth.login(stranger)
    assert page(_new_url(thread_circle))[0] == 404  # a secret group's thread
    assert page(_new_url(thread_circle, "choice"))[0] == 404


def test_members_may_not_raise_proposals_when_the_group_says_so(
    app, client, auth, thread_circle, page
):
    from app.groups.models import Group

    with app.app_context():
        db.session.get(Group, thread_circle.group.id).members_can_raise_proposals = False
        db.session.commit()
    auth.login(thread_circle.members[0])
    status, html = page(_new_url(thread_circle))
    assert status == 200 and "kind=proposal" not in html and "kind=choice" in html
    assert page(_new_url(thread_circle, "proposal"))[0] == 403
    assert _post(client, thread_circle, "proposal").status_code == 403
    auth.login(thread_circle.admin)
    assert page(_new_url(thread_circle, "proposal"))[0] == 200


def test_default_closing_times_and_the_zone_are_shown(
    client, auth, thread_circle, page, set_timezone
):
    set_timezone(thread_circle.admin, "America/New_York")
    auth.login(thread_circle.admin)
    now = utcnow()
    for kind, days in (("proposal", 7), ("choice", 3), ("meeting", 3)):
        status, html = page(_new_url(thread_circle, kind))
        assert status == 200
        value = html.split('name="closing_at"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        shown = datetime.strptime(value, LOCAL).replace(tzinfo=ZoneInfo("America/New_York"))
        assert timedelta(days=days) < shown - now <= timedelta(days=days, hours=2)
        assert "America/New_York" in html


def test_a_proposal_from_the_page(app, client, auth, thread_circle):
    auth.login(thread_circle.members[0])
    closing = (utcnow() + timedelta(days=5)).replace(second=0)
    response = _post(
        client, thread_circle, "proposal", closing_at=_local(closing), reasons="required_for_block"
    )
    assert response.status_code == 302
    poll = _latest_poll(app)
    assert response.headers["Location"].endswith(f"/p/{poll.id}")
    assert poll.kind == "proposal" and poll.author_id == thread_circle.members[0].id
    assert [o.key for o in poll.options] == ["agree", "abstain", "disagree", "block"]
    # The datetime-local value is read in the profile's zone (Europe/Paris by default).
    assert poll.closing_at == closing.astimezone(UTC)
    assert poll.reasons == "required_for_block" and "<strong>" in poll.details_html


def test_the_closing_time_is_read_in_the_readers_zone(
    app, client, auth, thread_circle, set_timezone
):
    set_timezone(thread_circle.admin, "Asia/Tokyo")
    auth.login(thread_circle.admin)
    day = (utcnow() + timedelta(days=30)).date()  # within the year a closing time may be
    response = _post(client, thread_circle, "proposal", closing_at=f"{day}T09:00")
    assert response.status_code == 302
    assert _latest_poll(app).closing_at == datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC)


def test_every_other_kind_from_the_page(app, client, auth, thread_circle):
    auth.login(thread_circle.admin)
    cases = {
        "choice": dict(
            options="Zoom\n\nJitsi\nEn vrai\n",
            min_choices="1",
            max_choices="2",
            shuffle_options="y",
            reasons="required",
        ),
        "score": dict(options="Zoom\nJitsi", min_score="1", max_score="10"),
        "ranked": dict(options="Zoom\nJitsi\nEn vrai", results_visibility="after_vote"),
        "dot": dict(options="Zoom\nJitsi", dots="12", anonymous="y"),
        "meeting": dict(options="2040-05-12 18:30\n2040-05-13T19:00\n2040-05-14T10:00+00:00"),
    }
    for kind, data in cases.items():
        response = _post(client, thread_circle, kind, **data)
        assert response.status_code == 302, (kind, response.get_data(as_text=True))
        poll = _latest_poll(app)
        assert poll.kind == kind
        if kind == "choice":
            assert [o.name for o in poll.options] == ["Zoom", "Jitsi", "En vrai"]
            assert (poll.min_choices, poll.max_choices) == (1, 2)
            assert poll.shuffle_options and poll.reasons == "required"
        elif kind == "score":
            assert (poll.min_score, poll.max_score) == (1, 10)
        elif kind == "ranked":
            assert poll.results_visibility == "after_vote"
        elif kind == "dot":
            assert poll.dots == 12 and poll.anonymous
        else:
            # Typed in Europe/Paris (UTC+2 in May) unless the line gives its own zone.
            assert [o.starts_at for o in poll.options] == [
                datetime(2040, 5, 12, 16, 30, tzinfo=UTC),
                datetime(2040, 5, 13, 17, 0, tzinfo=UTC),
                datetime(2040, 5, 14, 10, 0, tzinfo=UTC),
            ]


def test_named_voters(app, client, auth, thread_circle):
    auth.login(thread_circle.admin)
    bruno, chloe = thread_circle.members[:2]
    response = _post(
        client,
        thread_circle,
        "choice",
        options="A\nB",
        voters_mode="named",
        voters=[bruno.id, chloe.id],
    )
    assert response.status_code == 302
    poll = _latest_poll(app)
    with app.app_context():
        named = set(
            db.session.scalars(sa.select(PollVoter.user_id).where(PollVoter.poll_id == poll.id))
        )
    assert poll.voters_limited and named == {bruno.id, chloe.id}


def _error_next_to(html: str, field_id: str) -> str:
    marker = f'id="{field_id}-error"'
    assert marker in html, f"no error next to {field_id}"
    return html.split(marker, 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_field_errors_show_next_to_the_fields_in_english(app, client, auth, thread_circle):
    auth.login(thread_circle.admin)
    past = _local(utcnow() - timedelta(hours=1))
    response = _post(
        client, thread_circle, "choice", title="", closing_at=past, options="Seule option"
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _error_next_to(html, "title") == "This field is required."
    # The form's own checks come first; the services' then name the others.
    response = _post(client, thread_circle, "choice", closing_at=past, options="Seule option")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _error_next_to(html, "closing_at") == "Must be in the future."
    assert _error_next_to(html, "options") == "Give at least 2 options."
    response = _post(client, thread_circle, "choice", options="Zoom\nzoom")
    assert "Option 2: This option is given twice." in _error_next_to(
        response.get_data(as_text=True), "options"
    )
    response = _post(client, thread_circle, "meeting", options="2040-05-12 18:30\nmardi soir")
    assert response.status_code == 400
    assert "Line 2" in _error_next_to(response.get_data(as_text=True), "options")
    response = _post(client, thread_circle, "score", options="A\nB", min_score="5", max_score="5")
    assert (
        _error_next_to(response.get_data(as_text=True), "max_score")
        == "Must be more than min_score."
    )
    response = _post(client, thread_circle, "choice", options="A\nB", voters_mode="named")
    assert _error_next_to(response.get_data(as_text=True), "voters") == "Choose at least one voter."
    assert _latest_poll(app) is None


def test_french_form_page(client, auth, thread_circle, page):
    auth.login(thread_circle.admin)
    status, html = page(_new_url(thread_circle, "proposal"), lang="fr")
    assert status == 200 and '<html lang="fr"' in html
    assert 'type="datetime-local"' in html and "Europe/Paris" in html
    response = client.post(
        _new_url(thread_circle, "proposal"),
        data={"title": "", "closing_at": "", "results_visibility": "always", "voters_mode": "all"},
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 400
    assert 'id="title-error"' in response.get_data(as_text=True)
