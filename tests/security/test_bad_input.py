"""Bad input is a 400 (or a 404 in a path) naming the field, never a 5xx, on pages and
in the API, on both databases (run with TEST_DATABASE_URL for PostgreSQL), and nothing
is written (issue 11, items 5 and 9).

Each row of ``API_CASES`` and ``PAGE_CASES`` is one request a security review sent:
ids past 32 and 64 bits, ``1.5`` for an id, days and times off the calendar, ``²``
for a digit, JSON nested 100,000 deep, a lone surrogate, a NUL, CR/LF in a name.
"""

from __future__ import annotations

import base64
import json
import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow

BIG32 = 2**31
BIG64 = 2**63
EN = {"Accept-Language": "en"}


def cursor(*values) -> str:
    """A cursor as a client could forge one (the server's own encoding)."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def deep_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def in_days(days: int) -> str:
    from datetime import timedelta

    return (utcnow() + timedelta(days=days)).isoformat()


def soon_local() -> str:
    """A closing time two days ahead, as a page's date-and-time input sends it."""
    from datetime import timedelta

    return (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


def poll_body(**changes) -> dict:
    body = {"kind": "proposal", "title": "Une proposition", "closing_at": in_days(2)}
    body.update(changes)
    return body


# (case id, method, path, JSON body or raw text, status, field named)
API_CASES = [
    # ids past 32 and 64 bits, and not whole numbers, in bodies
    (
        "parent_id 2^31",
        "POST",
        "/api/v1/threads/{thread}/comments",
        {"body": "Oui", "parent_id": BIG32},
        400,
        "parent_id",
    ),
    (
        "parent_id 2^63",
        "POST",
        "/api/v1/threads/{thread}/comments",
        {"body": "Oui", "parent_id": BIG64},
        400,
        "parent_id",
    ),
    (
        "parent_id 1.5",
        "POST",
        "/api/v1/threads/{thread}/comments",
        {"body": "Oui", "parent_id": 1.5},
        400,
        "parent_id",
    ),
    (
        "parent_id as text",
        "POST",
        "/api/v1/threads/{thread}/comments",
        {"body": "Oui", "parent_id": "1"},
        400,
        "parent_id",
    ),
    (
        "voters 2^31",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(voters=[BIG32]),
        400,
        "voters.0",
    ),
    (
        "voters 2^63",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(voters=[BIG64]),
        400,
        "voters.0",
    ),
    (
        "agreement_id 2^63",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(agreement_change={"action": "repeal", "agreement_id": BIG64, "base_version": 1}),
        400,
        "agreement_change.agreement_id",
    ),
    (
        "base_version 2^63",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(agreement_change={"action": "repeal", "agreement_id": 1, "base_version": BIG64}),
        400,
        "agreement_change.base_version",
    ),
    (
        "dots 2^63",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(kind="dot", options=["A", "B"], dots=BIG64),
        400,
        "dots",
    ),
    (
        "member_id 2^31",
        "POST",
        "/api/v1/groups/{group}/check-ins",
        {"member_id": BIG32},
        400,
        "member_id",
    ),
    (
        "supporters 2^63",
        "POST",
        "/api/v1/groups/{group}/support-requests",
        {"kind": "listening", "urgent": False, "important": False, "supporters": [BIG64]},
        400,
        "supporters.0",
    ),
    ("notification ids 2^63", "POST", "/api/v1/notifications/read", {"ids": [BIG64]}, 400, "ids.0"),
    # ids and numbers in query strings, cursors
    (
        "limit 2^63",
        "GET",
        "/api/v1/groups/{group}/threads?limit=9223372036854775808",
        None,
        400,
        "limit",
    ),
    ("limit ²", "GET", "/api/v1/groups/{group}/threads?limit=%C2%B2", None, 400, "limit"),
    (
        "limit Arabic-Indic digits",
        "GET",
        "/api/v1/notifications?limit=%D9%A1%D9%A2",
        None,
        400,
        "limit",
    ),
    (
        "thread cursor id 2^63",
        "GET",
        "/api/v1/groups/{group}/threads?cursor=" + cursor("2026-05-12T09:30:00+00:00", BIG64),
        None,
        400,
        "cursor",
    ),
    (
        "notification cursor year 9999",
        "GET",
        "/api/v1/notifications?cursor=" + cursor("9999-12-31T23:59:59-14:00", 1),
        None,
        400,
        "cursor",
    ),
    (
        "support cursor id 2^31",
        "GET",
        "/api/v1/groups/{group}/support-requests?cursor=" + cursor("2026-05-12T09:30:00Z", BIG32),
        None,
        400,
        "cursor",
    ),
    ("deliveries limit ²", "GET", "/api/v1/webhooks/1/deliveries?limit=%C2%B2", None, 400, "limit"),
    ("diff from ²", "GET", "/api/v1/agreements/1/diff?from=%C2%B2&to=1", None, 400, "from"),
    (
        "diff to 2^63",
        "GET",
        "/api/v1/agreements/1/diff?from=1&to=9223372036854775808",
        None,
        400,
        "to",
    ),
    # days and times off the calendar
    (
        "closing_at year 1 at +14:00",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(closing_at="0001-01-01T00:00:00+14:00"),
        400,
        "closing_at",
    ),
    (
        "closing_at year 9999 at -14:00",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(closing_at="9999-12-31T23:59:59-14:00"),
        400,
        "closing_at",
    ),
    (
        "meeting slot year 1 at +14:00",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(kind="meeting", options=["0001-01-01T00:00:00+14:00", "2030-01-01T10:00:00Z"]),
        400,
        "options.0",
    ),
    (
        "meeting slot year 9999",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(kind="meeting", options=["2030-01-01T10:00:00Z", "9999-12-31T23:59:59-14:00"]),
        400,
        "options.1",
    ),
    (
        "rules as_of 9999-12-31",
        "GET",
        "/api/v1/groups/{group}/rules?as_of=9999-12-31",
        None,
        400,
        "as_of",
    ),
    (
        "agreements as_of year 1",
        "GET",
        "/api/v1/groups/{group}/agreements?as_of=0001-01-01T00:00:00%2B14:00",
        None,
        400,
        "as_of",
    ),
    (
        "check-ins as_of 9999-12-31",
        "GET",
        "/api/v1/groups/{group}/check-ins?as_of=9999-12-31",
        None,
        400,
        "as_of",
    ),
    (
        "availability_until 9999-12-31",
        "PATCH",
        "/api/v1/groups/{group}/memberships/me",
        {"availability": "away", "availability_until": "9999-12-31"},
        400,
        "availability_until",
    ),
    (
        "support time year 1",
        "POST",
        "/api/v1/groups/{group}/support-times",
        {"at": "0001-01-01T00:00:00+14:00"},
        400,
        "at",
    ),
    (
        "review_on 9999-12-31",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(
            agreement_change={
                "action": "adopt",
                "title": "T",
                "body": "B",
                "rules": {},
                "review_on": "9999-12-31",
            }
        ),
        400,
        "agreement_change.review_on",
    ),
    # JSON nested 100,000 deep, with and without a token
    ("deep JSON, no token", "POST", "/api/v1/users", deep_json(), 400, "body"),
    (
        "deep JSON in an object",
        "POST",
        "/api/v1/users",
        '{"name": ' + deep_json() + "}",
        400,
        "body",
    ),
    ("deep JSON on tokens", "POST", "/api/v1/tokens", deep_json(), 400, "body"),
    ("deep JSON with a token", "POST", "/api/v1/groups", deep_json(), 400, "body"),
    # a number longer than Python reads from a string (4,300 digits): a ValueError
    (
        "5,000-digit number, no token",
        "POST",
        "/api/v1/users",
        '{"name": 1' + "0" * 5000 + "}",
        400,
        "body",
    ),
    (
        "5,000-digit parent_id",
        "POST",
        "/api/v1/threads/{thread}/comments",
        '{"body": "Oui", "parent_id": 1' + "0" * 5000 + "}",
        400,
        "body",
    ),
    # lone surrogates, NUL and controls in text
    (
        "lone surrogate in a name, no token",
        "POST",
        "/api/v1/users",
        '{"email": "s@example.org", "name": "\\ud800", "password": "a long enough one"}',
        400,
        "name",
    ),
    (
        "lone surrogate in a password",
        "POST",
        "/api/v1/users",
        '{"email": "s@example.org", "name": "S", "password": "a long enough one\\udfff"}',
        400,
        "password",
    ),
    (
        "NUL in a thread title",
        "POST",
        "/api/v1/groups/{group}/threads",
        {"title": "a\x00b", "body": "x"},
        400,
        "title",
    ),
    (
        "NUL in a comment",
        "POST",
        "/api/v1/threads/{thread}/comments",
        {"body": "a\x00b"},
        400,
        "body",
    ),
    (
        "NUL in a group description",
        "PATCH",
        "/api/v1/groups/{group}",
        {"description": "a\x00"},
        400,
        "description",
    ),
    (
        "NUL in a poll option",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(kind="choice", options=["A", "B\x00"]),
        400,
        "options.1",
    ),
    (
        "NUL in a rule key",
        "POST",
        "/api/v1/threads/{thread}/polls",
        poll_body(
            agreement_change={"action": "adopt", "title": "T", "body": "B", "rules": {"a\x00": 1}}
        ),
        400,
        "agreement_change.rules",
    ),
    ("NUL in a stance key", "PUT", "/api/v1/polls/{poll}/stance", {"key": "agree\x00"}, 400, "key"),
    (
        "NUL in a query string",
        "GET",
        "/api/v1/groups/{group}/support-requests?status=%00",
        None,
        400,
        "status",
    ),
    (
        "CR/LF in a group name",
        "POST",
        "/api/v1/groups",
        {"name": "Cercle\r\nBcc: x@example.org"},
        400,
        "name",
    ),
    ("CR/LF in a renamed group", "PATCH", "/api/v1/groups/{group}", {"name": "A\nB"}, 400, "name"),
    (
        "CR/LF in a display name",
        "POST",
        "/api/v1/users",
        {
            "email": "c@example.org",
            "name": "Claire\r\nBcc: x@example.org",
            "password": "a long enough one",
        },
        400,
        "name",
    ),
    (
        "CR/LF in an invited address",
        "POST",
        "/api/v1/groups/{group}/memberships",
        {"email": "x@example.org\r\nBcc: y@example.org"},
        400,
        "email",
    ),
    (
        "a tab in a thread title",
        "POST",
        "/api/v1/groups/{group}/threads",
        {"title": "a\tb"},
        400,
        "title",
    ),
    # paths
    ("NUL in a handle", "GET", "/api/v1/groups/a%00b", None, 404, None),
    ("lone surrogate in a handle", "GET", "/api/v1/groups/%ED%A0%80", None, 404, None),
    ("Arabic-Indic digits as an id", "GET", "/api/v1/threads/%D9%A1", None, 404, None),
]

PAGE_CASES = [
    # (case id, method, path, form data, status, field named on the page)
    ("page 2^63", "GET", "/g/{group}?page=9223372036854775808", None, 400, "page"),
    ("page ²", "GET", "/notifications?page=%C2%B2", None, 400, "page"),
    (
        "notifications page past 64 bits",
        "GET",
        "/notifications?page=99999999999999999999",
        None,
        400,
        "page",
    ),
    ("as_of 9999-12-31", "GET", "/g/{group}/agreements?as_of=9999-12-31", None, 400, "as_of"),
    ("as_of year 1", "GET", "/g/{group}/agreements?as_of=0001-01-01", None, 400, "as_of"),
    (
        "parent_id 2^31",
        "POST",
        "/t/{thread}/comments",
        {"body": "Oui", "parent_id": str(BIG32)},
        400,
        "parent_id",
    ),
    (
        "parent_id ²",
        "POST",
        "/t/{thread}/comments",
        {"body": "Oui", "parent_id": "²"},
        400,
        "parent_id",
    ),
    (
        "closing_at year 9999",
        "POST",
        "/t/{thread}/polls/new?kind=proposal",
        {
            "title": "P",
            "closing_at": "9999-12-31T23:59",
            "reasons": "optional",
            "results_visibility": "always",
            "voters_mode": "all",
        },
        400,
        "closing_at",
    ),
    (
        "closing_at year 1",
        "POST",
        "/t/{thread}/polls/new?kind=proposal",
        {
            "title": "P",
            "closing_at": "0001-01-01T00:00",
            "reasons": "optional",
            "results_visibility": "always",
            "voters_mode": "all",
        },
        400,
        "closing_at",
    ),
    (
        "meeting slot year 1 at +14:00",
        "POST",
        "/t/{thread}/polls/new?kind=meeting",
        {
            "title": "P",
            "closing_at": "2030-01-01T10:00",
            "reasons": "optional",
            "options": "0001-01-01T00:00:00+14:00\n2030-01-02 10:00",
            "results_visibility": "always",
            "voters_mode": "all",
        },
        400,
        "options",
    ),
    (
        "dots 2^63",
        "POST",
        "/t/{thread}/polls/new?kind=dot",
        {
            "title": "P",
            "closing_at": "2030-01-01T10:00",
            "reasons": "optional",
            "options": "A\nB",
            "dots": str(BIG64),
            "results_visibility": "always",
            "voters_mode": "all",
        },
        400,
        "dots",
    ),
    (
        "voters past 64 bits",
        "POST",
        "/t/{thread}/polls/new?kind=proposal",
        {
            "title": "P",
            "closing_at": soon_local(),
            "reasons": "optional",
            "results_visibility": "always",
            "voters_mode": "named",
            "voters": str(BIG64 * 10),
        },
        400,
        "voters",
    ),
    (
        "voters in Arabic-Indic digits",
        "POST",
        "/t/{thread}/polls/new?kind=proposal",
        {
            "title": "P",
            "closing_at": soon_local(),
            "reasons": "optional",
            "results_visibility": "always",
            "voters_mode": "named",
            "voters": "\u0661",
        },
        400,
        "voters",
    ),
    (
        "away until 9999-12-31",
        "POST",
        "/g/{group}/support/availability",
        {"availability": "away", "until": "9999-12-31"},
        400,
        "until",
    ),
    ("NUL in a comment", "POST", "/t/{thread}/comments", {"body": "a\x00b"}, 400, "body"),
    (
        "NUL in a thread title",
        "POST",
        "/g/{group}/threads/new",
        {"title": "a\x00", "body": ""},
        400,
        "title",
    ),
    (
        "CR/LF in a thread title",
        "POST",
        "/g/{group}/threads/new",
        {"title": "a\r\nb", "body": ""},
        400,
        "title",
    ),
    (
        "CR/LF in a new group's name",
        "POST",
        "/groups/new",
        {"name": "Cercle\r\nBcc: x@example.org", "handle": "cercle-crlf", "privacy": "secret"},
        400,
        "name",
    ),
    (
        "CR/LF in a group's new name",
        "POST",
        "/g/{group}/settings",
        {"name": "Cercle\r\nBcc: x@example.org", "privacy": "secret"},
        400,
        "name",
    ),
    (
        "CR/LF in a display name",
        "POST",
        "/profile",
        {
            "profile-name": "Alice\r\nBcc: x@example.org",
            "profile-handle": "alice",
            "profile-locale": "en",
            "profile-timezone": "UTC",
        },
        400,
        "profile-name",
    ),
    (
        "CR/LF in an invited address",
        "POST",
        "/g/{group}/invitations",
        {"email": "x@example.org\r\nBcc: y@example.org", "days": "7"},
        400,
        "email",
    ),
    ("NUL in a query string", "GET", "/g/{group}/agreements?as_of=%00", None, 400, "as_of"),
    ("NUL in a handle", "GET", "/g/a%00b", None, 404, None),
    ("NUL in a handle, posted", "POST", "/g/a%00b/join", {}, 404, None),
    ("NUL in a token", "GET", "/invitations/a%00b", None, 404, None),
    ("Arabic-Indic digits as an id", "GET", "/t/%D9%A1", None, 404, None),
]


def _rows(app) -> dict[str, int]:
    with app.app_context():
        counts = {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


@pytest.fixture
def place(thread_circle, run):
    """The circle, its thread and an open proposal; paths are formatted with these."""
    from app.auth.models import User
    from app.polls.services import create_poll
    from app.threads.models import Thread

    def make_poll():
        from datetime import timedelta

        now = utcnow()
        poll = create_poll(
            db.session.get(Thread, thread_circle.thread.id),
            author=db.session.get(User, thread_circle.admin.id),
            kind="proposal",
            title="Une proposition",
            closing_at=now + timedelta(days=1),
            now=now,
        )
        return poll.id

    poll_id = run(make_poll)
    return SimpleNamespace(
        admin=thread_circle.admin,
        fields={
            "group": thread_circle.group.handle,
            "thread": thread_circle.thread.id,
            "poll": poll_id,
        },
    )


def _send(client, method, path, body, headers):
    if body is None:
        return client.open(path, method=method, headers=headers)
    if isinstance(body, str):
        return client.open(
            path, method=method, data=body, content_type="application/json", headers=headers
        )
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [pytest.param(*case[1:], id=case[0]) for case in API_CASES],
)
def test_api_refuses_bad_input(
    app, client, api_as, place, error_of, method, path, body, status, field
):
    """The documented error shape, the field named, and nothing written."""
    api = api_as(place.admin)
    headers = {**EN, "Accept": "application/json"}
    if not path.startswith(("/api/v1/users", "/api/v1/tokens")):
        headers["Authorization"] = f"Bearer {api.token}"
    before = _rows(app)
    response = _send(client, method, path.format(**place.fields), body, headers)
    error = error_of(response, status)
    if field is not None:
        assert field in error["fields"], error
    assert _rows(app) == before


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "field"),
    [pytest.param(*case[1:], id=case[0]) for case in PAGE_CASES],
)
def test_pages_refuse_bad_input(app, client, auth, place, method, path, data, status, field):
    """A page with the status, naming the field, and nothing written."""
    auth.login(place.admin)
    before = _rows(app)
    url = path.format(**place.fields)
    if method == "GET":
        response = client.get(url, headers=EN)
    else:
        response = client.post(url, data=data, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:3000]
    assert response.mimetype == "text/html"
    if field is not None:
        # named in the error page's list, or the form's field shows its error
        named = f"<code>{field}</code>" in html or re.search(
            rf'(id|for|name)="{re.escape(field)}"[^>]*>.*?class="[^"]*error', html, re.S
        )
        assert named, html[:3000]
    assert _rows(app) == before


# -- ids past 2^31 on every route: 404, never 405 or 500 ----------------------------------


def _routes_with_ids(app):
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.rule, method


def _all_id_routes():
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(set(_routes_with_ids(app)))


@pytest.mark.parametrize("number", [BIG32, BIG64, 10**30])
def test_ids_past_32_bits_are_404_on_every_route(app, client, auth, api_as, place, number):
    """Every route with an id in its path, for each of its methods (GET, POST, PUT, PATCH,
    DELETE), signed in and with a token: 404 in the error shape, never 405 or 500."""
    token = api_as(place.admin).token
    auth.login(place.admin)
    wrong = []
    for rule, method in _all_id_routes():
        path = re.sub(r"<int:[^>]+>", str(number), rule)
        path = re.sub(
            r"<[^>]+>", lambda m: place.fields["group"] if "handle" in m[0] else "x", path
        )
        if path.startswith("/api/"):
            headers = {"Authorization": f"Bearer {token}", **EN}
            response = client.open(path, method=method, json={}, headers=headers)
            code = (response.get_json() or {}).get("error", {}).get("code")
            if response.status_code != 404 or code != "not_found":
                wrong.append((method, path, response.status_code, code))
        else:
            response = client.open(path, method=method, data={}, headers=EN)
            if response.status_code != 404:
                wrong.append((method, path, response.status_code))
    assert wrong == []


# -- CR/LF in names already stored: the invitation email still goes -------------------------


def test_an_invitation_from_names_stored_with_line_breaks_is_sent_on_one_line(
    app, client, auth, make_user, make_group, outbox
):
    """Names written before they were checked (services and older versions took them)
    put no line break in an email's subject: the invitation is sent, not a 500."""
    admin = make_user(name="Alice\r\nBcc: x@example.org")
    group = make_group(admin, name="Cercle\r\nBcc: y@example.org")
    auth.login(admin)
    response = client.post(
        f"/g/{group.handle}/invitations",
        data={"email": "zoe@example.org", "days": "14", "role": "member"},
        headers=EN,
    )
    assert response.status_code == 302
    [message] = outbox
    assert message.to == ["zoe@example.org"]
    assert "\r" not in message.subject and "\n" not in message.subject
    assert "Alice Bcc: x@example.org" in message.subject
    assert message.bcc == []
