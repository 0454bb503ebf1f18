"""Failed sign-ins are limited per address and per account (config SIGNIN_RATE_LIMIT)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

import pytest

EN = {"Accept-Language": "en"}
TOO_MANY = "Too many failed sign-ins. Please wait a minute before trying again."


@pytest.fixture
def app_config():
    """Five failed sign-ins a minute."""
    return {"SIGNIN_RATE_LIMIT": "5 per minute"}


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


def test_one_account_from_many_addresses_is_limited(signin, user):
    for n in range(5):
        response = signin(user.email, "wrong password", ip=f"10.0.1.{n}")
        assert response.status_code == 401
    response = signin(user.email.upper(), "wrong password", ip="10.0.1.99")
    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)


def test_successful_signins_are_not_counted(client, signin, user):
    for _ in range(8):
        assert signin(user.email, user.password, ip="10.0.0.3").status_code == 302
        client.post("/signout")
    for _ in range(4):
        assert signin(user.email, "wrong password", ip="10.0.0.3").status_code == 401
    assert signin(user.email, user.password, ip="10.0.0.3").status_code == 302


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
    for n in range(5):
        assert _token(client, user.email, "wrong password", f"10.0.3.{n}").status_code == 401
    _assert_error_shape(
        _token(client, "ANAIS@example.org", "wrong password", "10.0.3.99"), 429, "rate_limited"
    )


def test_api_successful_tokens_are_not_counted(client, user):
    for _ in range(7):
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
    from tests.conftest import build_test_config
    from app import create_app

    app = create_app(build_test_config(sys.argv[2], RATELIMIT_STORAGE_URI=sys.argv[3],
                                 SIGNIN_RATE_LIMIT="5 per minute"))
    client = app.test_client()
    for _ in range(int(sys.argv[6])):
        r = client.post("/signin", data={"email": sys.argv[4], "password": "wrong password"},
                        environ_base={"REMOTE_ADDR": sys.argv[5]})
        print(r.status_code)
    """
)


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
