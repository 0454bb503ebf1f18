"""``flask groups import FILE``: a file it cannot take is refused with a message naming
what is wrong, and nothing is written; people are matched by email, the missing ones
created without a password."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fixtures.transfer import export_document

from app.auth.models import User
from app.auth.services import check_password
from app.extensions import db
from app.groups.models import Group, Membership
from app.threads.models import Comment

_DEMO: dict = {}


def _empty(app) -> None:
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def document(app, runner):
    """The demo circle's document (made once for the module), over an empty database."""
    if not _DEMO:
        assert runner.invoke(args=["demo"]).exit_code == 0
        _DEMO["text"] = json.dumps(export_document(app, "tilleuls"))
        _empty(app)
    return json.loads(_DEMO["text"])


def _counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Group, User, Membership, Comment)
        )


def _import(runner, tmp_path, document, *args):
    path = tmp_path / "circle.json"
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["groups", "import", str(path), *args])


def _corrected(document, agreement_id) -> None:
    """A version of the first poll that keeps an agreement change naming ``agreement_id``."""
    poll = document["polls"][0]
    document["poll_versions"].append(
        {
            "id": 1,
            "poll_id": poll["id"],
            "number": 1,
            "title": poll["title"],
            "details": poll["details"],
            "closing_at": poll["closing_at"],
            "extra": {"agreement_change": {"action": "amend", "agreement_id": agreement_id}},
            "changed": [],
            "editor_id": poll["author_id"],
            "created_at": poll["created_at"],
        }
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=2), "format version is 2; this Cercle reads version 1"),
        (lambda d: d.update(format="loomio"), "is not a Cercle group export"),
        (lambda d: d.pop("comments"), 'The file has no "comments" section'),
        (lambda d: d.update(extra=[]), "sections this version does not know: ['extra']"),
        (
            lambda d: d["comments"][2].update(thread_id=9999),
            "comments[2].thread_id: 9999 is no id of the file's threads",
        ),
        (lambda d: d["comments"][0].pop("body"), "comments[0]: missing fields ['body']"),
        (
            lambda d: d["threads"][1].update(created_at="2026-05-12T09:32:00"),
            "threads[1].created_at: the time has no zone",
        ),
        (
            lambda d: d["threads"][0].update(title="x" * 201),
            "threads[0].title: longer than 200 characters",
        ),
        (lambda d: d["polls"][0].update(anonymous="yes"), "polls[0].anonymous: must be true or"),
        (lambda d: d["users"][1].update(name="A\x00B"), "users[1].name: Contains a NUL"),
        (
            lambda d: _corrected(d, 9999),
            "poll_versions[0].extra: the agreement_id 9999 in it is no id of the file's agreements",
        ),
        (
            lambda d: _corrected(d, "1"),
            "poll_versions[0].extra: the agreement_id '1' in it is no id of the file's agreements",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_what_is_wrong(
    app, runner, tmp_path, document, change, message
):
    change(document)
    before = _counts(app)
    result = _import(runner, tmp_path, document, "--handle", "ailleurs")
    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was imported." in result.output
    assert _counts(app) == before


def test_not_json_is_refused(app, runner, tmp_path):
    result = _import(runner, tmp_path, '{"format": "cercle-group", "version": 1,')
    assert result.exit_code == 1
    assert "The file is not valid JSON" in result.output


def test_a_taken_handle_is_refused_and_another_can_be_chosen(app, runner, tmp_path, document):
    assert _import(runner, tmp_path, document).exit_code == 0
    before = _counts(app)
    result = _import(runner, tmp_path, document)
    assert result.exit_code == 1
    assert "The handle 'tilleuls' is already taken on this instance" in result.output
    assert "--handle" in result.output
    assert _counts(app) == before

    result = _import(runner, tmp_path, document, "--handle", "tilleuls-bis")
    assert result.exit_code == 0, result.output
    # the same people (matched by email), a second circle with the same story
    assert "Accounts matched by email: 6; created without a password: 0" in result.output
    groups, users, memberships, comments = _counts(app)
    assert (groups, users) == (before[0] + 1, before[1])
    assert (memberships, comments) == (before[2] * 2, before[3] * 2)
    copy = export_document(app, "tilleuls-bis")
    assert copy["group"]["handle"] == "tilleuls-bis"
    assert len(copy["comments"]) == len(document["comments"])


def test_a_failure_while_writing_leaves_nothing(app, runner, tmp_path, document):
    """Two current memberships of one person: the database refuses the second, and the
    rows written before it go too."""
    document["memberships"].append({**document["memberships"][0], "id": 999})
    before = _counts(app)
    result = _import(runner, tmp_path, document, "--handle", "ailleurs")
    assert result.exit_code == 1
    assert "The file breaks a rule of the database" in result.output
    assert _counts(app) == before


def test_people_are_matched_by_email_or_created_without_a_password(
    app, runner, tmp_path, document, make_user
):
    """Into an instance where only Claire has an account (her address in another case in
    the file): she keeps hers; the others get one that no password opens."""
    claire = make_user(name="Claire V.", email="claire@exemple.org")
    namesake = make_user(name="Malik Benali", email="un-autre-malik@example.org")
    assert namesake.handle == "malik-benali"  # the demo's Malik's handle, taken here
    for person in document["users"]:
        if person["email"] == "claire@exemple.org":
            person["email"] = "Claire@Exemple.ORG"
    result = _import(runner, tmp_path, document)
    assert result.exit_code == 0, result.output
    assert "Accounts matched by email: 1; created without a password: 5" in result.output
    with app.app_context():
        people = {u.email: u for u in db.session.scalars(sa.select(User))}
        assert len(people) == 7
        assert people["claire@exemple.org"].id == claire.id
        assert people["claire@exemple.org"].name == "Claire V."  # her account, unchanged
        assert check_password(people["claire@exemple.org"], claire.password)
        malik = people["malik@exemple.org"]
        assert malik.name == "Malik Benali" and malik.locale == "fr"
        assert malik.handle == "malik-benali-2"  # a free one
        assert people["helene@exemple.org"].handle == "helene-roux"  # theirs when free
        assert malik.password_hash == ""
        assert not check_password(malik, "") and not check_password(malik, "cercle-demo")
        admins = db.session.scalars(
            sa.select(Membership.user_id).where(Membership.role == "admin")
        ).all()
        assert admins == [claire.id]  # Claire's memberships are hers


def test_a_person_created_by_an_import_sets_a_password_by_reset(
    app, runner, client, tmp_path, document
):
    assert _import(runner, tmp_path, document).exit_code == 0
    signin = {"email": "malik@exemple.org", "password": "cercle-demo"}
    assert client.post("/signin", data=signin).status_code != 302
    with app.test_request_context():
        from app.auth.reset import make_reset_token

        malik = db.session.scalar(sa.select(User).where(User.email == "malik@exemple.org"))
        token = make_reset_token(malik)
    new = "un mot de passe choisi"
    response = client.post(f"/password/reset/{token}", data={"password": new, "confirm": new})
    assert response.status_code == 302
    client.post("/signout")
    assert client.post("/signin", data={**signin, "password": new}).status_code == 302
    assert client.get("/g/tilleuls").status_code == 200
