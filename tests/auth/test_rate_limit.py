"""Failed sign-ins are limited per address and account, per address, and per account
(SIGNIN_RATE_LIMIT, SIGNIN_ADDRESS_LIMIT, SIGNIN_ACCOUNT_LIMIT), the page and the API
together, in storage every worker shares (the database by default)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import uuid

import pytest

EN = {"Accept-Language": "en"}
TOO_MANY = "Too many failed sign-ins. Please wait a minute before trying again."


@pytest.fixture
def app_config():
    """Five sign-in attempts a minute from one address to one account, ten from one
    address, fifteen to one account; counted in the database, the default storage."""
    return {
        "SIGNIN_RATE_LIMIT": "5 per minute",
        "SIGNIN_ADDRESS_LIMIT": "10 per minute",
        "SIGNIN_ACCOUNT_LIMIT": "15 per minute",
        "RATELIMIT_STORAGE_URI": "database://",
    }


def test_sixth_failure_from_one_address_is_429(signin, user):
    for _ in range(5):
        assert signin(user.email, "wrong password", ip="10.0.0.1").status_code == 401
    response = signin(user.email, "wrong password", ip="10.0.0.1")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert TOO_MANY in html
    assert '<html lang="en">' in html
    # Even the right password waits: the address is blocked for a while.
    assert signin(user.email, user.password, ip="10.0.0.1").status_code == 429


def test_429_page_in_french_is_a_page(signin, user):
    for _ in range(5):
        signin("nobody@example.org", "wrong password", ip="10.0.0.9", lang="fr")
    response = signin("nobody@example.org", "wrong password", ip="10.0.0.9", lang="fr")
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_other_addresses_are_not_blocked(signin, user, make_user):
    other = make_user(email="other@example.org")
    for _ in range(6):
        signin(user.email, "wrong password", ip="10.0.0.1")
    assert signin(other.email, other.password, ip="10.0.0.2").status_code == 302


def test_a_stranger_cannot_lock_the_owner_out(signin, user):
    """A stranger's failures block the stranger, not the owner at another address."""
    for _ in range(6):
        signin(user.email, "wrong password", ip="10.6.6.6")
    assert signin(user.email, user.password, ip="10.6.6.6").status_code == 429
    assert signin(user.email, "a typo in it", ip="10.0.1.1").status_code == 401
    assert signin(user.email, user.password, ip="10.0.1.1").status_code == 302


def test_one_account_from_many_addresses_is_limited(signin, user):
    """Only many addresses together reach the account's own, much higher limit."""
    for n in range(15):
        response = signin(user.email, "wrong password", ip=f"10.0.1.{n // 4}")
        assert response.status_code == 401
    response = signin(user.email.upper(), "wrong password", ip="10.0.1.99")
    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)


def test_one_address_trying_many_accounts_is_limited(signin, user):
    for n in range(10):
        assert signin(f"guess{n}@example.org", "wrong password", ip="10.0.5.1").status_code == 401
    assert signin(user.email, user.password, ip="10.0.5.1").status_code == 429
    assert signin(user.email, user.password, ip="10.0.5.2").status_code == 302


def test_page_and_api_failures_count_together(client, signin, user):
    for _ in range(3):
        assert signin(user.email, "wrong password", ip="10.0.6.1").status_code == 401
    for _ in range(2):
        assert _token(client, user.email, "wrong password", "10.0.6.1").status_code == 401
    assert signin(user.email, user.password, ip="10.0.6.1").status_code == 429
    _assert_error_shape(_token(client, user.email, user.password, "10.0.6.1"), 429, "rate_limited")


def test_the_owners_password_reset_lifts_the_lockout(client, outbox, signin, user):
    for _ in range(5):
        signin(user.email, "wrong password", ip="10.0.7.1")
    assert signin(user.email, user.password, ip="10.0.7.1").status_code == 429
    client.post("/password/reset", data={"email": user.email}, headers=EN)
    path = re.search(r"(/password/reset/\S+)", outbox[0].body).group(1)
    new = "a brand new sentence"
    assert client.post(path, data={"password": new, "confirm": new}).status_code == 302
    client.post("/signout")
    assert signin(user.email, new, ip="10.0.7.1").status_code == 302


def test_a_success_forgets_the_typos_before_it(client, signin, user):
    for _ in range(2):
        for _ in range(4):
            assert signin(user.email, "wrong password", ip="10.0.0.3").status_code == 401
        assert signin(user.email, user.password, ip="10.0.0.3").status_code == 302
        client.post("/signout")


def test_page_views_are_not_counted(client, signin, user):
    for _ in range(10):
        assert client.get("/signin", environ_base={"REMOTE_ADDR": "10.0.0.4"}).status_code == 200
    assert signin(user.email, user.password, ip="10.0.0.4").status_code == 302


def _token(client, email, password, ip):
    return client.post(
        "/api/v1/tokens",
        json={"email": email, "password": password},
        headers=EN,
        environ_base={"REMOTE_ADDR": ip},
    )


def _assert_error_shape(response, status, code):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def test_api_tokens_are_limited_per_address(client, user):
    for _ in range(5):
        _assert_error_shape(
            _token(client, user.email, "wrong password", "10.0.2.1"), 401, "invalid_credentials"
        )
    error = _assert_error_shape(
        _token(client, user.email, "wrong password", "10.0.2.1"), 429, "rate_limited"
    )
    assert error["message"]
    assert "Retry-After" in _token(client, user.email, "wrong password", "10.0.2.1").headers


def test_api_tokens_are_limited_per_account(client, user):
    for n in range(15):
        assert _token(client, user.email, "wrong password", f"10.0.3.{n // 4}").status_code == 401
    _assert_error_shape(
        _token(client, "ANAIS@example.org", "wrong password", "10.0.3.99"), 429, "rate_limited"
    )


def test_api_success_forgets_the_typos_before_it(client, user):
    for _ in range(2):
        for _ in range(4):
            assert _token(client, user.email, "wrong password", "10.0.4.1").status_code == 401
        assert _token(client, user.email, user.password, "10.0.4.1").status_code == 201


# -- shared limits (Redis) ----------------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _redis_problem() -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"Redis is not reachable at {REDIS_URL}: {exc}"
    return None


_CHILD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    sys.path.insert(0, sys.argv[1] + "/tests")
    from fixtures.database import build_test_config
    from app import create_app

    app = create_app(build_test_config(sys.argv[2], RATELIMIT_STORAGE_URI=sys.argv[3],
                                 SIGNIN_RATE_LIMIT="5 per minute"))
    client = app.test_client()
    path = sys.argv[7] if len(sys.argv) > 7 else "/signin"
    for _ in range(int(sys.argv[6])):
        r = client.post(path, data={"email": sys.argv[4], "password": "wrong password"},
                        environ_base={"REMOTE_ADDR": sys.argv[5]})
        print(r.status_code)
    """
)


def _child(database_url, storage, email, ip, count, path="/signin"):
    """Another process, with its own application, posting ``count`` times to ``path``."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _CHILD, root, database_url, storage, email, ip, str(count), path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    return child.stdout.split()


def test_the_database_is_the_default_storage(monkeypatch, tmp_path):
    from app.config import from_environment

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "database://"


def test_database_storage_shares_limits_between_processes(database_url, signin, user):
    """Another process's failures count here: the limit is in the database, not in memory."""
    ip = "10.8.0.1"
    assert _child(database_url, "database://", user.email, ip, 3) == ["401", "401", "401"]
    assert signin(user.email, "wrong password", ip=ip).status_code == 401
    assert signin(user.email, "wrong password", ip=ip).status_code == 401
    assert signin(user.email, user.password, ip=ip).status_code == 429
    assert _child(database_url, "database://", user.email, ip, 1) == ["429"]


def test_reset_requests_are_limited_across_processes(database_url, client, outbox, user):
    """Every limit uses the shared storage, not only the sign-in ones: three reset links
    asked for one address in another process, the fourth is refused here, from another
    network too."""
    statuses = _child(database_url, "database://", user.email, "10.8.0.2", 3, "/password/reset")
    assert statuses == ["302"] * 3
    response = client.post(
        "/password/reset", data={"email": user.email}, environ_base={"REMOTE_ADDR": "10.8.9.9"}
    )
    assert response.status_code == 429
    assert "Retry-After" in response.headers


@pytest.fixture
def redis_config(app_config):
    """The configuration with the limits stored in Redis (skip when Redis is not there)."""
    problem = _redis_problem()
    if problem:
        pytest.skip(problem)
    app_config["RATELIMIT_STORAGE_URI"] = REDIS_URL
    return app_config


def test_redis_storage_shares_limits_between_processes(redis_config, database_url, signin, user):
    """Another process's failures count here: the limit is in Redis, not in memory."""
    ip = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    email = f"{uuid.uuid4().hex[:12]}@example.org"  # no account: only the limits matter
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _CHILD, root, database_url, REDIS_URL, email, ip, "3"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["401", "401", "401"]
    assert signin(email, "wrong password", ip=ip).status_code == 401
    assert signin(email, "wrong password", ip=ip).status_code == 401
    assert signin(email, "wrong password", ip=ip).status_code == 429


@pytest.mark.parametrize(
    "email", ["a\x00b@example.org", "a\ud800b@example.org"], ids=["NUL", "lone surrogate"]
)
def test_an_address_no_account_can_have_is_bad_input_not_a_server_error(client, signin, email):
    """The limits' key looks the address up before any view: a NUL (which PostgreSQL
    refuses in a query) or a lone surrogate (which cannot be hashed) is still the 400
    naming the field, on the API and on the page."""
    raw = json.dumps({"email": email, "password": "wrong password"})  # \u escapes
    response = client.post(
        "/api/v1/tokens",
        data=raw,
        content_type="application/json",
        headers=EN,
        environ_base={"REMOTE_ADDR": "10.0.7.1"},
    )
    error = _assert_error_shape(response, 400, "validation_error")
    assert "email" in error["fields"]
    if "\x00" in email:
        # a browser's form can hold a NUL but no lone surrogate (it is sent as UTF-8)
        response = signin(email, "wrong password", ip="10.0.7.2")
        assert response.status_code == 400
        assert "<code>email</code>" in response.get_data(as_text=True)


def test_addresses_of_one_ipv6_network_are_counted_together(client, user):
    """One home or server has a whole /64: a new address in it for each try is still
    the same client."""
    for n in range(5):
        response = _token(client, user.email, "wrong password", f"2001:db8:1:2::{n + 1:x}")
        assert response.status_code == 401
    blocked = _token(client, user.email, "wrong password", "2001:db8:1:2:ffff::1")
    _assert_error_shape(blocked, 429, "rate_limited")
    # another network is another client
    other = _token(client, user.email, "wrong password", "2001:db8:1:3::1")
    assert other.status_code == 401
