"""Lock order of the revision and count triggers under real concurrency.

A write to a thread's rows (comment, reaction, stance, poll) updates its ``threads``
row (``revision``, ``comments_count``); a write to a circle's rows (its name, its
memberships, its agreements, a proposal carrying an agreement change) updates its
``groups`` row; an agreement's change updates its ``agreements`` row first. On
PostgreSQL each of those updates holds the row until the commit, so two transactions
that take two of these rows in opposite orders deadlock (one is aborted: "deadlock
detected"). The order every write keeps is thread, then agreement, then circle.

Each test runs two writers in their own threads, app contexts, sessions and
connections. On PostgreSQL one writer is held just before a chosen statement (with
the rows it took so far locked) until the other is waiting on a lock, which is the
interleaving that would deadlock if the orders were opposite; both must commit and
the revisions and counts end right. SQLite serialises writers (``BEGIN IMMEDIATE``,
``app/db.py``): there the writers simply race, and none may fail with "database is
locked" (the busy timeout is 30 s; these writes take milliseconds).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.agreements.models import Agreement
from app.agreements.services import set_review_on
from app.auth.models import User
from app.extensions import db
from app.groups.models import Group
from app.groups.services import update_group
from app.polls.models import Poll
from app.polls.services import close_poll, edit_poll
from app.proposals.services import StaleAgreementVersion, attach_agreement_change
from app.threads.models import Comment, Thread
from app.threads.services import add_comment, add_reaction, start_thread

LISTENING = {
    "action": "adopt",
    "title": "Nos accords d'écoute",
    "body": "Pas de réciprocité exigée.",
    "rules": {"reciprocity": "not_required", "relance_after_days": 21},
}


def amend(agreement_id: int, body: str) -> dict:
    return {"action": "amend", "agreement_id": agreement_id, "base_version": 1, "body": body}


class Writers:
    """Writers in their own threads; ``hold(name, prefix)`` stops writer ``name`` just
    before its first statement starting with ``prefix`` (PostgreSQL only)."""

    def __init__(self, app):
        self.app = app
        self.postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
        self.errors: dict[str, BaseException] = {}
        self.done: dict[str, threading.Event] = {}
        self._holds: dict[str, tuple[str, threading.Event, threading.Event]] = {}
        with app.app_context():
            self.engine = db.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._before)

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        name = threading.current_thread().name
        held = self._holds.get(name)
        if held is None or held[0] is None or not statement.lstrip().upper().startswith(held[0]):
            return
        del self._holds[name]
        held[1].set()
        assert held[2].wait(30), "never released"

    def hold(self, name: str, prefix: str | None) -> tuple[threading.Event, threading.Event]:
        """``prefix`` None: hold once the job has run, before its commit."""
        reached, release = threading.Event(), threading.Event()
        if self.postgres:
            self._holds[name] = ((prefix or "").upper() or None, reached, release)
        else:
            reached.set()
        return reached, release

    def start(self, name: str, job) -> threading.Thread:
        done = self.done[name] = threading.Event()

        def work():
            with self.app.app_context():
                try:
                    job()
                    held = self._holds.pop(name, None)
                    if held is not None and held[0] is None:
                        held[1].set()
                        assert held[2].wait(30), "never released"
                    db.session.commit()
                except BaseException as exc:  # noqa: BLE001 - reported to the test
                    db.session.rollback()
                    self.errors[name] = exc
                finally:
                    db.session.remove()
                    done.set()

        thread = threading.Thread(target=work, name=name)
        thread.start()
        return thread

    def wait_until_blocked(self, name: str) -> bool:
        """Until writer ``name`` waits on a row lock (True) or has finished."""
        if not self.postgres:
            return False
        deadline = time.monotonic() + 10
        with self.engine.connect() as conn:
            while time.monotonic() < deadline and not self.done[name].is_set():
                waiting = conn.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                conn.rollback()
                if waiting:
                    return True
                time.sleep(0.02)
        return False

    def interleave(
        self, first, second, *, hold: str | None, waits: bool = True
    ) -> dict[str, BaseException]:
        """``first`` runs until just before a statement starting with ``hold`` (None:
        until its commit); then ``second`` runs until it waits on a row lock (``waits``:
        it must, on PostgreSQL) or ends; then ``first`` goes on."""
        reached, release = self.hold("first", hold)
        threads = [self.start("first", first)]
        assert reached.wait(30), f"first writer never reached {hold}: {self.errors}"
        threads.append(self.start("second", second))
        blocked = self.wait_until_blocked("second")
        release.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a writer is stuck"
        if self.postgres and waits:
            assert blocked, "the second writer never waited for the first"
        return self.errors


@pytest.fixture
def writers(app):
    made = Writers(app)
    yield made
    made.close()


def revisions(run, *, threads=(), groups=()) -> dict:
    def read():
        out = {}
        for model, ids in ((Thread, threads), (Group, groups)):
            for row in db.session.execute(
                sa.select(model.id, model.revision).where(model.id.in_(ids))
            ):
                out[(model.__tablename__, row.id)] = row.revision
        return out

    return run(read)


def deltas(before: dict, after: dict) -> dict:
    return {key: after[key] - before[key] for key in before}


# -- writes that take one row each: nothing to order, nothing waits too long ------------


def test_a_reaction_and_a_circle_rename_both_commit(run, writers, thread_circle):
    circle = thread_circle
    comment_id = run(
        lambda: (
            add_comment(
                db.session.get(Thread, circle.thread.id),
                author=db.session.get(User, circle.admin.id),
                body="Bonjour",
                now=_now(),
            ).id
        )
    )
    before = revisions(run, threads=[circle.thread.id], groups=[circle.group.id])

    def react():
        add_reaction(
            db.session.get(Comment, comment_id),
            user=db.session.get(User, circle.members[0].id),
            emoji="👍",
        )
        db.session.flush()

    def rename():
        update_group(db.session.get(Group, circle.group.id), name="Le cercle du jeudi")

    assert writers.interleave(react, rename, hold=None, waits=False) == {}
    after = revisions(run, threads=[circle.thread.id], groups=[circle.group.id])
    assert deltas(before, after) == {
        ("threads", circle.thread.id): 1,
        ("groups", circle.group.id): 1,
    }


def test_comments_in_two_threads_in_either_order_all_commit(
    run, writers, thread_circle, make_thread
):
    circle = thread_circle
    other = make_thread(circle.group, circle.admin)
    ids = [circle.thread.id, other.id]
    before = revisions(run, threads=ids)

    def comment_in(thread_id, who):
        def job():
            add_comment(
                db.session.get(Thread, thread_id),
                author=db.session.get(User, who.id),
                body="Un mot",
                now=_now(),
            )

        return job

    errors = writers.interleave(
        comment_in(ids[0], circle.members[0]),
        comment_in(ids[1], circle.members[1]),
        hold=None,
        waits=False,
    )
    assert errors == {}
    writers.errors.clear()
    errors = writers.interleave(
        comment_in(ids[1], circle.members[2]),
        comment_in(ids[0], circle.admin),
        hold=None,
        waits=False,
    )
    assert errors == {}
    after = revisions(run, threads=ids)
    counts = run(
        lambda: dict(db.session.execute(sa.select(Thread.id, Thread.comments_count)).all())
    )
    assert counts == {ids[0]: 2, ids[1]: 2}
    # a comment bumps its thread at least twice (the comment, its first version)
    assert all(delta >= 4 for delta in deltas(before, after).values())


def _now():
    from app.timeutil import utcnow

    return utcnow() + timedelta(minutes=1)


# -- writes that take a thread, an agreement and a circle --------------------------------


@pytest.fixture
def amendment(decide, propose, vote, run, thread_circle, clock):
    """An adopted agreement, and an open proposal amending it that everyone agreed to,
    in the circle's thread: (agreement id, poll id)."""
    decide(LISTENING)
    agreement_id = run(lambda: db.session.scalar(sa.select(Agreement.id)))
    poll = propose(amend(agreement_id, "Pas de réciprocité exigée, jamais."))
    clock.tick()
    for person in thread_circle.people:
        vote(poll, person, "agree")
    clock.tick()
    return agreement_id, poll.id


def _close(poll_id, actor, now):
    def job():
        close_poll(db.session.get(Poll, poll_id), actor=db.session.get(User, actor.id), now=now)

    return job


def test_a_review_date_set_while_an_amendment_of_the_agreement_closes(
    run, writers, thread_circle, amendment, clock
):
    agreement_id, poll_id = amendment
    circle = thread_circle
    review_on = clock.now.date() + timedelta(days=90)
    before = revisions(run, threads=[circle.thread.id], groups=[circle.group.id])

    def review():
        set_review_on(db.session.get(Agreement, agreement_id), review_on, now=clock.now)

    # the closer has closed the poll (its thread, its circle) and is about to apply
    # the amendment to the agreement when the admin sets a review date on it
    errors = writers.interleave(
        _close(poll_id, circle.admin, clock.now), review, hold="UPDATE agreements"
    )
    assert errors == {}
    agreement = run(lambda: _agreement_state(agreement_id))
    assert agreement["current_version"] == 2
    after = revisions(run, threads=[circle.thread.id], groups=[circle.group.id])
    assert all(delta > 0 for delta in deltas(before, after).values())


def _agreement_state(agreement_id) -> dict:
    agreement = db.session.get(Agreement, agreement_id)
    return {"current_version": agreement.current_version, "review_on": agreement.review_on}


def test_an_amendment_proposed_while_another_amendment_of_it_closes(
    run, writers, thread_circle, amendment, make_thread, clock
):
    agreement_id, poll_id = amendment
    circle = thread_circle
    elsewhere = make_thread(circle.group, circle.admin)
    now = clock.now

    def propose_elsewhere():
        from app.polls.services import create_poll

        poll = create_poll(
            db.session.get(Thread, elsewhere.id),
            author=db.session.get(User, circle.members[0].id),
            kind="proposal",
            title="Une autre proposition",
            closing_at=now + timedelta(days=1),
            now=now,
        )
        attach_agreement_change(poll, amend(agreement_id, "Autre chose."), now=now)

    # the proposer holds the new poll's thread and the agreement (checked at version 1)
    # and is about to attach the change (a write bumping the circle) when the other
    # amendment closes
    errors = writers.interleave(
        propose_elsewhere, _close(poll_id, circle.admin, now), hold="INSERT INTO agreement_changes"
    )
    if not writers.postgres and "first" in errors:
        # SQLite: the close may have committed first, the proposal is then refused as
        # made from a stale version (409), not for a lock
        assert isinstance(errors.pop("first"), StaleAgreementVersion)
    assert errors == {}
    assert run(lambda: _agreement_state(agreement_id))["current_version"] == 2


def test_a_proposal_edited_while_another_proposal_of_its_thread_closes(
    run, writers, thread_circle, decide, propose, vote, clock
):
    circle = thread_circle
    decide(LISTENING)
    agreement_id = run(lambda: db.session.scalar(sa.select(Agreement.id)))
    # in one thread: an amendment nobody voted on yet, already edited once (so that its
    # next edit writes nothing before it replaces the change), and a proposal adopting
    # another agreement that everyone agreed to
    edited = propose(amend(agreement_id, "Une autre rédaction."))
    adopting = propose({**LISTENING, "title": "Nos accords de relance"})
    clock.tick()
    for person in circle.people:
        vote(adopting, person, "agree")
    now = clock.tick()

    def edit(body):
        def job():
            edit_poll(
                db.session.get(Poll, edited.id),
                actor=db.session.get(User, circle.admin.id),
                now=now,
                extras={"agreement_change": {"body": body}},
            )

        return job

    run(edit("Une troisième rédaction."))
    before = revisions(run, threads=[circle.thread.id], groups=[circle.group.id])
    # the closer holds the thread (the poll's close) and is about to adopt the new
    # agreement (a write bumping the circle) when the amendment's change is replaced
    errors = writers.interleave(
        _close(adopting.id, circle.admin, now),
        edit("Une quatrième rédaction."),
        hold="INSERT INTO agreements",
    )
    assert errors == {}
    assert run(lambda: db.session.scalar(sa.select(sa.func.count(Agreement.id)))) == 2
    after = revisions(run, threads=[circle.thread.id], groups=[circle.group.id])
    assert all(delta > 0 for delta in deltas(before, after).values())


def test_a_thread_started_while_a_rename_and_a_stance(run, writers, thread_circle):
    """Starting a thread (its row, its first version) and renaming the circle."""
    circle = thread_circle
    before = revisions(run, groups=[circle.group.id])

    def start():
        start_thread(
            db.session.get(Group, circle.group.id),
            author=db.session.get(User, circle.admin.id),
            title="Une nouvelle discussion",
            body="Texte",
            now=_now(),
        )

    def rename():
        update_group(db.session.get(Group, circle.group.id), name="Cercle renommé")

    assert writers.interleave(start, rename, hold=None, waits=False) == {}
    assert deltas(before, revisions(run, groups=[circle.group.id])) == {
        ("groups", circle.group.id): 1
    }
