"""Sign-in sessions live on the server: signing out ends them for every copy of the
cookies; the profile lists them, ends one, or all; a new password ends the others."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import SignInSession
from app.auth.sessions import summarise_user_agent
from app.extensions import db
from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _browser(app, signin, user, *, remember=False, agent=FIREFOX):
    """A new browser, signed in through the form."""
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = agent
    response = signin(user.email, user.password, remember=remember, c=browser)
    assert response.status_code == 302
    return browser


def _copy(app, browser, *names):
    """Another browser holding copies of ``browser``'s cookies (a stolen cookie)."""
    thief = app.test_client()
    for name in names:
        cookie = browser.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def _signed_in(browser) -> bool:
    response = browser.get("/profile", headers=EN)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_copied_session_cookie_dies_with_the_sign_out(app, signin, user):
    browser = _browser(app, signin, user)
    thief = _copy(app, browser, "session")
    assert _signed_in(thief)  # the copy works while the session lasts
    assert browser.post("/signout", headers=EN).status_code == 302
    assert not _signed_in(browser)
    assert not _signed_in(thief)


def test_a_copied_remember_cookie_dies_with_the_sign_out(app, signin, user):
    browser = _browser(app, signin, user, remember=True)
    thief = _copy(app, browser, "remember_token")
    assert _signed_in(thief)  # the remember cookie alone signs in…
    browser.post("/signout", headers=EN)
    replay = _copy(app, thief, "remember_token")  # a fresh copy, no session cookie of its own
    assert not _signed_in(replay)  # …until its session is ended
    assert not _signed_in(thief)


def test_signing_out_ends_only_this_session(app, signin, user):
    laptop = _browser(app, signin, user)
    phone = _browser(app, signin, user, agent=IPHONE)
    laptop.post("/signout", headers=EN)
    assert not _signed_in(laptop)
    assert _signed_in(phone)


def test_sign_out_everywhere_ends_the_other_browsers(app, signin, user):
    laptop = _browser(app, signin, user, remember=True)
    laptop_copy = _copy(app, laptop, "remember_token")
    phone = _browser(app, signin, user, agent=IPHONE)
    html = phone.get("/profile", headers=EN).get_data(as_text=True)
    assert "Sign out everywhere" in html
    response = phone.post("/profile/sessions/end-all", headers=EN, follow_redirects=True)
    assert "You are signed out on all your devices." in response.get_data(as_text=True)
    assert not _signed_in(phone)
    assert not _signed_in(laptop)
    assert not _signed_in(laptop_copy)
    # Signing in again works, in a new session.
    assert _signed_in(_browser(app, signin, user))


def test_the_profile_lists_the_sessions_and_ends_one(app, signin, user):
    laptop = _browser(app, signin, user)
    phone = _browser(app, signin, user, agent=IPHONE)
    html = laptop.get("/profile", headers=EN).get_data(as_text=True)
    assert "Firefox · Linux" in html and "Safari · iOS" in html
    assert "(this device)" in html
    assert len(re.findall(r'action="/profile/sessions/\d+/end"', html)) == 2
    with app.app_context():
        phone_id = db.session.scalar(
            sa.select(SignInSession.id).where(SignInSession.user_agent == "Safari · iOS")
        )
    response = laptop.post(f"/profile/sessions/{phone_id}/end", headers=EN, follow_redirects=True)
    assert "that device is signed out" in response.get_data(as_text=True)
    assert not _signed_in(phone)
    assert _signed_in(laptop)
    html = laptop.get("/profile", headers=EN).get_data(as_text=True)
    assert "Safari · iOS" not in html


def test_nobody_ends_someone_elses_session(app, signin, user, make_user):
    other = make_user(email="other@example.org")
    theirs = _browser(app, signin, other)
    mine = _browser(app, signin, user)
    with app.app_context():
        their_id = db.session.scalar(
            sa.select(SignInSession.id).where(SignInSession.user_id == other.id)
        )
    assert mine.post(f"/profile/sessions/{their_id}/end", headers=EN).status_code == 404
    assert _signed_in(theirs)


def test_a_password_change_ends_the_other_sessions_not_this_one(app, signin, user):
    laptop = _browser(app, signin, user, remember=True)
    phone = _browser(app, signin, user, agent=IPHONE)
    phone_copy = _copy(app, phone, "session")
    response = laptop.post(
        "/profile/password",
        data={
            "password-current_password": user.password,
            "password-password": "a brand new sentence",
            "password-confirm": "a brand new sentence",
        },
        headers=EN,
    )
    assert response.status_code == 302
    assert _signed_in(laptop)
    assert not _signed_in(phone)
    assert not _signed_in(phone_copy)
    # The laptop's remember cookie names the new session: it still signs the laptop in.
    assert _signed_in(_copy(app, laptop, "remember_token"))


def test_a_password_reset_ends_every_session(app, client, outbox, signin, user):
    laptop = _browser(app, signin, user, remember=True)
    laptop_copy = _copy(app, laptop, "remember_token")
    client.post("/password/reset", data={"email": user.email}, headers=EN)
    path = re.search(r"(/password/reset/\S+)", outbox[0].body).group(1)
    response = client.post(
        path,
        data={"password": "a brand new sentence", "confirm": "a brand new sentence"},
        headers=EN,
    )
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(laptop)
    assert not _signed_in(laptop_copy)


def test_last_seen_is_written_every_few_minutes_not_on_every_request(app, signin, user):
    browser = _browser(app, signin, user)

    def last_seen():
        with app.app_context():
            return db.session.scalar(sa.select(SignInSession.last_seen_at))

    first = last_seen()
    for _ in range(3):
        browser.get("/profile")
    assert last_seen() == first
    long_ago = utcnow() - timedelta(minutes=10)
    with app.app_context():
        db.session.execute(sa.update(SignInSession).values(last_seen_at=long_ago))
        db.session.commit()
    browser.get("/profile")  # a page view (GET) notes it too
    assert last_seen() > long_ago + timedelta(minutes=9)
    with app.app_context():
        db.session.execute(sa.update(SignInSession).values(last_seen_at=long_ago))
        db.session.commit()
    response = browser.post(
        "/profile/quiet-hours", data={"quiet-quiet_from": "22:00", "quiet-quiet_until": "07:00"}
    )
    assert response.status_code == 302  # a write goes on as usual…
    assert last_seen() > long_ago + timedelta(minutes=9)  # …and notes it


def test_a_session_unseen_for_a_year_is_over(app, signin, user):
    browser = _browser(app, signin, user, remember=True)
    with app.app_context():
        db.session.execute(
            sa.update(SignInSession).values(last_seen_at=utcnow() - timedelta(days=366))
        )
        db.session.commit()
    assert not _signed_in(browser)


def test_sessions_long_over_are_deleted_at_the_next_sign_in(app, signin, user):
    _browser(app, signin, user)
    _browser(app, signin, user).post("/signout")
    with app.app_context():
        db.session.execute(
            sa.update(SignInSession).values(
                created_at=utcnow() - timedelta(days=400),
                last_seen_at=utcnow() - timedelta(days=366),
            )
        )
        db.session.execute(
            sa.update(SignInSession)
            .where(SignInSession.ended_at.is_not(None))
            .values(ended_at=utcnow() - timedelta(days=31), last_seen_at=utcnow())
        )
        db.session.commit()
    _browser(app, signin, user)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInSession)) == 1


def test_an_old_style_cookie_signs_nobody_in(app, user):
    """Cookies from before server-side sessions said ``"<id>:<epoch>"``: they are refused."""
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{user.id}:0"
        session["_fresh"] = True
    assert not _signed_in(browser)


def test_user_agents_are_summarised():
    assert summarise_user_agent(FIREFOX) == "Firefox · Linux"
    assert summarise_user_agent(IPHONE) == "Safari · iOS"
    edge = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
    )
    assert summarise_user_agent(edge) == "Edge · Windows"
    assert summarise_user_agent("curl/8.5.0") == "curl"
    assert summarise_user_agent("") == ""
