"""Two imports of one file at once (under two handles), on a real database: each is all
or nothing, and the people they share are never created twice."""

from __future__ import annotations

import json
import threading

import sqlalchemy as sa
from fixtures.transfer import export_document

from app.auth.models import User
from app.extensions import db
from app.groups.models import Group
from app.threads.models import Comment, Thread
from app.transfer.importing import ImportRefused, import_group


def test_two_imports_at_once_are_each_whole_and_share_people(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    text = json.dumps(export_document(app, "tilleuls"))
    comments = len(json.loads(text)["comments"])
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()

    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def run(handle: str) -> None:
        with app.test_request_context("/", method="POST"):
            barrier.wait()
            try:
                import_group(json.loads(text), handle=handle)
                db.session.commit()
                outcomes[handle] = "imported"
            except ImportRefused as error:
                db.session.rollback()
                outcomes[handle] = str(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(h,)) for h in ("premier", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(outcomes) == {"premier", "second"}
    refused = [message for message in outcomes.values() if message != "imported"]
    assert len(refused) <= 1, outcomes
    assert all("breaks a rule of the database" in message for message in refused)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 6
        groups = db.session.scalars(sa.select(Group)).all()
        assert {g.handle for g in groups} == {h for h, o in outcomes.items() if o == "imported"}
        for group in groups:  # whole
            count = db.session.scalar(
                sa.select(sa.func.count(Comment.id))
                .join(Thread, Thread.id == Comment.thread_id)
                .where(Thread.group_id == group.id)
            )
            assert count == comments
