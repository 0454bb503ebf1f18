"""Configuration from the environment: secret key, database URL, mail."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from app.config import DEV_SECRET_KEY, normalise_database_url

ENV = (
    "SECRET_KEY",
    "DATABASE_URL",
    "MAIL_SERVER",
    "RATELIMIT_STORAGE_URI",
    "SERVER_NAME",
    "PUBLIC_URL",
    "TRUSTED_HOSTS",
    "BEHIND_PROXY",
    "FLASK_DEBUG",
)
#: a key as the README says to make one (64 characters)
KEY = "0f6b1c5e9a7d4e2b8c3f1a6d5e9b7c2a4f8e1d3c6b9a5e7d2c4f1b8a6e3d9c7b"


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean production environment (a public address, no secret key) with the
    instance folder in a temporary directory."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CERCLE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("PUBLIC_URL", "https://cercle.example.org")
    return monkeypatch


def test_refuses_to_start_without_secret_key(env):
    with pytest.raises(RuntimeError, match="SECRET_KEY") as caught:
        create_app()
    assert "secrets.token_hex" in str(caught.value)  # says how to make one


def test_refuses_the_development_key_when_given_explicitly(env):
    env.setenv("SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_starts_with_a_secret_key(env):
    env.setenv("SECRET_KEY", KEY)
    app = create_app()
    assert app.config["SECRET_KEY"] == KEY


@pytest.mark.parametrize("key", ["k", "a-long-random-value", KEY[:31]])
def test_refuses_a_short_secret_key(env, key):
    env.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY is too short") as caught:
        create_app()
    assert "at least 32" in str(caught.value)
    assert "secrets.token_hex" in str(caught.value)


def test_a_key_of_32_characters_is_enough(env):
    env.setenv("SECRET_KEY", KEY[:32])
    assert create_app().config["SECRET_KEY"] == KEY[:32]


@pytest.mark.parametrize("mode", [{"DEBUG": True}, {"TESTING": True}])
def test_development_and_tests_accept_a_short_key(env, mode):
    env.setenv("SECRET_KEY", "k")
    assert create_app(mode).config["SECRET_KEY"] == "k"


@pytest.mark.parametrize("mode", [{"DEBUG": True}, {"TESTING": True}])
def test_development_and_tests_need_no_secret_key(env, mode):
    app = create_app(mode)
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY


def test_default_database_is_sqlite_in_the_instance_folder(env, tmp_path):
    env.setenv("SECRET_KEY", KEY)
    app = create_app()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri == "sqlite:///" + str(tmp_path / "instance" / "cercle.sqlite3")
    assert (tmp_path / "instance").is_dir()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://u:p@db.example:5432/cercle",
            "postgresql+psycopg://u:p@db.example:5432/cercle",
        ),
        ("postgresql://u@localhost/cercle", "postgresql+psycopg://u@localhost/cercle"),
        ("postgresql+psycopg://u@localhost/c", "postgresql+psycopg://u@localhost/c"),
        ("sqlite:////var/lib/cercle.db", "sqlite:////var/lib/cercle.db"),
    ],
)
def test_database_url_is_normalised(env, url, expected):
    assert normalise_database_url(url) == expected
    env.setenv("SECRET_KEY", KEY)
    env.setenv("DATABASE_URL", url)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_without_mail_server_emails_go_to_the_log(env, caplog, database_url, _schema):
    from app.extensions import db
    from app.mail import send_email

    env.setenv("SECRET_KEY", KEY)
    env.setenv("DATABASE_URL", database_url)
    app = create_app()
    assert app.config["MAIL_BACKEND"] != "smtp"
    with app.test_request_context(), caplog.at_level(logging.WARNING, logger="cercle.mail"):
        send_email(
            "anais@example.org",
            "Reset your Cercle password",
            "reset_password",
            locale="en",
            user=type("U", (), {"name": "Anaïs"})(),
            link="http://localhost/password/reset/abc",
            minutes=60,
        )
        db.session.commit()
        assert "To: anais@example.org" not in caplog.text  # not from the request
    with app.app_context(), caplog.at_level(logging.WARNING, logger="cercle.mail"):
        from app import outbox
        from app.timeutil import utcnow

        assert outbox.deliver_due(utcnow()).sent == 1  # the periodic command's step
    assert "To: anais@example.org" in caplog.text
    assert "Subject: Reset your Cercle password" in caplog.text
    assert "http://localhost/password/reset/abc" in caplog.text


def test_with_mail_server_emails_go_by_smtp(env):
    env.setenv("SECRET_KEY", KEY)
    env.setenv("MAIL_SERVER", "smtp.example.org")
    env.setenv("MAIL_PORT", "465")
    app = create_app()
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_PORT"] == 465


def test_rate_limit_storage_from_the_environment(env):
    env.setenv("SECRET_KEY", KEY)
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "database://"  # shared by every process
    env.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"


# -- the public address ------------------------------------------------------------------


def test_refuses_to_start_without_a_public_url(env):
    env.setenv("SECRET_KEY", KEY)
    env.delenv("PUBLIC_URL")
    with pytest.raises(RuntimeError, match="PUBLIC_URL is not set") as caught:
        create_app()
    assert "https://cercle.example.org" in str(caught.value)  # says what to set


def test_server_name_alone_is_no_public_url(env):
    env.setenv("SECRET_KEY", KEY)
    env.delenv("PUBLIC_URL")
    env.setenv("SERVER_NAME", "cercle.example.org")
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app()


@pytest.mark.parametrize(
    "url",
    [
        "cercle.example.org",
        "ftp://cercle.example.org",
        "https://",
        "https://user:secret@cercle.example.org",
        "https://cercle.example.org:99999",
        "https://cercle.example.org/#top",
    ],
)
def test_refuses_a_public_url_that_is_no_site_address(env, url):
    env.setenv("SECRET_KEY", KEY)
    env.setenv("PUBLIC_URL", url)
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app()


@pytest.mark.parametrize("mode", [{"DEBUG": True}, {"TESTING": True}])
def test_development_and_tests_need_no_public_url(env, mode):
    env.delenv("PUBLIC_URL")
    app = create_app(mode)
    with app.app_context():
        from app.urls import external_url

        assert external_url("auth.signin") == "http://localhost:5000/signin"


def test_trusted_hosts_from_the_environment(env):
    env.setenv("SECRET_KEY", KEY)
    env.setenv("TRUSTED_HOSTS", "cercle.example.net, .cercle.example.com")
    app = create_app()
    assert app.config["TRUSTED_HOSTS"] == [
        "cercle.example.org",
        "cercle.example.net",
        ".cercle.example.com",
    ]
    client = app.test_client()
    assert client.get("/signin", base_url="https://www.cercle.example.com").status_code == 200
    # host names are not case-sensitive
    assert client.get("/signin", base_url="https://CERCLE.Example.ORG").status_code == 200
    assert client.get("/signin", base_url="https://evil.example").status_code == 400


def test_the_jobs_command_refuses_to_start_without_a_public_url(env):
    """No email can leave with links on a made-up address: the periodic command (which
    sends them) builds the same app."""
    import subprocess
    import sys
    from pathlib import Path

    env.setenv("SECRET_KEY", KEY)
    env.delenv("PUBLIC_URL")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "PUBLIC_URL is not set" in result.stderr
