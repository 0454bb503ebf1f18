"""The evening of the story, end to end through real servers: Malik asks for listening,
urgent and important. The two available supporters get an email and a Mattermost post
at once; nobody answers in 30 minutes, so the whole circle is told, as agreed; Odile
answers «je suis disponible» and the others learn that Malik is with someone.

Everything leaves through the outbox, sent by ``flask jobs run``: a real SMTP server
(aiosmtpd) and a real HTTP receiver (pytest-httpserver) on 127.0.0.1.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fixtures.smtp import parts

from app.timeutil import utcnow

EN = {"Accept-Language": "en"}
MESSAGE = "Une soirée difficile, j'aimerais parler à quelqu'un."


@pytest.fixture
def app_config(mail_app_config):
    """Emails to the test SMTP server; the chat server lives on the loopback."""
    return {**mail_app_config, "WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def thread_circle(seed_thread_circle):
    return seed_thread_circle


def _jobs(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    return result.output


def _posts(httpserver) -> list[str]:
    return [json.loads(request.get_data())["text"] for request, _ in httpserver.log]


def test_malik_is_heard_by_email_and_mattermost_then_the_circle_then_odile(
    app, api, listening_circle, ask_support, move_request, set_membership, smtp, httpserver
):
    malik, odile, bruno, chloe = listening_circle.people
    group = listening_circle.group
    httpserver.expect_request("/hooks/cercle", method="POST").respond_with_data("ok")
    hook = api(malik).post(
        f"/api/v1/groups/{group.handle}/webhooks",
        json={
            "kind": "slack",
            "url": httpserver.url_for("/hooks/cercle"),
            "events": ["support_request"],
        },
        headers=EN,
    )
    assert hook.status_code == 201, hook.get_json()
    set_membership(bruno, group, availability="busy")
    _jobs(app)  # what the circle's agreement already told everyone
    smtp.clear()

    request = ask_support(malik, group, body=MESSAGE, when="ce soir")
    assert smtp.messages == [] and httpserver.log == [], "nothing leaves from a request"
    _jobs(app)

    # At once: the two available supporters, by email; the room, without the message.
    asked = {person.email for person in (odile, chloe)}
    assert {m["To"] for m in smtp.messages} == asked
    for person in (odile, chloe):
        [email] = smtp.to(person.email)
        assert email["Subject"].strip().startswith(f"[{group.handle}]")
        assert email["In-Reply-To"] == f"<support/{request['id']}@cercle.example.org>"
        text = parts(email)["text/plain"]
        assert MESSAGE in text
        assert f"https://cercle.example.org/s/{request['id']}" in text
    assert smtp.to(bruno.email) == [], "busy: asked only if it escalates"
    [post] = _posts(httpserver)
    assert MESSAGE not in post and malik.name not in post
    assert f"/s/{request['id']}" in post

    # Thirty minutes without an answer: the whole circle, Bruno included, once.
    move_request(request["id"], escalate_at=utcnow() - timedelta(minutes=1))
    _jobs(app)
    [escalated] = smtp.to(bruno.email)
    assert MESSAGE in parts(escalated)["text/plain"]
    assert escalated["In-Reply-To"] == f"<support/{request['id']}@cercle.example.org>"
    _jobs(app)
    assert len(smtp.to(bruno.email)) == 1, "told once"
    assert len(_posts(httpserver)) == 2, "the room hears of the escalation"

    # Odile answers; Malik learns it, and the others that someone is with him.
    answer = api(odile).post(
        f"/api/v1/support-requests/{request['id']}/responses",
        json={"available": True, "message": "je suis disponible"},
        headers=EN,
    )
    assert answer.status_code == 201, answer.get_json()
    smtp.clear()
    _jobs(app)
    [to_malik] = smtp.to(malik.email)
    assert odile.name in parts(to_malik)["text/plain"]
    for person in (bruno, chloe):
        [taken] = smtp.to(person.email)
        assert malik.name in parts(taken)["text/plain"]
        assert MESSAGE not in parts(taken)["text/plain"], "the message stays with the match"
    assert smtp.to(odile.email) == [], "nobody is told of their own answer"
    assert len(_posts(httpserver)) == 3
    assert all(count == 1 for count in smtp.message_ids().values())
