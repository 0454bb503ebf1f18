"""Sign-in and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime

EN = {"Accept-Language": "en"}
WRONG = "This email and password do not match an account."


def test_right_password_signs_in(client, signin, user):
    response = signin(user.email, user.password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/profile").status_code == 200


def test_email_is_matched_whatever_its_case(client, signin, user):
    response = signin(" ANAIS@example.org ", user.password)
    assert response.status_code == 302


def test_wrong_password_is_401_with_a_clear_message(client, signin, user):
    response = signin(user.email, "not the password")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert WRONG in html
    assert client.get("/profile").status_code == 302  # still signed out


def test_no_hint_whether_the_account_exists(client, signin, user):
    wrong_password = signin(user.email, "not the password")
    no_account = signin("nobody@example.org", "not the password")
    assert wrong_password.status_code == no_account.status_code == 401

    def main(response):
        html = response.get_data(as_text=True)
        html = html.replace(user.email, "EMAIL").replace("nobody@example.org", "EMAIL")
        return html[html.index("<main") : html.index("</main>")]

    assert main(wrong_password) == main(no_account)


def test_next_is_followed_only_on_this_site(signin, user, client):
    response = signin(user.email, user.password, next_="/g/x")
    assert response.headers["Location"] == "/g/x"
    client.post("/signout")
    response = signin(user.email, user.password, next_="https://evil.example")
    assert response.headers["Location"] == "/"
    client.post("/signout")
    response = signin(user.email, user.password, next_="//evil.example")
    assert response.headers["Location"] == "/"


def test_login_required_page_sends_to_signin_with_next(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")
    assert "profile" in response.headers["Location"]


def test_signout_is_a_post(client, auth, user):
    auth.login(user)
    assert client.get("/signout").status_code == 405
    assert client.get("/profile").status_code == 200  # a link cannot sign you out
    response = client.post("/signout", headers=EN)
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302


def test_signout_button_is_a_form(client, auth, user):
    auth.login(user)
    html = client.get("/profile").get_data(as_text=True)
    assert 'method="post" action="/signout"' in html


def _cookie(client, name):
    return client.get_cookie(name)


def test_without_remember_me_no_lasting_cookie(client, signin, user):
    signin(user.email, user.password)
    assert _cookie(client, "remember_token") is None
    session = _cookie(client, "session")
    assert session is not None and session.expires is None  # ends with the browser


def test_remember_me_sets_a_lasting_cookie(client, signin, user):
    signin(user.email, user.password, remember=True)
    remember = _cookie(client, "remember_token")
    assert remember is not None
    assert remember.expires is not None and remember.expires > datetime.now(UTC)
    assert remember.http_only
    # Once the browser forgets its session cookie, the remember cookie signs it back in.
    client.delete_cookie("session")
    assert client.get("/profile").status_code == 200


def test_signin_page_in_french_and_english(client):
    fr = client.get("/signin", headers={"Accept-Language": "fr"})
    en = client.get("/signin", headers=EN)
    assert fr.status_code == en.status_code == 200
    assert '<html lang="fr">' in fr.get_data(as_text=True)
    assert "Forgot your password?" in en.get_data(as_text=True)


def test_signed_in_person_is_sent_to_the_dashboard(client, auth, user):
    auth.login(user)
    response = client.get("/signin")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
