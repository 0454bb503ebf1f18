"""Configuration from the environment: secret key, database URL, mail."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from app.config import DEV_SECRET_KEY, normalise_database_url

ENV = ("SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "RATELIMIT_STORAGE_URI", "SERVER_NAME")


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment with the instance folder in a temporary directory."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CERCLE_INSTANCE_PATH", str(tmp_path / "instance"))
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
    env.setenv("SECRET_KEY", "a-long-random-value")
    app = create_app()
    assert app.config["SECRET_KEY"] == "a-long-random-value"


@pytest.mark.parametrize("mode", [{"DEBUG": True}, {"TESTING": True}])
def test_development_and_tests_need_no_secret_key(env, mode):
    app = create_app(mode)
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY


def test_default_database_is_sqlite_in_the_instance_folder(env, tmp_path):
    env.setenv("SECRET_KEY", "k")
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
    env.setenv("SECRET_KEY", "k")
    env.setenv("DATABASE_URL", url)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_without_mail_server_emails_go_to_the_log(env, caplog, database_url, _schema):
    from app.extensions import db
    from app.mail import send_email

    env.setenv("SECRET_KEY", "k")
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
    env.setenv("SECRET_KEY", "k")
    env.setenv("MAIL_SERVER", "smtp.example.org")
    env.setenv("MAIL_PORT", "465")
    app = create_app()
    assert app.config["MAIL_BACKEND"] == "smtp"
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_PORT"] == 465


def test_rate_limit_storage_from_the_environment(env):
    env.setenv("SECRET_KEY", "k")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "database://"  # shared by every process
    env.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"
