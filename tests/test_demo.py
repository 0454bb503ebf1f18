"""``flask --app wsgi demo`` loads the demo circle, once."""

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.groups.models import Group, Membership
from app.threads.models import Comment, Thread


def test_demo_loads_a_french_circle_once(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "claire@exemple.org" in result.output
    with app.app_context():
        group = db.session.scalar(sa.select(Group).where(Group.handle == "tilleuls"))
        assert group.name == "Cercle des Tilleuls"
        assert group.privacy == "secret"
        members = db.session.scalar(
            sa.select(sa.func.count()).where(
                Membership.group_id == group.id, Membership.revoked_at.is_(None)
            )
        )
        assert members == 6
        threads = db.session.scalars(sa.select(Thread).where(Thread.group_id == group.id)).all()
        assert len(threads) >= 3
        assert any(t.closed_at for t in threads) and any(t.pinned_at for t in threads)
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) >= 10
        claire = db.session.scalar(sa.select(User).where(User.email == "claire@exemple.org"))
        assert claire.locale == "fr"
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "already" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Group.id))) == 1


def test_demo_facilitator_can_sign_in_and_see_the_circle(app, runner, client):
    runner.invoke(args=["demo"])
    response = client.post(
        "/signin", data={"email": "claire@exemple.org", "password": "cercle-demo"}
    )
    assert response.status_code == 302
    page = client.get("/g/tilleuls", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert "Cercle des Tilleuls" in page.get_data(as_text=True)


def test_demo_has_a_closed_proposal_with_its_outcome_and_an_open_poll(app, runner, client):
    from app.polls.models import Poll, Stance

    runner.invoke(args=["demo"])
    with app.app_context():
        thread = db.session.scalar(sa.select(Thread).where(Thread.title.like("Nos temps%")))
        polls = db.session.scalars(
            sa.select(Poll).where(Poll.thread_id == thread.id).order_by(Poll.id)
        ).all()
        assert [p.kind for p in polls] == ["proposal", "proposal", "proposal", "choice"]
        proposal, _amendment, _blocked, tools = polls
        assert proposal.closed_at is not None and proposal.statement
        assert proposal.results_visibility == "always" and not proposal.anonymous
        stances = db.session.scalars(
            sa.select(Stance).where(Stance.poll_id == proposal.id, Stance.is_current.is_(True))
        ).all()
        assert len(stances) == 6 and all(s.reason for s in stances)
        assert tools.closed_at is None
        proposal_id, tools_id, thread_id = proposal.id, tools.id, thread.id
    client.post("/signin", data={"email": "claire@exemple.org", "password": "cercle-demo"})
    headers = {"Accept-Language": "en"}  # Claire's profile says French: the page is French
    page = client.get(f"/p/{proposal_id}", headers=headers).get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert "66,7" in page and "(100\xa0%)" in page and "Malik Benali" in page
    timeline = client.get(f"/t/{thread_id}", headers=headers).get_data(as_text=True)
    assert f'id="poll-{proposal_id}"' in timeline and f'id="poll-{tools_id}"' in timeline
    dashboard = client.get("/", headers=headers).get_data(as_text=True)
    assert "Quel outil pour nos écoutes à distance ?" in dashboard.replace("&#39;", "'")


def test_demo_tells_the_story_of_its_agreement(app, runner, client):
    """ "Nos accords d'écoute" adopted, amended later (v2), a proposal blocked with its
    reasons; the agreements page shows all of it."""
    from app.agreements.models import Agreement, AgreementVersion
    from app.polls.models import Poll, Stance
    from app.proposals.models import ProposalOutcome

    runner.invoke(args=["demo"])
    with app.app_context():
        agreement = db.session.scalar(sa.select(Agreement))
        versions = db.session.scalars(
            sa.select(AgreementVersion).order_by(AgreementVersion.version)
        ).all()
        assert agreement.status == "active" and agreement.current_version == 2
        assert versions[0].title == "Nos accords d'écoute"
        assert versions[0].rules == {
            "reciprocity": "not_required",
            "availability_check": True,
            "relance_after_days": 21,
            "rhythm_per_week": 2,
            "channels": ["téléphone", "Jitsi", "en personne"],
        }
        assert versions[1].rules["urgent_response_minutes"] == 30
        assert "demi-heure" in versions[1].body and versions[1].review_on is not None
        outcomes = db.session.scalars(
            sa.select(ProposalOutcome).order_by(ProposalOutcome.poll_id)
        ).all()
        assert [(o.adopted, o.applied) for o in outcomes] == [
            (True, True),
            (True, True),
            (False, False),
        ]
        blocked = db.session.get(Poll, outcomes[2].poll_id)
        blocks = db.session.scalars(
            sa.select(Stance).where(Stance.poll_id == blocked.id, Stance.is_current.is_(True))
        ).all()
        assert [len(s.reason) > 5 for s in blocks if s.choice == {"key": "block"}] == [True, True]
        agreement_id, blocked_id = agreement.id, blocked.id
    client.post("/signin", data={"email": "malik@exemple.org", "password": "cercle-demo"})
    page = client.get("/g/tilleuls/agreements")
    assert page.status_code == 200
    html = page.get_data(as_text=True).replace("&#39;", "'")
    assert '<html lang="fr"' in html
    assert "Nos accords d'écoute" in html and "v2" in html
    assert f'href="/g/tilleuls/agreements/{agreement_id}#v2"' in html
    one = client.get(f"/g/tilleuls/agreements/{agreement_id}").get_data(as_text=True)
    assert 'id="v1"' in one and 'id="v2"' in one and "<ins>" in one
    card = client.get(f"/p/{blocked_id}").get_data(as_text=True)
    assert 'class="conditions"' in card and 'class="failed"' in card


def test_demo_lives_a_week_of_support(app, runner):
    """A listening request that happened, an urgent one waiting, Tomás due for a
    check-in, and Malik's rhythm of two listening times a week."""
    from app.support import services as support
    from app.support.models import SupportRequest
    from app.timeutil import utcnow

    runner.invoke(args=["demo"])
    with app.app_context():
        group = db.session.scalar(sa.select(Group).where(Group.handle == "tilleuls"))
        people = {u.email.split("@")[0]: u for u in db.session.scalars(sa.select(User))}
        requests = db.session.scalars(
            sa.select(SupportRequest).order_by(SupportRequest.created_at)
        ).all()
        assert [(r.requester_id, r.status, r.outcome) for r in requests] == [
            (people["malik"].id, "closed", "happened"),
            (people["helene"].id, "open", None),
        ]
        assert requests[0].matched_with_id == people["odile"].id
        now = utcnow()
        due = support.check_ins(group, now)
        assert [d.member_id for d in due.due] == [people["tomas"].id]
        assert due.rule.source.title == "Nos accords d'écoute"
        rhythm = support.my_rhythm(group, people["malik"], now)
        assert rhythm.target == 2
        assert sum(w.count for w in rhythm.weeks) == 2


def test_demo_mentions_name_people_and_tell_them(app, runner):
    """Odile's «@claire» names Claire Vasseur (by her first name): a link to her page
    and a notification."""
    from app.notifications.models import MENTION, Notification

    runner.invoke(args=["demo"])
    with app.app_context():
        claire = db.session.scalar(sa.select(User).where(User.email == "claire@exemple.org"))
        comment = db.session.scalar(sa.select(Comment).where(Comment.body.contains("@claire")))
        assert f'/u/{claire.handle}">@claire</a>' in comment.body_html
        told = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == claire.id,
                Notification.kind == MENTION,
                Notification.comment_id == comment.id,
            )
        )
        assert told == 1


def test_demo_loads_as_bin_demo_runs_it_without_a_server_name(make_app):
    """``bin/demo`` runs ``flask demo`` with PUBLIC_URL but no SERVER_NAME: texts written
    outside a request (their mentions' links) are built from the URL map alone."""
    app = make_app(SERVER_NAME=None)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment).where(Comment.body.contains("@claire")))
        assert 'class="mention" href="/u/' in comment.body_html
