"""Private and local addresses are refused, at creation and when sending, unless the
operator allows them; the pure parts (address rules, bodies, Retry-After) on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.timeutil import utcnow
from app.webhooks import formats, ssrf
from app.webhooks.sender import parse_retry_after
from app.webhooks.services import mask


@pytest.fixture
def app_config():
    """As installed: private addresses not allowed (``PUBLIC_URL`` for the links)."""
    return {"PUBLIC_URL": "https://cercle.example"}


REFUSED = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://10.1.2.3/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
    "http://2130706433/hook",  # 127.0.0.1 in decimal
    "http://0177.0.0.1/hook",  # 127.0.0.1 in octal
    "http://[::ffff:127.0.0.1]/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_addresses_are_refused_at_creation(url, api, thread_circle, error_of):
    response = api(thread_circle.admin).post(
        f"/api/v1/groups/{thread_circle.group.handle}/webhooks", json={"kind": "slack", "url": url}
    )
    error = error_of(response, 400)
    assert set(error["fields"]) == {"url"}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.org/hook", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("https://user:secret@example.org/hook", "credentials"),
        ("https://example.org/" + "a" * 2000, "too_long"),
        ("https://exa mple.org/", "malformed"),
        ("https:///nohost", "malformed"),
    ],
)
def test_malformed_addresses_are_refused(url, problem):
    with pytest.raises(ssrf.BadAddress) as caught:
        ssrf.parse(url)
    assert caught.value.code == problem


def test_public_and_private_ip_addresses():
    assert ssrf.is_public("93.184.216.34")
    assert ssrf.is_public("2606:4700::6810:85e5")
    for address in (
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "100.64.0.1",
        "::1",
        "fd00::1",
        "fe80::1%eth0",
        "::ffff:10.0.0.1",
        "255.255.255.255",
    ):
        assert not ssrf.is_public(address), address


def test_allowed_private_addresses_are_taken():
    target = ssrf.check("http://127.0.0.1:8080/hook", allow_private=True)
    assert target.addresses == ("127.0.0.1",)
    url, headers, extensions = ssrf.pinned(target, "127.0.0.1")
    assert url == "http://127.0.0.1:8080/hook" and headers == {"Host": "127.0.0.1:8080"}
    assert extensions == {}


def test_pinning_keeps_the_host_for_tls():
    target = ssrf.Target(
        url="https://hooks.example.org/a?b=c",
        scheme="https",
        host="hooks.example.org",
        port=443,
        addresses=("2001:db8::5",),
    )
    url, headers, extensions = ssrf.pinned(target, "2001:db8::5")
    assert url == "https://[2001:db8::5]:443/a?b=c"
    assert headers == {"Host": "hooks.example.org"}
    assert extensions == {"sni_hostname": "hooks.example.org"}


def test_a_hook_that_became_private_is_not_posted_to(
    httpserver, run, thread_circle, make_thread, app
):
    """Written when private addresses were allowed (or its name now resolves inside):
    the sender checks again and posts nothing."""
    from app import outbox
    from app.auth.models import User
    from app.extensions import db
    from app.groups.models import Group
    from app.webhooks import services

    httpserver.expect_request("/hook").respond_with_data("ok")

    def create():
        hook, _secret = services.create_webhook(
            db.session.get(Group, thread_circle.group.id),
            actor=db.session.get(User, thread_circle.admin.id),
            kind="slack",
            url=httpserver.url_for("/hook"),
            events=None,
            allow_private=True,
            now=utcnow(),
        )
        return hook.id

    hook_id = run(create)
    make_thread(thread_circle.group, thread_circle.admin)
    with app.app_context():
        figures = outbox.deliver_due(utcnow())
        delivery = db.session.scalar(
            sa.select(outbox.Delivery).where(outbox.Delivery.webhook_id == hook_id)
        )
        assert figures.retried == 1
        assert delivery.status == "pending" and "address refused" in delivery.last_error
        db.session.remove()
    assert httpserver.log == []


def test_mask_shows_scheme_host_and_last_four():
    assert mask("https://hooks.slack.com/services/T000/B000/XXXXabcd") == (
        "https://hooks.slack.com/…abcd"
    )
    assert mask("https://chat.example.org:8443/hooks/secret1234") == (
        "https://chat.example.org/…1234"
    )
    assert mask("https://example.org/") == "https://example.org/…"


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)
    assert parse_retry_after("120", now) == timedelta(seconds=120)
    assert parse_retry_after("Tue, 12 May 2026 09:35:00 GMT", now) == timedelta(minutes=5)
    assert parse_retry_after("Tue, 12 May 2026 09:00:00 GMT", now) == timedelta(0)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_discord_keeps_to_2000_characters_and_the_link():
    post = formats.Post(
        type="comment.created",
        summary="Un titre " * 50,
        link="https://cercle.example/t/1#comment-2",
        details=("x" * 3000,),
    )
    body = formats.discord(post)
    assert len(body["content"]) <= 2000
    assert body["content"].endswith(post.link)
    assert body["allowed_mentions"] == {"parse": []}
    long_summary = formats.Post(type="t", summary="y" * 2500, link="https://cercle.example/")
    content = formats.discord(long_summary)["content"]
    assert len(content) <= 2000 and content.endswith("https://cercle.example/")


def test_generic_body_is_standard_webhooks_shaped():
    at = datetime(2026, 5, 12, 9, 32, tzinfo=UTC)
    post = formats.Post(type="test", summary="s", link="l", data={"a": 1})
    assert formats.body("generic", post, at) == {
        "type": "test",
        "timestamp": "2026-05-12T09:32:00Z",
        "data": {"a": 1},
    }
