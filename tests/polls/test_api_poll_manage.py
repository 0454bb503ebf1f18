"""Polls API: closing early, reopening, reminders, the outcome statement, the CSV export
and the OpenAPI document."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from fixtures.poll_api import EN, in_hours, parse

from app.extensions import db
from app.timeutil import utcnow


def path(poll, action=""):
    return f"/api/v1/polls/{poll['id']}" + (f"/{action}" if action else "")


# -- closing ------------------------------------------------------------------------


def test_the_author_or_an_admin_closes_a_poll(
    api, thread_circle, start_poll, error_of, closed_hook
):
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    poll = start_poll("choice", by=bruno)
    api(chloe).put(path(poll, "stance"), json={"key": "o1"})
    error_of(api(chloe).post(path(poll, "close")), 403, "forbidden")
    error_of(api(None).post(path(poll, "close")), 401)

    response = api(bruno).post(path(poll, "close"))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"outcome", "poll"}
    assert body["outcome"] is None  # only proposals have an outcome
    closed = body["poll"]
    assert closed["status"] == "closed" and closed["outcome"] is None
    assert parse(closed["closed_at"]) <= utcnow() < parse(closed["closing_at"])
    assert (closed["participants"], closed["eligible"]) == (1, 4)
    assert len(closed_hook) == 1

    again = api(bruno).post(path(poll, "close"), headers=EN)
    assert error_of(again, 409, "poll_closed")["message"].startswith("This poll closed on ")
    assert len(closed_hook) == 1

    proposal = start_poll(by=bruno)
    response = api(thread_circle.admin).post(path(proposal, "close"), headers=EN)
    assert response.status_code == 200
    outcome = response.get_json()["outcome"]
    assert outcome is not None and outcome["adopted"] is False  # nobody took part
    assert response.get_json()["poll"]["outcome"] == outcome


def test_closing_after_the_closing_time_is_409(api, thread_circle, start_poll, move_closing,
                                               error_of, closed_hook):  # fmt: skip
    poll = start_poll()
    closing = utcnow() - timedelta(minutes=1)
    move_closing(poll["id"], closing)
    error_of(api(thread_circle.admin).post(path(poll, "close")), 409, "poll_closed")
    assert closed_hook == [(poll["id"], closing)]  # finalised as of its closing time
    data = api(thread_circle.admin).get(path(poll)).get_json()
    assert parse(data["closed_at"]) == closing


# -- reopening --------------------------------------------------------------------------


def test_reopen_a_closed_poll(api, thread_circle, start_poll, error_of):
    poll = start_poll(by=thread_circle.members[0])
    api(thread_circle.members[1]).put(path(poll, "stance"), json={"key": "abstain"})
    new_closing = in_hours(72)
    error_of(
        api(thread_circle.admin).post(path(poll, "reopen"), json={"closing_at": new_closing}),
        409,
        "poll_open",
    )
    api(thread_circle.admin).post(path(poll, "close"))
    error_of(
        api(thread_circle.members[1]).post(path(poll, "reopen"), json={"closing_at": new_closing}),
        403,
        "forbidden",
    )
    for bad in ("2030-01-01T10:00:00", "2020-01-01T10:00:00Z", None):
        error = error_of(
            api(thread_circle.admin).post(path(poll, "reopen"), json={"closing_at": bad}), 400
        )
        assert "closing_at" in error["fields"]
    assert "closing_at" in error_of(api(thread_circle.admin).post(path(poll, "reopen"), json={}),
                                    400)["fields"]  # fmt: skip

    response = api(thread_circle.members[0]).post(
        path(poll, "reopen"), json={"closing_at": new_closing}
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "open" and data["closed_at"] is None
    assert data["closing_at"] == new_closing
    assert data["participants"] == 1  # the stances are kept
    vote = api(thread_circle.members[2]).put(path(poll, "stance"), json={"key": "agree"})
    assert vote.status_code == 200


def test_an_anonymous_poll_cannot_be_reopened(api, thread_circle, start_poll, error_of):
    poll = start_poll(anonymous=True)
    api(thread_circle.admin).post(path(poll, "close"))
    response = api(thread_circle.admin).post(
        path(poll, "reopen"), json={"closing_at": in_hours(24)}, headers=EN
    )
    error = error_of(response, 409, "poll_not_reopenable")
    assert error["message"] == "An anonymous poll cannot be reopened."


def test_a_due_poll_can_be_reopened(api, thread_circle, start_poll, move_closing):
    poll = start_poll()
    move_closing(poll["id"], utcnow() - timedelta(hours=1))
    response = api(thread_circle.admin).post(path(poll, "reopen"), json={"closing_at": in_hours(5)})
    assert response.status_code == 200 and response.get_json()["status"] == "open"


# -- reminding -----------------------------------------------------------------------------


@pytest.fixture
def poll_notifications(run):
    """``poll_notifications(poll_id)`` → ``[(user_id, kind, actor_id, message)]`` of the
    reminders about that poll."""
    from app.notifications.models import Notification

    def read(poll_id):
        rows = run(
            lambda: db.session.execute(
                sa.select(
                    Notification.user_id,
                    Notification.kind,
                    Notification.actor_id,
                    Notification.message,
                )
                .where(Notification.poll_id == poll_id, Notification.kind == "poll_remind")
                .order_by(Notification.user_id)
            ).all()
        )
        return [tuple(r) for r in rows]

    return read


def test_remind_those_who_have_not_voted(
    api, thread_circle, start_poll, error_of, poll_notifications
):
    bruno, chloe, david = thread_circle.members
    poll = start_poll(by=bruno)
    api(chloe).put(path(poll, "stance"), json={"key": "agree"})
    error_of(api(david).post(path(poll, "remind"), json={}), 403, "forbidden")

    response = api(bruno).post(path(poll, "remind"), json={"message": "  On compte sur vous !  "})
    assert response.status_code == 200
    assert response.get_json() == {"reminded": 2}  # Alice and David; not Chloé, not Bruno
    assert poll_notifications(poll["id"]) == [
        (thread_circle.admin.id, "poll_remind", bruno.id, "On compte sur vous !"),
        (david.id, "poll_remind", bruno.id, "On compte sur vous !"),
    ]

    response = api(thread_circle.admin).post(path(poll, "remind"))  # no body: no message
    assert response.get_json() == {"reminded": 2}  # Bruno and David
    assert (bruno.id, "poll_remind", thread_circle.admin.id, None) in poll_notifications(poll["id"])

    error = error_of(api(bruno).post(path(poll, "remind"), json={"message": "x" * 1001}), 400)
    assert "message" in error["fields"]
    api(bruno).post(path(poll, "close"))
    error_of(api(bruno).post(path(poll, "remind"), json={}), 409, "poll_closed")


def test_remind_reaches_only_named_voters(api, thread_circle, start_poll, poll_notifications):
    bruno, chloe, _david = thread_circle.members
    poll = start_poll(voters=[bruno.id, chloe.id])
    assert api(thread_circle.admin).post(path(poll, "remind")).get_json() == {"reminded": 2}
    assert [r[0] for r in poll_notifications(poll["id"])] == sorted([bruno.id, chloe.id])


# -- the statement -----------------------------------------------------------------------


def test_the_outcome_statement(api, thread_circle, start_poll, error_of):
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    poll = start_poll(by=bruno)
    text = {"text": "Nous restons en **présentiel**.", "review_on": "2031-01-15"}
    error = error_of(api(bruno).put(path(poll, "statement"), json=text, headers=EN), 409)
    assert error["code"] == "poll_open"
    api(bruno).post(path(poll, "close"))
    error_of(api(chloe).put(path(poll, "statement"), json=text), 403, "forbidden")
    error_of(api(None).put(path(poll, "statement"), json=text), 401)
    for bad, field in (
        ({"text": ""}, "text"),
        ({}, "text"),
        ({"text": "Ok", "review_on": "2020-01-01"}, "review_on"),
        ({"text": "Ok", "review_on": "bientôt"}, "review_on"),
    ):
        assert field in error_of(api(bruno).put(path(poll, "statement"), json=bad), 400)["fields"]

    response = api(bruno).put(path(poll, "statement"), json=text)
    assert response.status_code == 200
    statement = response.get_json()
    assert statement["text"] == "Nous restons en **présentiel**."
    assert "<strong>présentiel</strong>" in statement["text_html"]
    assert statement["review_on"] == "2031-01-15"
    assert statement["author"]["id"] == bruno.id
    assert statement["written_at"].endswith("Z")
    assert api(chloe).get(path(poll)).get_json()["statement"] == statement

    # an admin may rewrite it; no review date then
    rewritten = api(thread_circle.admin).put(path(poll, "statement"), json={"text": "Décidé."})
    assert rewritten.get_json()["review_on"] is None
    assert rewritten.get_json()["author"]["id"] == thread_circle.admin.id


def test_a_statement_on_a_due_poll_closes_it_first(api, thread_circle, start_poll, move_closing):
    poll = start_poll()
    move_closing(poll["id"], utcnow() - timedelta(minutes=1))
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = api(thread_circle.admin).put(
        path(poll, "statement"), json={"text": "Clos.", "review_on": tomorrow}
    )
    assert response.status_code == 200
    assert api(thread_circle.admin).get(path(poll)).get_json()["status"] == "closed"


# -- export --------------------------------------------------------------------------------


def sections(response) -> list[list[list[str]]]:
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    out, current = [], []
    for row in rows:
        if not row:
            out.append(current)
            current = []
        else:
            current.append(row)
    out.append(current)
    return out


def test_export_results_and_stances_as_csv(api, thread_circle, start_poll):
    poll = start_poll(title="=Zoom ?")
    bruno, chloe = thread_circle.members[0], thread_circle.members[1]
    api(bruno).put(path(poll, "stance"), json={"key": "agree", "reason": "=HYPERLINK(1)"})
    api(chloe).put(path(poll, "stance"), json={"key": "block", "reason": "Pas d'écran pour moi"})
    response = api(thread_circle.admin).get(path(poll, "export.csv"), headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    # named after the title (what would be a formula or a path in it is left out)
    assert disposition == "attachment; filename=\"Zoom.csv\"; filename*=UTF-8''%3DZoom.csv"
    about, results, participation, stances = sections(response)
    assert about[1][:3] == ["'=Zoom ?", "proposal", "open"]  # no formula in a spreadsheet
    assert results[0][:4] == ["Key", "Option", "Count", "Percent of points"]
    assert [r[:4] for r in results[1:]] == [
        ["agree", "Agree", "1", "50.0"], ["abstain", "Abstain", "0", "0.0"],
        ["disagree", "Disagree", "0", "0.0"], ["block", "Block", "1", "50.0"],
        ["", "Undecided", "2", "50.0"],
    ]  # fmt: skip
    assert results[1][-1] == bruno.name
    assert participation == [["Participants", "Eligible", "Participation (%)"], ["2", "4", "50"]]
    assert stances[0] == ["Voter id", "Voter", "Choice", "Reason", "Time"]
    assert [row[:4] for row in stances[1:]] == [
        [str(bruno.id), bruno.name, "Agree", "'=HYPERLINK(1)"],
        [str(chloe.id), chloe.name, "Block", "Pas d'écran pour moi"],
    ]


def test_export_of_an_anonymous_poll_names_nobody(api, thread_circle, start_poll, error_of):
    poll = start_poll("score", anonymous=True)
    api(thread_circle.members[0]).put(
        path(poll, "stance"), json={"scores": {"o1": 5, "o2": 1, "o3": 0}}
    )
    api(thread_circle.members[1]).put(
        path(poll, "stance"), json={"scores": {"o1": 3, "o2": 2, "o3": 4}}
    )
    # open: no file at all (it would be a live result)
    error_of(api(thread_circle.admin).get(path(poll, "export.csv")), 409, "results_hidden")
    api(thread_circle.admin).post(path(poll, "close"))
    for _ in range(2):  # closed (voters erased), twice: the same file
        response = api(thread_circle.admin).get(path(poll, "export.csv"), headers=EN)
        text = response.get_data(as_text=True)
        assert (
            thread_circle.members[0].name not in text and thread_circle.members[1].name not in text
        )
        _about, results, _participation, stances = sections(response)
        assert results[0] == [
            *("Key", "Option", "Count", "Percent of points"),
            *("Total", "Rank", "Average", "Voters"),
        ]
        assert results[1][:7] == ["o1", "Zoom", "2", "53.3", "8", "1", "4.0"]
        assert sorted(row[2] for row in stances[1:]) == [
            "Zoom: 3 · Jitsi: 2 · En vrai: 4", "Zoom: 5 · Jitsi: 1 · En vrai: 0"
        ]  # fmt: skip
        assert all(row[0] == row[1] == row[4] == "" for row in stances[1:])


def test_export_of_hidden_results_is_refused(api, thread_circle, make_user, start_poll, error_of):
    poll = start_poll(results_visibility="after_vote", by=thread_circle.members[0])
    response = api(thread_circle.members[0]).get(path(poll, "export.csv"), headers=EN)
    assert error_of(response, 409, "results_hidden")["message"]
    api(thread_circle.members[0]).put(path(poll, "stance"), json={"key": "agree"})
    assert api(thread_circle.members[0]).get(path(poll, "export.csv")).status_code == 200
    # Another member, who may see the results too, reads them with GET /polls/{id}.
    api(thread_circle.members[1]).put(path(poll, "stance"), json={"key": "agree"})
    error_of(api(thread_circle.members[1]).get(path(poll, "export.csv")), 403)
    error_of(
        api(thread_circle.members[0]).get(path(poll, "export.csv"), query_string={"format": "x"}),
        400,
    )
    error_of(api(make_user()).get(path(poll, "export.csv")), 404, "not_found")
    error_of(api(None).get(path(poll, "export.csv")), 401)


# -- the OpenAPI document ---------------------------------------------------------------------


def test_every_poll_operation_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {
        ("/api/v1/threads/{thread_id}/polls", "post"): {"201", "400", "401", "403", "404", "409"},
        ("/api/v1/polls/{poll_id}", "get"): {"200", "404"},
        ("/api/v1/polls/{poll_id}/stance", "put"): {"200", "400", "403", "404", "409"},
        ("/api/v1/polls/{poll_id}/stance", "delete"): {"204", "404", "409"},
        ("/api/v1/polls/{poll_id}/close", "post"): {"200", "403", "404", "409"},
        ("/api/v1/polls/{poll_id}/reopen", "post"): {"200", "400", "403", "404", "409"},
        ("/api/v1/polls/{poll_id}/remind", "post"): {"200", "403", "404", "409"},
        ("/api/v1/polls/{poll_id}/statement", "put"): {"200", "400", "403", "404", "409"},
        ("/api/v1/polls/{poll_id}/export.csv", "get"): {"200", "400", "403", "404", "409"},
    }
    for (route, method), statuses in operations.items():
        operation = spec["paths"][route][method]
        assert operation["security"] == [{"bearerAuth": []}], route
        assert statuses <= set(operation["responses"]), (route, operation["responses"].keys())
        assert operation.get("summary") or operation.get("description"), route
    export = spec["paths"]["/api/v1/polls/{poll_id}/export.csv"]["get"]["responses"]["200"]
    assert "text/csv" in export["content"]
    create = spec["paths"]["/api/v1/threads/{thread_id}/polls"]["post"]
    assert "requestBody" in create
    schemas = spec["components"]["schemas"]
    poll_schema = next(s for name, s in schemas.items() if name.startswith("Poll") and
                       "participation_percent" in s.get("properties", {}))  # fmt: skip
    assert {"results", "stances", "my_stance", "outcome", "statement"} <= set(
        poll_schema["properties"]
    )
