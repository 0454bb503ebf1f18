"""Links on the public address only, and no answer for a host that is not the site's.

A password reset or an invitation asked through a forged ``Host`` (or
``X-Forwarded-Host`` behind a proxy) must never email a valid token on the attacker's
host: such requests are refused before any view runs, and a request through a host the
operator trusts still gets links on ``PUBLIC_URL``.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fixtures.accounts import session_user_id

from app.extensions import db

PUBLIC_URL = "https://cercle.example.org"
SITE = "https://cercle.example.org"
ALIAS = "https://cercle-alias.example.net"  # another name the operator lets in
EVIL = "https://evil.example"
EN = {"Accept-Language": "en"}


@pytest.fixture
def app_config():
    """As installed: a public address, one more trusted name, no SERVER_NAME."""
    return {
        "PUBLIC_URL": PUBLIC_URL,
        "SERVER_NAME": None,
        "TRUSTED_HOSTS": ["cercle-alias.example.net"],
    }


@pytest.fixture
def proxied(make_app):
    """The app behind one reverse proxy (``BEHIND_PROXY``), and its outbox."""
    from fixtures.outbox import SentMail

    application = make_app(PUBLIC_URL=PUBLIC_URL, SERVER_NAME=None, BEHIND_PROXY=True)
    return application, SentMail(application)


def _links(message) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", message.body)


def _login(client, user, base_url=SITE) -> None:
    """Sign ``client`` in as ``user`` (a session made on a trusted host)."""
    with client.session_transaction(base_url=base_url) as session:
        session["_user_id"] = session_user_id(client.application, user.id)
        session["_fresh"] = True


def _invitations(app) -> int:
    from app.groups.models import Invitation

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Invitation.id)))


# -- password resets ---------------------------------------------------------------------


def test_a_reset_asked_through_a_forged_host_is_refused_and_sends_nothing(
    client, make_user, outbox
):
    user = make_user(email="anais@example.org")
    response = client.post("/password/reset", data={"email": user.email}, base_url=EVIL, headers=EN)
    assert response.status_code == 400
    assert "does not answer to this host name" in response.text
    assert "evil.example" not in response.text
    assert len(outbox) == 0
    # the same request on the site's own address is answered, with a link on it
    response = client.post("/password/reset", data={"email": user.email}, base_url=SITE)
    assert response.status_code == 302
    [message] = outbox
    assert _links(message) and all(link.startswith(SITE + "/") for link in _links(message))


def test_through_a_trusted_alias_the_link_is_still_on_the_public_address(client, make_user, outbox):
    user = make_user(email="anais@example.org")
    response = client.post(
        "/password/reset",
        data={"email": user.email},
        base_url=ALIAS,
        headers={"X-Forwarded-Host": "evil.example"},  # no proxy is trusted: ignored
    )
    assert response.status_code == 302
    [message] = outbox
    assert f"{SITE}/password/reset/" in message.body
    assert "alias" not in message.body and "evil" not in message.body


def test_behind_a_proxy_a_forged_forwarded_host_is_refused(proxied, make_user):
    application, sent = proxied
    user = make_user(email="anais@example.org")
    client = application.test_client()
    # the proxy talks to the app on its own address and passes the visitor's Host on
    response = client.post(
        "/password/reset",
        data={"email": user.email},
        base_url="http://127.0.0.1:8000",
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 400
    assert len(sent) == 0
    response = client.post(
        "/password/reset",
        data={"email": user.email},
        base_url="http://127.0.0.1:8000",
        headers={"X-Forwarded-Host": "cercle.example.org", "X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 302
    [message] = sent
    assert f"{SITE}/password/reset/" in message.body


# -- invitations -------------------------------------------------------------------------


def test_an_invitation_through_a_forged_host_is_refused(app, client, make_user, make_group, outbox):
    admin = make_user(name="Alice")
    group = make_group(admin)
    _login(client, admin)
    for headers in ({}, {"X-Forwarded-Host": "evil.example"}):
        response = client.post(
            f"/g/{group.handle}/invitations",
            data={"email": "zoe@example.org", "days": "14", "role": "member"},
            base_url=EVIL,
            headers={**EN, **headers},
        )
        assert response.status_code == 400
    assert _invitations(app) == 0
    assert len(outbox) == 0


def test_invitation_links_are_on_the_public_address(app, client, make_user, make_group, outbox):
    admin = make_user(name="Alice")
    group = make_group(admin)
    _login(client, admin, ALIAS)
    response = client.post(
        f"/g/{group.handle}/invitations",
        data={"email": "zoe@example.org", "days": "14", "role": "member"},
        base_url=ALIAS,
        headers=EN,
    )
    assert response.status_code == 302
    [message] = outbox
    assert f"{SITE}/invitations/" in message.body
    assert "alias" not in message.body
    # a link to share, shown once on the page the creation leads to
    made = client.post(
        f"/g/{group.handle}/invitations", data={"days": "3", "role": "member"}, base_url=ALIAS
    )
    page = client.get(made.location, base_url=ALIAS).text
    assert f"{SITE}/invitations/" in page
    assert "cercle-alias.example.net/invitations/" not in page


def test_behind_a_proxy_an_invitation_for_a_forged_forwarded_host_is_refused(
    proxied, make_user, make_group
):
    application, sent = proxied
    admin = make_user(name="Alice")
    group = make_group(admin)
    client = application.test_client()
    proxy = {"base_url": "http://127.0.0.1:8000"}
    site = {"X-Forwarded-Host": "cercle.example.org"}
    signed_in = client.post(
        "/signin", data={"email": admin.email, "password": admin.password}, headers=site, **proxy
    )
    assert signed_in.status_code == 302
    assert client.get(f"/g/{group.handle}/members", headers=site, **proxy).status_code == 200
    response = client.post(
        f"/g/{group.handle}/invitations",
        data={"email": "zoe@example.org", "days": "14", "role": "member"},
        headers={"X-Forwarded-Host": "evil.example"},
        **proxy,
    )
    assert response.status_code == 400
    assert _invitations(application) == 0
    assert len(sent) == 0


# -- every request, pages and API ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/signin", "/g/cercle-1", "/static/app.css"])
def test_pages_for_an_unknown_host_are_a_plain_400(client, path):
    response = client.get(path, base_url=EVIL, headers=EN)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "does not answer to this host name" in response.text
    assert "Set-Cookie" not in response.headers


def test_a_signin_through_an_unknown_host_signs_nobody_in(client, make_user):
    user = make_user(email="anais@example.org")
    response = client.post(
        "/signin", data={"email": user.email, "password": user.password}, base_url=EVIL
    )
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers


def test_the_api_answers_an_unknown_host_with_its_error_shape_before_the_token(
    api_as, make_user, error_of
):
    user = make_user()
    for caller in (api_as(None), api_as(user)):  # no token: 400, not the usual 401
        response = caller.get("/api/v1/notifications", base_url=EVIL)
        error = error_of(response, 400, "bad_request")
        assert "host" in error["message"].lower()
    response = api_as(user).get("/api/v1/notifications", base_url=SITE)
    assert response.status_code == 200


def test_the_french_page_for_an_unknown_host(client):
    response = client.get("/", base_url=EVIL, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert '<html lang="fr">' in response.text


# -- which hosts are trusted --------------------------------------------------------------


def test_trusted_hosts_come_from_the_public_address_and_the_operator(app):
    assert app.config["TRUSTED_HOSTS"] == ["cercle.example.org", "cercle-alias.example.net"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"PUBLIC_URL": "https://cercle.example.org/"}, ["cercle.example.org"]),
        ({"PUBLIC_URL": "https://cercle.example.org:8443"}, ["cercle.example.org"]),
        (
            {"PUBLIC_URL": "https://a.example", "TRUSTED_HOSTS": [".b.example"]},
            ["a.example", ".b.example"],
        ),
        ({"SERVER_NAME": "localhost:5000"}, ["localhost", "127.0.0.1"]),
        ({"PUBLIC_URL": "http://127.0.0.1:5000"}, ["127.0.0.1", "localhost"]),
        ({}, None),  # development without any address: any host
    ],
)
def test_trusted_hosts(config, expected):
    from app.hosts import trusted_hosts

    assert trusted_hosts(config) == expected
