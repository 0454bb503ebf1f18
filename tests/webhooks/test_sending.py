"""Posting for real: pytest-httpserver receives what the periodic run sends, answering
500, then 429 with Retry-After, then 200; 410 and a day of failures disable a hook; a
redirect is a failure; each kind's body; a generic hook's signature."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook as Verifier

from app.timeutil import utcnow

PUBLIC_URL = "https://cercle.example"  # tests/webhooks/conftest.py


def received(httpserver) -> list[tuple[dict, dict]]:
    """Every body the receiver got, parsed, with its headers."""
    return [(json.loads(req.get_data()), dict(req.headers)) for req, _resp in httpserver.log]


def test_500_then_429_with_retry_after_then_200(
    httpserver, make_hook, new_thread, deliver, deliveries, hook_state
):
    hook = make_hook(httpserver.url_for("/hook"), kind="generic")
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("oops", 500)
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data(
        "slow down", 429, headers={"Retry-After": "120"}
    )
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("ok", 200)
    new_thread(title="Nos temps d'écoute")
    (delivery,) = deliveries(hook.id)
    assert delivery.kind == "thread.created" and delivery.status == "pending"

    t0 = utcnow()
    figures = deliver(t0)
    assert figures.retried == 1 and figures.sent == 0
    (delivery,) = deliveries(hook.id)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status == 500 and "500" in delivery.last_error
    assert delivery.due_at > t0
    assert hook_state(hook.id).failing_since == t0

    t1 = delivery.due_at
    assert deliver(t1).retried == 1
    (delivery,) = deliveries(hook.id)
    assert delivery.last_status == 429 and delivery.attempts == 2
    # The receiver asked for two minutes: the outbox's own wait (about 5 minutes after
    # the second attempt) is longer, and never shorter than Retry-After.
    assert delivery.due_at - t1 >= timedelta(seconds=120)
    assert deliver(t1 + timedelta(seconds=119)).sent == 0
    assert len(httpserver.log) == 2

    t2 = delivery.due_at
    assert deliver(t2).sent == 1
    (delivery,) = deliveries(hook.id)
    assert delivery.status == "sent" and delivery.attempts == 3 and delivery.last_status == 200
    state = hook_state(hook.id)
    assert state.failing_since is None and state.last_success_at == t2 and state.active
    httpserver.check_assertions()

    posts = received(httpserver)
    assert len(posts) == 3
    ids = {headers["Webhook-Id"] for _body, headers in posts}
    assert ids == {f"msg_{delivery.id}"}  # the same id on every retry
    for body, headers in posts:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        assert Verifier(hook.secret).verify(raw, headers) == body
        assert body["type"] == "thread.created"
        assert body["data"]["thread"]["title"] == "Nos temps d'écoute"
        assert body["data"]["thread"]["url"].startswith(PUBLIC_URL + "/t/")
        assert body["timestamp"].endswith("Z")


def test_the_signature_verifies_on_the_raw_body(httpserver, make_hook, new_thread, deliver):
    hook = make_hook(httpserver.url_for("/signed"), kind="generic")
    httpserver.expect_request("/signed").respond_with_data("", 204)
    new_thread()
    deliver(utcnow())
    (request, _response) = httpserver.log[0]
    assert Verifier(hook.secret).verify(request.get_data(), dict(request.headers))
    with pytest.raises(Exception, match="signature"):
        Verifier("whsec_" + "A" * 43 + "=").verify(request.get_data(), dict(request.headers))


def in_default_language(app, message: str, **values) -> str:
    """``message`` as the app writes it in its default language (French)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext(message, **values)


def test_each_kind_has_its_body(app, httpserver, make_hook, new_thread, deliver):
    for kind in ("slack", "discord", "matrix"):
        make_hook(httpserver.url_for(f"/{kind}"), kind=kind)
        httpserver.expect_request(f"/{kind}").respond_with_data("ok")
    new_thread(title="Qui vient @everyone ? <!channel>", body="On en parle @room.")
    assert deliver(utcnow()).sent == 3
    bodies = {req.path.strip("/"): json.loads(req.get_data()) for req, _ in httpserver.log}

    slack = bodies["slack"]
    assert set(slack) == {"text"}
    assert slack["text"].startswith("**[cercle-")
    title = "Qui vient @\u200beveryone ? <\u200b!channel>"
    sentence = in_default_language(
        app, "%(name)s started a thread: “%(title)s”", name="Alice", title=title
    )
    assert slack["text"].startswith(f"**[cercle-1] {sentence}**")  # French, the default
    assert PUBLIC_URL + "/t/" in slack["text"]

    discord = bodies["discord"]
    assert set(discord) == {"content", "allowed_mentions"}
    assert discord["allowed_mentions"] == {"parse": []}
    assert len(discord["content"]) <= 2000

    matrix = bodies["matrix"]
    assert set(matrix) == {"text", "html"}
    assert matrix["text"] and "<strong>" in matrix["html"]
    assert f'<a href="{PUBLIC_URL}/t/' in matrix["html"]
    assert "&lt;" in matrix["html"]  # people's words are escaped

    for body in (slack["text"], discord["content"], matrix["text"], matrix["html"]):
        assert "@everyone" not in body and "@room" not in body and "<!channel>" not in body


def test_410_disables_the_hook_at_once_and_tells_the_admins(
    httpserver, make_hook, new_thread, deliver, deliveries, hook_state, thread_circle, outbox, run
):
    from app.extensions import db
    from app.notifications.models import Notification

    hook = make_hook(httpserver.url_for("/gone"))
    httpserver.expect_request("/gone").respond_with_data("gone", 410)
    new_thread(title="Première")
    new_thread(title="Deuxième")
    now = utcnow()
    assert deliver(now).failed == 1
    first, second = deliveries(hook.id)
    assert first.status == "failed" and first.last_status == 410
    assert second.status == "cancelled"  # not sent: the hook was disabled meanwhile
    assert len(httpserver.log) == 1
    state = hook_state(hook.id)
    assert not state.active and state.disabled_reason == "gone" and state.disabled_at == now

    def told():
        return [
            (n.user_id, n.kind)
            for n in db.session.scalars(
                sa.select(Notification).where(Notification.kind == "webhook_disabled")
            )
        ]

    assert run(told) == [(thread_circle.admin.id, "webhook_disabled")]
    mails = [m for m in outbox if thread_circle.admin.email in m.to]
    assert mails and "webhook" in mails[-1].subject.lower()


def test_a_day_of_failures_disables_the_hook(
    httpserver, make_hook, new_thread, deliver, deliveries, hook_state
):
    hook = make_hook(httpserver.url_for("/down"))
    httpserver.expect_request("/down").respond_with_data("down", 503)
    new_thread()
    t0 = utcnow()
    deliver(t0)
    assert hook_state(hook.id).active
    (delivery,) = deliveries(hook.id)
    later = t0 + timedelta(hours=20)
    deliver(max(later, delivery.due_at))
    assert hook_state(hook.id).active  # failing for less than a day
    (delivery,) = deliveries(hook.id)
    deliver(max(t0 + timedelta(days=1, minutes=1), delivery.due_at))
    state = hook_state(hook.id)
    assert not state.active and state.disabled_reason == "failing"
    (delivery,) = deliveries(hook.id)
    assert delivery.status == "cancelled"


def test_a_redirect_is_a_failure_never_followed(
    httpserver, make_hook, new_thread, deliver, deliveries
):
    hook = make_hook(httpserver.url_for("/moved"))
    httpserver.expect_request("/moved").respond_with_data(
        "", 302, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    httpserver.expect_request("/elsewhere").respond_with_data("ok")
    new_thread()
    assert deliver(utcnow()).retried == 1
    (delivery,) = deliveries(hook.id)
    assert delivery.status == "pending" and delivery.last_status == 302
    assert "redirect" in delivery.last_error
    assert [req.path for req, _ in httpserver.log] == ["/moved"]


def test_a_disabled_hook_gets_nothing_new(httpserver, make_hook, new_thread, deliveries, run):
    from app.extensions import db
    from app.webhooks.models import Webhook

    hook = make_hook(httpserver.url_for("/off"))

    def turn_off():
        db.session.get(Webhook, hook.id).disabled_at = utcnow()

    run(turn_off)
    new_thread()
    assert deliveries(hook.id) == []


def test_a_hook_gets_only_the_events_it_chose(
    httpserver, make_hook, new_thread, make_thread, thread_circle, deliveries, run
):
    from app.auth.models import User
    from app.extensions import db
    from app.threads.models import Thread
    from app.threads.services import add_comment

    comments = make_hook(httpserver.url_for("/c"), events=["comment"])
    thread = new_thread()

    def comment():
        add_comment(
            db.session.get(Thread, thread.id),
            author=db.session.get(User, thread_circle.members[0].id),
            body="Je viens aussi.",
            now=utcnow(),
        )

    run(comment)
    (delivery,) = deliveries(comments.id)
    assert delivery.kind == "comment.created"
    text = delivery.payload["body"]["text"]
    assert "Bruno" in text and "Je viens aussi." in text and "#comment-" in text
