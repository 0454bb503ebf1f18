"""Creating a group, on the page and through the API; handles; settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db

EN = {"Accept-Language": "en"}
HANDLE_RULE = "Use 3 to 40 lower-case letters, digits or hyphens"


def _form(**overrides):
    data = {
        "name": "Cercle des Lilas",
        "handle": "",
        "description": "On se *soutient*.",
        "privacy": "secret",
        "members_can_start_threads": "y",
        "members_can_raise_proposals": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_offers_three_privacies_with_secret_first_and_chosen(client, auth, people):
    auth.login(people.admin)
    page = client.get("/groups/new", headers=EN).text
    assert "<h1>Create a group</h1>" in page
    assert page.index('value="secret"') < page.index('value="closed"') < page.index('value="open"')
    assert 'checked id="privacy-0" name="privacy" type="radio" value="secret"' in page
    assert "Only members know the group exists" in page
    assert 'aria-describedby="privacy-0-help"' in page


def test_creating_a_group_makes_me_its_admin(app, client, auth, people):
    auth.login(people.admin)
    response = client.post("/groups/new", data=_form(handle="lilas"), headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"] == "/g/lilas"
    page = client.get("/g/lilas", headers=EN).text
    assert "is created" in page
    assert "You are an admin of this group." in page
    assert "<em>soutient</em>" in page  # the description, rendered from Markdown
    from app.groups.models import Group, Membership

    with app.app_context():
        group = db.session.scalar(sa.select(Group).where(Group.handle == "lilas"))
        membership = db.session.scalar(sa.select(Membership).where(Membership.group_id == group.id))
        assert membership.user_id == people.admin.id and membership.role == "admin"
        assert group.privacy == "secret"


def test_without_a_handle_one_is_made_from_the_name(client, auth, people):
    auth.login(people.admin)
    response = client.post("/groups/new", data=_form(name="Les Amis d'Émile"), headers=EN)
    assert response.headers["Location"] == "/g/les-amis-d-emile"
    response = client.post("/groups/new", data=_form(name="Les Amis d'Émile"), headers=EN)
    assert response.headers["Location"] == "/g/les-amis-d-emile-2"


def test_switches_and_privacy_are_kept(app, client, auth, people):
    auth.login(people.admin)
    data = _form(
        handle="ouvert", privacy="open", members_can_start_threads=None,
        members_can_raise_proposals=None,
    )  # fmt: skip
    client.post("/groups/new", data=data)
    from app.groups.models import Group

    with app.app_context():
        group = db.session.scalar(sa.select(Group).where(Group.handle == "ouvert"))
        assert group.privacy == "open"
        assert not group.members_can_start_threads
        assert not group.members_can_raise_proposals


@pytest.mark.parametrize("handle", ["ab", "Has Space", "-dash", "dash-", "x" * 41, "é-t-é", "new"])
def test_a_bad_handle_is_a_field_error(client, auth, people, handle):
    auth.login(people.admin)
    response = client.post("/groups/new", data=_form(handle=handle), headers=EN)
    assert response.status_code == 400
    assert HANDLE_RULE in response.text
    assert 'aria-invalid="true"' in response.text


def test_a_taken_handle_is_a_field_error(client, auth, people, make_group):
    make_group(people.member, handle="pris")
    auth.login(people.admin)
    response = client.post("/groups/new", data=_form(handle="pris"), headers=EN)
    assert response.status_code == 409
    assert 'id="handle-error"' in response.text
    assert "This handle is already taken." in response.text


def test_a_missing_name_is_a_field_error(client, auth, people):
    auth.login(people.admin)
    response = client.post("/groups/new", data=_form(name=""), headers=EN)
    assert response.status_code == 400
    assert 'id="name-error"' in response.text


def test_upper_case_handles_are_lowered(client, auth, people):
    auth.login(people.admin)
    response = client.post("/groups/new", data=_form(handle="Lilas-2"), headers=EN)
    assert response.headers["Location"] == "/g/lilas-2"


# -- settings ------------------------------------------------------------------


def test_admins_change_the_settings_but_not_the_handle(app, client, auth, people, make_group):
    group = make_group(people.admin, handle="reglages")
    auth.login(people.admin)
    page = client.get("/g/reglages/settings", headers=EN).text
    assert 'value="Cercle' in page and "reglages" in page
    response = client.post(
        "/g/reglages/settings",
        data={"name": "Nouveau nom", "description": "**Bienvenue**", "privacy": "closed",
              "handle": "autre"},
        headers=EN,
    )  # fmt: skip
    assert response.headers["Location"] == "/g/reglages"
    from app.groups.models import Group

    with app.app_context():
        stored = db.session.get(Group, group.id)
        assert stored.name == "Nouveau nom"
        assert stored.handle == "reglages"
        assert stored.privacy == "closed"
        assert "<strong>Bienvenue</strong>" in stored.description_html
        assert not stored.members_can_start_threads


def test_settings_refuse_an_empty_name(client, auth, people, make_group):
    make_group(people.admin, handle="reglages")
    auth.login(people.admin)
    response = client.post(
        "/g/reglages/settings", data={"name": "", "privacy": "secret"}, headers=EN
    )
    assert response.status_code == 400
    assert 'id="name-error"' in response.text


# -- API -----------------------------------------------------------------------


def test_api_creates_a_group(api_as, people):
    api = api_as(people.admin)
    response = api.post(
        "/api/v1/groups",
        json={"name": "Cercle API", "handle": "cercle-api", "description": "Un *cercle*",
              "privacy": "closed", "members_can_raise_proposals": False},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json
    assert body["handle"] == "cercle-api"
    assert body["my_role"] == "admin"
    assert body["members_count"] == 1
    assert body["privacy"] == "closed"
    assert body["description_html"] == "<p>Un <em>cercle</em></p>\n"
    assert body["members_can_start_threads"] is True
    assert body["members_can_raise_proposals"] is False
    assert body["created_at"].endswith("Z")
    assert api.get("/api/v1/groups/cercle-api").json == body


def test_api_defaults_secret_and_makes_the_handle(api_as, people):
    body = api_as(people.admin).post("/api/v1/groups", json={"name": "Mon Cercle"}).json
    assert body["privacy"] == "secret"
    assert body["handle"] == "mon-cercle"


def test_api_taken_handle_is_409(api_as, people, make_group):
    make_group(people.member, handle="pris")
    response = api_as(people.admin).post("/api/v1/groups", json={"name": "X", "handle": "pris"})
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "handle_taken"
    assert "handle" in error["fields"]


@pytest.mark.parametrize("handle", ["ab", "with space", "-x-", "api"])
def test_api_bad_handle_is_400_naming_it(api_as, people, handle):
    response = api_as(people.admin).post("/api/v1/groups", json={"name": "X", "handle": handle})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"handle"}


def test_api_bad_privacy_and_missing_name_are_400(api_as, people):
    api = api_as(people.admin)
    response = api.post("/api/v1/groups", json={"name": "X", "privacy": "public"})
    assert response.status_code == 400
    assert "privacy" in response.json["error"]["fields"]
    response = api.post("/api/v1/groups", json={})
    assert response.status_code == 400
    assert "name" in response.json["error"]["fields"]


def test_api_updates_settings(api_as, people, make_group):
    make_group(people.admin, handle="maj")
    api = api_as(people.admin)
    response = api.patch(
        "/api/v1/groups/maj", json={"privacy": "open", "description": "Hello", "name": "Nouveau"}
    )
    assert response.status_code == 200
    assert response.json["privacy"] == "open"
    assert response.json["description_html"] == "<p>Hello</p>\n"
    assert response.json["name"] == "Nouveau"
    response = api.patch("/api/v1/groups/maj", json={"handle": "autre"})
    assert response.status_code == 400
    assert "handle" in response.json["error"]["fields"]


def test_api_lists_my_groups(api_as, people, make_group):
    make_group(people.admin, members=[people.member], name="Zèbres", handle="zebres")
    make_group(people.member, name="Abeilles", handle="abeilles")
    make_group(people.admin, name="Autres", handle="autres")
    body = api_as(people.member).get("/api/v1/groups").json
    assert [(g["handle"], g["my_role"], g["members_count"]) for g in body["items"]] == [
        ("abeilles", "admin", 1),
        ("zebres", "member", 2),
    ]


def test_openapi_documents_every_group_operation(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    expected = {
        "/api/v1/groups": {"get", "post"},
        "/api/v1/groups/{handle}": {"get", "patch"},
        "/api/v1/groups/{handle}/memberships": {"get", "post"},
        "/api/v1/groups/{handle}/memberships/me": {"post", "patch"},
        "/api/v1/groups/{handle}/memberships/{user_id}": {"patch", "delete"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"], (path, method)
            assert operation["security"] == [{"bearerAuth": []}]
    add = paths["/api/v1/groups/{handle}/memberships"]["post"]
    # Adding is inviting: one answer whatever the address, and the document says so.
    assert {"201", "400", "403", "404"} <= set(add["responses"])
    assert "409" not in add["responses"]
    invited = add["responses"]["201"]["content"]["application/json"]["schema"]
    schema = spec["components"]["schemas"][invited["$ref"].rsplit("/", 1)[-1]]
    assert schema["properties"]["status"]["enum"] == ["invited"]
    email = spec["components"]["schemas"]["MembershipCreate"]["properties"]["email"]
    assert "whether or not an account uses it" in email["description"]
    assert "same body whatever the address" in " ".join(add["description"].split())
    accept = paths["/api/v1/groups/{handle}/memberships/me"]["post"]
    assert {"201", "403", "404", "409"} <= set(accept["responses"])
