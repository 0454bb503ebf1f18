"""An export reads one snapshot: what is written while it streams is not half in it."""

from __future__ import annotations

import json

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.threads.models import Thread
from app.threads.services import add_comment, edit_thread
from app.timeutil import utcnow
from app.transfer import exporting


def test_writes_during_an_export_stay_out_of_it(app, thread_circle, make_thread, monkeypatch):
    circle = thread_circle
    make_thread(circle.group, circle.admin, title="Deuxième", comments=3)
    monkeypatch.setattr(exporting, "CHUNK", 1)  # a chunk per row: the export pauses often
    with app.test_request_context("/", method="GET"):
        chunks = exporting.stream_group(circle.group.id, now=utcnow())
        text = [next(chunks)]  # the snapshot is taken: the group and its first rows read

        # meanwhile, someone else writes (another session, committed)
        with app.app_context():
            thread = db.session.get(Thread, circle.thread.id)
            author = db.session.get(User, circle.admin.id)
            add_comment(thread, author=author, body="Écrit pendant l'export", now=utcnow())
            edit_thread(thread, editor=author, title="Titre changé", body="Autre", now=utcnow())
            db.session.commit()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Thread)) == 2

        text += list(chunks)
    document = json.loads("".join(text))
    assert [t["title"] for t in document["threads"]] == ["Une discussion", "Deuxième"]
    assert len(document["thread_versions"]) == 2
    assert [c["body"] for c in document["comments"]] == [
        "Commentaire 1",
        "Commentaire 2",
        "Commentaire 3",
    ]
