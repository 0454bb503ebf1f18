"""Review dates: agreements due for review on the dashboard (on or before today in the
reader's zone, in my groups), and the ``review_reminders`` job step that notifies the
group's admins and the proposer once, on the review day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fixtures.agreement_pages import EN, text_of

from app.extensions import db

# The proposal helpers act ten days ago: what they adopt is in force now.
pytestmark = pytest.mark.usefixtures("ten_days_ago")


def _set_review(run, agreement_id, day):
    from app.agreements.models import Agreement

    def write():
        db.session.get(Agreement, agreement_id).review_on = day

    run(write)


def _reviews(run):
    from app.notifications.models import AGREEMENT_REVIEW, Notification

    return run(
        lambda: sorted(
            (n.user_id, n.agreement_id)
            for n in db.session.scalars(
                sa.select(Notification).where(Notification.kind == AGREEMENT_REVIEW)
            )
        )
    )


def test_dashboard_lists_agreements_due_for_review(
    client, auth, thread_circle, adopted, run, make_user
):
    agreement_id, _ = adopted()
    auth.login(thread_circle.members[0])
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert "Agreements due for review" not in html
    _set_review(run, agreement_id, datetime.now(UTC).date() + timedelta(days=3))
    assert "Agreements due for review" not in client.get("/", headers=EN).get_data(as_text=True)
    _set_review(run, agreement_id, datetime.now(UTC).date() - timedelta(days=1))
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert "Agreements due for review" in html
    assert f'href="/g/{thread_circle.group.handle}/agreements/{agreement_id}"' in html
    assert "Nos accords d'écoute" in text_of(html)
    # not in my groups: not on my dashboard
    auth.login(make_user(name="Zoé"))
    assert "Agreements due for review" not in client.get("/", headers=EN).get_data(as_text=True)


def test_due_is_today_in_the_readers_zone(client, auth, thread_circle, adopted, run):
    from app.agreements.models import AgreementVersion
    from app.auth.models import User

    adopted()
    far_east = "Pacific/Kiritimati"  # UTC+14
    tomorrow_there = datetime.now(ZoneInfo(far_east)).date()

    def write():
        # the version's own review date counts when no admin set one
        db.session.scalar(sa.select(AgreementVersion)).review_on = tomorrow_there
        db.session.get(User, thread_circle.admin.id).timezone = far_east

    run(write)
    auth.login(thread_circle.admin)
    assert "Agreements due for review" in client.get("/", headers=EN).get_data(as_text=True)
    auth.login(thread_circle.members[0])  # Europe/Paris: only once it is that day there too
    html = client.get("/", headers=EN).get_data(as_text=True)
    paris_today = datetime.now(ZoneInfo("Europe/Paris")).date()
    assert ("Agreements due for review" in html) == (paris_today >= tomorrow_there)


def test_review_reminder_job_notifies_admins_and_proposer_once(runner, thread_circle, adopted, run):
    agreement_id, _ = adopted(author=thread_circle.members[1])
    _set_review(run, agreement_id, datetime.now(UTC).date())
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "1 agreement review due" in result.output
    expected = sorted(
        [(thread_circle.admin.id, agreement_id), (thread_circle.members[1].id, agreement_id)]
    )
    assert _reviews(run) == expected
    again = runner.invoke(args=["jobs", "run"])
    assert "0 agreement reviews due" in again.output
    assert len(_reviews(run)) == 2
    # a new review date is reminded again, on its day
    later = datetime.now(UTC).date() + timedelta(days=30)
    _set_review(run, agreement_id, later)
    runner.invoke(args=["jobs", "run"])
    assert len(_reviews(run)) == 2
    on_the_day = datetime.combine(later, datetime.min.time(), UTC) + timedelta(hours=8)
    result = runner.invoke(args=["jobs", "run", "--now", on_the_day.isoformat()])
    assert "1 agreement review due" in result.output
    assert len(_reviews(run)) == 4


def test_review_notification_reads_and_leads_to_the_agreement(
    client, auth, runner, thread_circle, adopted, run
):
    agreement_id, _ = adopted()
    _set_review(run, agreement_id, datetime.now(UTC).date())
    runner.invoke(args=["jobs", "run"])
    auth.login(thread_circle.admin)
    html = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert "The agreement “Nos accords d'écoute” is due for review." in text_of(html)


def test_a_repealed_agreement_is_not_reminded(runner, thread_circle, adopted, decide, run):
    agreement_id, _ = adopted()
    decide({"action": "repeal", "agreement_id": agreement_id, "base_version": 1})
    _set_review(run, agreement_id, datetime.now(UTC).date())
    runner.invoke(args=["jobs", "run"])
    assert _reviews(run) == []
