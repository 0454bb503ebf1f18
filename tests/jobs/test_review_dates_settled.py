"""The periodic command's review reminders read only the versions' review dates still to
be reminded: once a date's reminder went out, or its version was replaced, the job
settles it and never reads it again (``ix_agreement_versions_review_pending``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db

pytestmark = pytest.mark.usefixtures("ten_days_ago")

TODAY = datetime.now(UTC).date()


def _version_dates(run, agreement_id, **dates):
    """Set review dates: ``v1=date``, ``v2=date``, ``admin=date`` (None clears)."""
    from app.agreements.models import Agreement, AgreementVersion

    def write():
        for key, day in dates.items():
            if key == "admin":
                db.session.get(Agreement, agreement_id).review_on = day
                continue
            db.session.scalar(
                sa.select(AgreementVersion).where(
                    AgreementVersion.agreement_id == agreement_id,
                    AgreementVersion.version == int(key[1:]),
                )
            ).review_on = day

    run(write)


def _pending(run) -> list[tuple[int, int]]:
    """(agreement, version) of the past dates the job would still read."""
    from app.agreements.models import AgreementVersion as V

    return run(
        lambda: [
            tuple(row)
            for row in db.session.execute(
                sa.select(V.agreement_id, V.version)
                .where(V.review_on.is_not(None), sa.not_(V.review_settled), V.review_on <= TODAY)
                .order_by(V.agreement_id, V.version)
            )
        ]
    )


def _due(run):
    from app.agreements.services import review_reminders_due

    return run(lambda: review_reminders_due(TODAY).due)


def test_a_reminded_date_is_settled_and_not_read_again(runner, adopted, run):
    agreement_id, _ = adopted()
    _version_dates(run, agreement_id, v1=TODAY - timedelta(days=1))
    assert _due(run) == [(agreement_id, TODAY - timedelta(days=1))]
    result = runner.invoke(args=["jobs", "run"])
    assert "1 agreement review due" in result.output, result.output
    assert _pending(run) == [] and _due(run) == []
    assert "0 agreement reviews due" in runner.invoke(args=["jobs", "run"]).output


def test_a_replaced_versions_date_is_settled_without_a_reminder(runner, adopted, amend, run):
    agreement_id, _ = adopted()
    amend(agreement_id, 1, title="Nos accords d'écoute, revus")
    # the first version's date passes after it was replaced: nothing to remind
    _version_dates(run, agreement_id, v1=TODAY - timedelta(days=2))
    assert _pending(run) == [(agreement_id, 1)] and _due(run) == []
    result = runner.invoke(args=["jobs", "run"])
    assert "0 agreement reviews due" in result.output, result.output
    assert _pending(run) == []


def test_a_version_date_under_an_admins_date_waits_for_it(runner, adopted, run):
    agreement_id, _ = adopted()
    later = TODAY + timedelta(days=20)
    _version_dates(run, agreement_id, v1=TODAY - timedelta(days=1), admin=later)
    runner.invoke(args=["jobs", "run"])
    # the admin's date stands: the version's is neither reminded nor forgotten
    assert _pending(run) == [(agreement_id, 1)] and _due(run) == []
    _version_dates(run, agreement_id, admin=None)
    result = runner.invoke(args=["jobs", "run"])
    assert "1 agreement review due" in result.output, result.output
    assert _pending(run) == []


def test_the_due_dates_are_read_a_batch_at_a_time(runner, adopted, run, monkeypatch):
    from app.agreements.services import review_reminders_due
    from app.jobs import tasks

    first, _ = adopted()
    second, _ = adopted()
    third, _ = adopted()
    # the same date for two agreements (the batch's next one goes by id), an admin's date
    _version_dates(run, first, v1=TODAY - timedelta(days=3))
    _version_dates(run, second, admin=TODAY - timedelta(days=3))
    _version_dates(run, third, v1=TODAY - timedelta(days=1))
    everything = [
        (first, TODAY - timedelta(days=3)),
        (second, TODAY - timedelta(days=3)),
        (third, TODAY - timedelta(days=1)),
    ]
    assert _due(run) == everything
    batch = run(lambda: review_reminders_due(TODAY, limit=1))
    batches = [batch.due]
    while batch.after is not None:
        batch = run(lambda after=batch.after: review_reminders_due(TODAY, after=after, limit=1))
        batches.append(batch.due)
    # one date a batch from each part (the admins', the versions'), then nothing left
    assert [pair for batch in batches for pair in batch] == everything
    assert max(len(batch) for batch in batches) <= 2
    # the job goes through every batch once
    monkeypatch.setattr(tasks, "REVIEW_BATCH", 2)
    result = runner.invoke(args=["jobs", "run"])
    assert "3 agreement reviews due" in result.output, result.output
    assert _due(run) == [] and _pending(run) == []
