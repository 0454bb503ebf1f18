"""People's own data (issue 13): changing one's email by a link sent to the new
address, downloading everything about oneself, closing the account (reversible by
signing in within 30 days) and deleting it (contributions kept under «Former member»,
a circle never left without an admin)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from app.auth.models import ApiToken, SignInSession, User
from app.extensions import db
from app.groups.models import Membership
from app.threads.models import Comment
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}


def _user(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _link(message, path) -> str:
    match = re.search(rf"https?://[^/\s]+({path}\S+)", message.body)
    assert match, message.body
    return match.group(1)


# -- email change ---------------------------------------------------------------------


def test_email_changes_only_when_the_link_sent_to_the_new_address_is_used(
    app, client, auth, user, outbox
):
    auth.login(user)
    response = client.post(
        "/profile/email",
        data={"email-email": "Anais.New@Example.org", "email-current_password": user.password},
        headers=EN,
    )
    assert response.status_code == 302
    assert _user(app, user.id).email == "anais@example.org"  # nothing changed yet
    messages = {m.to[0]: m for m in outbox}
    assert set(messages) == {"anais.new@example.org", "anais@example.org"}
    notice = messages["anais@example.org"]
    assert "anais.new@example.org" in notice.body and "/email/change/" not in notice.body
    path = _link(messages["anais.new@example.org"], "/email/change/")
    # opening the link changes nothing (mail scanners open links): a button does
    page = client.get(path, headers=EN)
    assert page.status_code == 200 and "Use this address" in page.text
    assert _user(app, user.id).email == "anais@example.org"
    assert client.post(path, headers=EN).status_code == 302
    changed = _user(app, user.id)
    assert changed.email == "anais.new@example.org"
    assert changed.email_verified_at is not None
    # single use: the account moved, the link no longer works
    assert client.post(path, headers=EN).status_code == 400


def test_email_change_needs_the_password_and_a_free_address(app, client, auth, user, make_user):
    other = make_user(email="taken@example.org")
    auth.login(user)
    wrong = client.post(
        "/profile/email",
        data={"email-email": "new@example.org", "email-current_password": "not it at all"},
        headers=EN,
    )
    assert wrong.status_code == 400 and "This is not your current password." in wrong.text
    taken = client.post(
        "/profile/email",
        data={"email-email": other.email, "email-current_password": user.password},
        headers=EN,
    )
    assert taken.status_code == 409 and "An account already uses this email address." in taken.text


def test_an_address_taken_meanwhile_is_refused_when_the_link_is_used(
    app, client, auth, user, make_user, outbox
):
    auth.login(user)
    client.post(
        "/profile/email",
        data={"email-email": "late@example.org", "email-current_password": user.password},
        headers=EN,
    )
    path = _link(next(m for m in outbox if m.to == ["late@example.org"]), "/email/change/")
    make_user(email="late@example.org")  # someone signs up with it before the click
    response = client.post(path, headers=EN)
    assert response.status_code == 409
    assert _user(app, user.id).email == "anais@example.org"


def test_a_password_change_kills_a_pending_email_change(app, api_as, client, user, outbox):
    api = api_as(user)
    response = api.post(
        "/api/v1/me/email", json={"email": "x@example.org", "password": user.password}
    )
    assert response.status_code == 202, response.json
    assert response.json == {"email": "x@example.org", "status": "confirmation_sent"}
    path = _link(next(m for m in outbox if m.to == ["x@example.org"]), "/email/change/")
    with app.app_context():
        from app.auth.services import set_password

        set_password(db.session.get(User, user.id), "another long password", now=utcnow())
        db.session.commit()
    assert client.get(path, headers=EN).status_code == 400


def test_email_change_api_errors_and_rate_limit(app, api_as, user):
    api = api_as(user)
    wrong = api.post("/api/v1/me/email", json={"email": "y@example.org", "password": "nope"})
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "wrong_password"
    same = api.post(
        "/api/v1/me/email", json={"email": user.email, "password": user.password}, headers=EN
    )
    assert same.status_code == 400 and same.json["error"]["fields"] == {
        "email": "This is already your email address."
    }
    statuses = [
        api.post(
            "/api/v1/me/email", json={"email": f"z{i}@example.org", "password": user.password}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [202, 202, 202, 429]


# -- download ---------------------------------------------------------------------------


def test_my_data_holds_what_i_wrote_and_no_secret(
    app, client, auth, user, make_group, make_thread, api_as
):
    group = make_group(user)
    thread = make_thread(group, user, title="Nos accords", comments=2)
    api_as(user)  # a token exists
    auth.login(user)
    response = client.get("/profile/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["format"] == "cercle-personal-data" and data["version"] == 1
    assert data["profile"]["email"] == "anais@example.org"
    assert [m["group"]["handle"] for m in data["memberships"]] == [group.handle]
    assert [t["title"] for t in data["threads"]] == ["Nos accords"]
    assert len(data["comments"]) == 2 and all(c["thread_id"] == thread.id for c in data["comments"])
    [token] = data["api_tokens"]
    assert set(token) == {"name", "starts_with", "created_at"}
    assert data["sessions"]
    with app.app_context():
        hashes = list(db.session.scalars(db.select(ApiToken.token_hash)))
    assert not any(h in response.get_data(as_text=True) for h in hashes)


def test_my_data_by_api(api_as, user):
    response = api_as(user).get("/api/v1/me/export")
    assert response.status_code == 200
    assert json.loads(response.get_data(as_text=True))["profile"]["id"] == user.id


# -- closing and deleting ---------------------------------------------------------------------


def test_the_only_admin_is_told_what_must_happen_first(
    app, client, auth, user, make_user, make_group, api_as
):
    member = make_user(name="Bruno")
    make_group(user, [member], name="Cercle des Lilas")
    auth.login(user)
    page = client.get("/profile/delete", headers=EN)
    assert "What must happen first" in page.text and "Cercle des Lilas" in page.text
    refused = client.post(
        "/profile/delete", data={"close-current_password": user.password}, headers=EN
    )
    assert refused.status_code == 409 and "only admin" in refused.text
    api = api_as(user)
    response = api.delete("/api/v1/me", json={"password": user.password})
    assert response.status_code == 409 and response.json["error"]["code"] == "sole_admin"
    assert "Cercle des Lilas" in response.json["error"]["message"]
    assert _user(app, user.id).deleted_at is None
    # once another admin is named, the way is clear
    with app.app_context():
        m = db.session.scalar(db.select(Membership).where(Membership.user_id == member.id))
        m.role = "admin"
        db.session.commit()
    assert api.delete("/api/v1/me", json={"password": user.password}).status_code == 204


def test_closing_leaves_circles_signs_out_and_signing_in_within_30_days_reopens(
    app, client, auth, signin, user, make_user, make_group, api_as
):
    admin = make_user(name="Claire")
    group = make_group(admin, [user])
    api = api_as(user)
    auth.login(user)
    page = client.get("/profile/close", headers=EN)
    assert "30 days" in page.text
    response = client.post(
        "/profile/close", data={"close-current_password": user.password}, headers=EN
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302  # signed out
    assert api.get("/api/v1/me/export").status_code == 401  # tokens revoked
    with app.app_context():
        m = db.session.scalar(db.select(Membership).where(Membership.user_id == user.id))
        assert m.revoked_at is not None
        assert (
            db.session.scalar(
                db.select(db.func.count(SignInSession.id)).where(
                    SignInSession.user_id == user.id, SignInSession.ended_at.is_(None)
                )
            )
            == 0
        )
    assert _user(app, user.id).deactivated_at is not None
    response = signin(user.email, user.password)
    assert response.status_code == 302
    assert "Welcome back" in client.get("/profile", headers=EN).text
    assert _user(app, user.id).deactivated_at is None
    del group


def test_after_30_days_the_periodic_command_deletes_a_closed_account(
    app, signin, user, make_user, make_group, make_thread, runner
):
    admin = make_user(name="Claire")
    group = make_group(admin, [user])
    make_thread(group, user, title="Ma discussion")
    with app.app_context():
        from app.account.services import deactivate_account

        deactivate_account(db.session.get(User, user.id), now=utcnow() - timedelta(days=31))
        db.session.commit()
    assert signin(user.email, user.password).status_code == 401  # too late to reopen
    from app.jobs.tasks import run_once

    with app.app_context():
        figures = run_once(utcnow())
        assert figures.accounts_deleted == 1
        assert run_once(utcnow()).accounts_deleted == 0  # once
    gone = _user(app, user.id)
    assert gone.deleted_at is not None and gone.email != user.email


def test_deleting_wipes_personal_data_and_keeps_contributions_as_former_member(
    app, client, auth, signin, user, make_user, make_group, make_thread, api_as
):
    admin = make_user(name="Claire")
    group = make_group(admin, [user])
    thread = make_thread(group, user, title="Ma discussion", comments=1)
    auth.login(user)
    response = client.post(
        "/profile/delete", data={"close-current_password": user.password}, headers=EN
    )
    assert response.status_code == 302
    gone = _user(app, user.id)
    assert gone.deleted_at is not None
    assert "Anaïs" not in gone.stored_name and gone.email != user.email
    assert gone.handle != user.handle and gone.password_hash == ""
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(db.func.count(Comment.id)).where(Comment.author_id == user.id)
            )
            == 1
        )
        assert (
            db.session.scalar(
                db.select(db.func.count(ApiToken.id)).where(ApiToken.user_id == user.id)
            )
            == 0
        )
    # others see the contribution under «Former member», on pages and in the API
    auth.login(admin)
    page = client.get(f"/t/{thread.id}", headers=EN).text
    assert "Former member" in page and "Anaïs Martin" not in page
    body = api_as(admin).get(f"/api/v1/threads/{thread.id}", headers=EN).json
    assert body["author"]["name"] == "Former member"
    french = api_as(admin).get(f"/api/v1/threads/{thread.id}", headers={"Accept-Language": "fr"})
    assert french.json["author"]["name"] in ("Ancien membre", "Former member")  # catalog at merge
    auth.logout()
    # the account cannot sign in; its address can make a new account
    assert signin(user.email, user.password).status_code == 401
    again = client.post(
        "/signup",
        data={
            "name": "Anaïs",
            "email": user.email,
            "password": user.password,
            "confirm": user.password,
        },
        headers=EN,
    )
    assert again.status_code == 302


@pytest.mark.parametrize("outcome_for", ["requester", "supporter"])
def test_leaving_settles_support_requests(app, make_user, make_group, outcome_for):
    from app.account.services import delete_account
    from app.support.models import SupportRequest
    from app.support.services import create_request, respond

    admin = make_user(name="Claire")
    asker = make_user(name="Bruno")
    helper = make_user(name="Dora")
    group = make_group(admin, [asker, helper])
    now = utcnow()
    with app.app_context():
        from app.groups.models import Group

        g = db.session.get(Group, group.id)
        request = create_request(
            g,
            db.session.get(User, asker.id),
            kind="emotional",
            urgent=False,
            important=True,
            now=now,
        )
        respond(request, db.session.get(User, helper.id), available=True, now=now)
        db.session.commit()
        leaving = asker if outcome_for == "requester" else helper
        delete_account(db.session.get(User, leaving.id), now=now)
        db.session.commit()
        request = db.session.get(SupportRequest, request.id)
        if outcome_for == "requester":
            assert (request.status, request.outcome) == ("closed", "not_needed")
        else:
            assert request.status == "open" and request.matched_with_id is None


def test_no_one_can_take_a_deleted_accounts_placeholder_and_block_a_deletion(
    app, client, make_user, api_as
):
    """A deleted account's address and handle are unguessable and its domain reserved:
    signing up (page or API) or changing one's address to ``…@deleted.invalid`` is
    refused, and someone named «Deleted 2» does not stop user 2 from deleting."""
    from app.auth.models import User
    from app.auth.services import wipe_user
    from app.timeutil import utcnow

    victim = make_user(name="Victime", email="victime@example.org")
    squatter = make_user(name=f"Deleted {victim.id}", email="squat@example.org")
    refused = client.post(
        "/api/v1/users",
        json={"email": f"deleted-{victim.id}@deleted.invalid", "name": "X", "password": "x" * 12},
    )
    assert refused.status_code == 400 and "email" in refused.json["error"]["fields"]
    changed = api_as(squatter).post(
        "/api/v1/me/email", json={"email": "a@deleted.invalid", "password": squatter.password}
    )
    assert changed.status_code == 400
    with app.app_context():
        user = db.session.get(User, victim.id)
        wipe_user(user, now=utcnow())
        db.session.commit()
        assert user.email.endswith("@deleted.invalid") and user.handle != f"deleted-{victim.id}"
