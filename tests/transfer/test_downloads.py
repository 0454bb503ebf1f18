"""Downloads: the whole circle (admins, page and API), the agreements page and a thread
as Markdown (whoever may read them, showing only what the pages show them)."""

from __future__ import annotations

import json

import pytest

REASON = "Je ne suis pas prête, pour des raisons personnelles."


@pytest.fixture
def circle(thread_circle, make_user):
    """Alice admin, Bruno, Chloé and David members, and an outsider."""
    thread_circle.outsider = make_user(name="Zoé Dehors")
    return thread_circle


def test_an_admin_downloads_the_circle_from_its_settings(circle, page, client, auth):
    status, html = page(f"/g/{circle.group.handle}/settings", user=circle.admin)
    assert status == 200
    link = f'href="/g/{circle.group.handle}/export"'
    assert link in html and "Download the circle (JSON)" in html
    response = client.get(f"/g/{circle.group.handle}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="cercle-{circle.group.handle}-'
    )
    document = json.loads(response.get_data(as_text=True))
    assert document["format"] == "cercle-group" and document["version"] == 1
    assert document["group"]["handle"] == circle.group.handle
    assert {u["name"] for u in document["users"]} == {"Alice", "Bruno", "Chloé", "David"}
    assert [t["title"] for t in document["threads"]] == ["Une discussion"]
    assert "password_hash" not in document["users"][0]


def test_only_admins_download_the_circle(circle, client, auth):
    url = f"/g/{circle.group.handle}/export"
    auth.login(circle.members[0])
    assert client.get(url).status_code == 403
    auth.login(circle.outsider)
    assert client.get(url).status_code == 404  # a secret circle
    auth.logout()
    assert client.get(url).status_code in (302, 401)


def test_the_api_exports_the_circle_for_its_admins(circle, api, api_as):
    url = f"/api/v1/groups/{circle.group.handle}/export"
    response = api(circle.admin).get(url)
    assert response.status_code == 200
    assert response.get_json()["group"]["handle"] == circle.group.handle
    assert api(circle.members[0]).get(url).get_json()["error"]["code"] == "forbidden"
    assert api(circle.members[0]).get(url).status_code == 403
    assert api(circle.outsider).get(url).status_code == 404
    assert api_as(None).get(url).status_code == 401
    spec = api_as(None).get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/groups/{handle}/export"]["get"]
    assert "DESIGN.md" in operation["summary"] + operation["description"]
    assert "docs/export-format.md" in json.dumps(operation["responses"]["200"])


def test_the_agreements_page_as_markdown(app, runner, client, auth, make_user):
    assert runner.invoke(args=["demo"]).exit_code == 0
    from types import SimpleNamespace

    import sqlalchemy as sa

    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        malik = db.session.scalar(sa.select(User).where(User.email == "malik@exemple.org"))
        malik.locale = None  # the page's language then: the browser's
        malik = malik.id
        db.session.commit()
    auth.login(SimpleNamespace(id=malik))
    page = client.get("/g/tilleuls/agreements", headers={"Accept-Language": "en"})
    assert 'href="/g/tilleuls/agreements.md"' in page.get_data(as_text=True)
    response = client.get("/g/tilleuls/agreements.md", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text.startswith("# Our agreements · Cercle des Tilleuls")
    assert "## Current agreements" in text and "## Active rules" in text
    assert "| Rule | Value | Where it comes from |" in text
    assert "(v2)" in text  # the demo's agreement, amended once
    assert "Not agreed yet (default)" in text
    assert "http://localhost/g/tilleuls/agreements" in text  # absolute, on the public address
    auth.login(make_user(name="Zoé"))
    assert client.get("/g/tilleuls/agreements.md").status_code == 404


def test_a_thread_as_markdown_names_no_anonymous_voter_and_hides_hidden_results(
    circle, start_poll, api, client, auth
):
    alice, bruno, chloe, david = circle.people
    url = f"/t/{circle.thread.id}.md"
    api(alice).post(f"/api/v1/threads/{circle.thread.id}/comments", json={"body": "Bonjour *tous*"})
    poll = start_poll(by=alice, anonymous=True, title="Un accord anonyme ?")
    stance = {"key": "block", "reason": REASON}
    assert api(bruno).put(f"/api/v1/polls/{poll['id']}/stance", json=stance).status_code == 200

    auth.login(alice)
    page = client.get(f"/t/{circle.thread.id}").get_data(as_text=True)
    assert f'href="{url}"' in page
    text = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert text.startswith("# Une discussion")
    assert "Bonjour *tous*" in text and "### Poll: Un accord anonyme ?" in text
    assert "1 of 4 people have participated" in text
    assert "The results are hidden until the poll closes." in text
    assert REASON not in text and "Bruno" not in text

    assert api(alice).post(f"/api/v1/polls/{poll['id']}/close").status_code == 200
    text = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "| Option | Count | Percent of points |" in text
    assert REASON in text  # the reason shows, by nobody
    assert "Bruno" not in text
    assert "Anonymous" in text

    auth.login(circle.outsider)
    assert client.get(url).status_code == 404
