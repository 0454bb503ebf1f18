"""``flask jobs run``: closing due polls as of their closing time, the 24-hour reminder
(once, to those who have not voted), the closing notification, and no leak of
hidden results."""

from __future__ import annotations

from datetime import timedelta

from app.timeutil import utcnow


def test_closes_due_polls_as_of_their_closing_time(new_poll, jobs, poll_state):
    due = new_poll(closing_in=timedelta(hours=1))
    later = new_poll(closing_in=timedelta(days=3))
    result = jobs(due.closing_at + timedelta(minutes=7))
    assert "closed 1 poll," in result.output
    state = poll_state(due)
    assert state.closed_at == due.closing_at  # as of the closing time, not the job's
    assert state.closed_by_id is None
    assert poll_state(later).closed_at is None
    again = jobs(due.closing_at + timedelta(minutes=8))
    assert "closed 0 polls" in again.output


def test_a_poll_not_yet_due_stays_open(new_poll, jobs, poll_state):
    poll = new_poll(closing_in=timedelta(hours=1))
    jobs(poll.closing_at - timedelta(seconds=1))
    assert poll_state(poll).closed_at is None
    jobs(poll.closing_at)  # at closing_at it is closed
    assert poll_state(poll).closed_at == poll.closing_at


def test_closing_notifies_every_eligible_member_once(thread_circle, new_poll, jobs, notifications):
    poll = new_poll(closing_in=timedelta(hours=1))
    jobs(poll.closing_at + timedelta(minutes=1))
    jobs(poll.closing_at + timedelta(minutes=2))
    # a proposal's close is told with its verdict
    closed = notifications("proposal_outcome", poll)
    assert closed == sorted((p.id, "proposal_outcome", poll.id) for p in thread_circle.people)


def test_an_early_close_notifies_the_others_once(thread_circle, run, new_poll, jobs, notifications):
    from app.auth.models import User
    from app.extensions import db
    from app.polls.models import Poll
    from app.polls.services import close_poll

    poll = new_poll(closing_in=timedelta(hours=1))
    run(
        lambda: close_poll(
            db.session.get(Poll, poll.id),
            actor=db.session.get(User, thread_circle.admin.id),
            now=utcnow(),
        )
    )
    jobs(poll.closing_at + timedelta(minutes=1))  # nothing more to do
    # a proposal's verdict reaches everyone, the one who closed it too
    closed = notifications("proposal_outcome", poll)
    assert closed == sorted((p.id, "proposal_outcome", poll.id) for p in thread_circle.people)


def test_reminder_goes_once_to_those_who_have_not_voted(
    thread_circle, new_poll, cast_choice, jobs, notifications
):
    poll = new_poll(closing_in=timedelta(hours=20))
    bruno = thread_circle.members[0]
    cast_choice(poll, bruno, {"key": "agree"})
    first = jobs()
    assert "sent 3 reminders" in first.output
    reminded = {user_id for user_id, _kind, _poll in notifications("poll_reminder", poll)}
    assert reminded == {p.id for p in thread_circle.people} - {bruno.id}
    second = jobs()
    assert "sent 0 reminders" in second.output
    assert len(notifications("poll_reminder", poll)) == 3


def test_reminder_waits_until_24_hours_before_closing(
    thread_circle, new_poll, jobs, notifications, poll_state
):
    poll = new_poll(closing_in=timedelta(days=3))
    jobs()
    assert notifications("poll_reminder") == []
    at = poll.closing_at - timedelta(hours=23)
    jobs(at)
    assert len(notifications("poll_reminder", poll)) == 4
    assert poll_state(poll).reminder_sent_at == at


def test_reminder_respects_named_voters_and_removed_members(
    thread_circle, run, new_poll, jobs, notifications
):
    from app.auth.models import User
    from app.extensions import db
    from app.groups.models import Group
    from app.groups.services import current_membership, revoke_membership

    bruno, chloe, david = thread_circle.members
    poll = new_poll(closing_in=timedelta(hours=5), voters=[bruno.id, chloe.id, david.id])

    def remove_david():
        group = db.session.get(Group, thread_circle.group.id)
        revoke_membership(
            group,
            current_membership(group, david.id),
            actor=db.session.get(User, thread_circle.admin.id),
            now=utcnow(),
        )

    run(remove_david)
    jobs()
    reminded = {user_id for user_id, _k, _p in notifications("poll_reminder", poll)}
    assert reminded == {bruno.id, chloe.id}


def test_a_due_poll_gets_no_reminder(new_poll, jobs, notifications):
    poll = new_poll(closing_in=timedelta(hours=1))
    result = jobs(poll.closing_at + timedelta(minutes=1))
    assert "closed 1 poll, sent 0 reminders" in result.output
    assert notifications("poll_reminder") == []


def test_notifications_never_leak_hidden_results(
    thread_circle, app, client, auth, new_poll, cast_choice, jobs, notifications
):
    poll = new_poll(
        closing_in=timedelta(hours=10), results_visibility="after_close", title="Budget"
    )
    bruno, chloe, _david = thread_circle.members
    cast_choice(poll, bruno, {"key": "block"}, reason="Secret objection here")
    jobs()
    auth.login(chloe)
    page = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Budget" in page and "you have not voted yet" in page
    for leak in ("Block", "block", "Secret objection", "Bruno", "%", "1 of 4"):
        assert leak not in page.split("<main", 1)[1], leak
    from app.extensions import db
    from app.notifications.models import Notification

    with app.app_context():
        assert all(n.message is None for n in db.session.query(Notification))


def test_reopened_poll_is_reminded_again(thread_circle, run, new_poll, jobs, notifications):
    from app.extensions import db
    from app.polls.models import Poll
    from app.polls.services import reopen_poll

    poll = new_poll(closing_in=timedelta(hours=2))
    jobs()  # reminder
    jobs(poll.closing_at + timedelta(minutes=1))  # closed
    now = poll.closing_at + timedelta(minutes=2)
    run(
        lambda: reopen_poll(
            db.session.get(Poll, poll.id), closing_at=now + timedelta(hours=3), now=now
        )
    )
    jobs(now + timedelta(minutes=1))
    assert len(notifications("poll_reminder", poll)) == 8


def test_every_loops_until_interrupted(new_poll, jobs, monkeypatch):
    import app.jobs.cli as cli

    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", sleep)
    poll = new_poll(closing_in=timedelta(hours=1))
    result = jobs(poll.closing_at + timedelta(minutes=1), "--every", "30")
    assert naps == [30, 30]
    assert result.output.count("closed 1 poll") == 1
    assert result.output.count("closed 0 polls") == 1
    assert "stopped" in result.output


def test_now_needs_a_time_zone(jobs, runner):
    result = runner.invoke(args=["jobs", "run", "--now", "2026-05-12T09:00:00"])
    assert result.exit_code != 0 and "zone" in result.output
