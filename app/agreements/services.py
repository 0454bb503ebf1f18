"""Agreements as they stand at a time, their rules, history and diffs. Services flush,
never commit; nothing here edits or deletes a version (versions are appended by
``app.proposals.services`` when a proposal's closing applies its change).

Reading loads what it needs in a fixed number of queries, however many
agreements and versions a group has, and hands plain values to the pure
derivation in ``rules``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..groups.models import Group
from . import diff, rules
from .models import REVIEW_PENDING, Agreement, AgreementVersion


class AgreementVersionNotFound(NotFound):
    code = "version_not_found"


@dataclass(frozen=True)
class AgreementState:
    """An agreement as it stood at ``as_of``: its current version then, whether it was
    active then, and its review date (the admin's, else the version's)."""

    agreement: Agreement
    version: AgreementVersion
    active: bool
    repealed_at: datetime | None
    review_on: date | None

    @property
    def id(self) -> int:
        return self.agreement.id

    @property
    def title(self) -> str:
        return self.version.title


@dataclass(frozen=True)
class AgreementsAsOf:
    """A group's agreements and active rules at ``as_of``."""

    as_of: datetime
    active: list[AgreementState]
    repealed: list[AgreementState]
    rules: dict[str, rules.ActiveRule]


def _group_id(group: Group | int) -> int:
    return group if isinstance(group, int) else group.id


def load_versions(group: Group | int, as_of: datetime) -> list[AgreementVersion]:
    """Every version of the group's agreements adopted at or before ``as_of``, each with
    its agreement loaded (one query)."""
    return list(
        db.session.scalars(
            sa.select(AgreementVersion)
            .join(AgreementVersion.agreement)
            .where(Agreement.group_id == _group_id(group), AgreementVersion.adopted_at <= as_of)
            .options(sa.orm.contains_eager(AgreementVersion.agreement))
            .order_by(AgreementVersion.agreement_id, AgreementVersion.version)
        )
    )


def version_facts(version: AgreementVersion) -> rules.VersionFacts:
    """The plain values the derivation reads from a version (its agreement loaded)."""
    return _facts(version.agreement, version)


def _facts(agreement, version) -> rules.VersionFacts:
    return rules.VersionFacts(
        agreement_id=version.agreement_id,
        version=version.version,
        title=version.title,
        rules=version.rules or {},
        adopted_at=version.adopted_at,
        poll_id=version.poll_id,
        repealed_at=agreement.repealed_at,
    )


def _derive(versions: list[AgreementVersion], as_of: datetime) -> dict[str, rules.ActiveRule]:
    return rules.derive_active_rules([version_facts(v) for v in versions], as_of)


def active_rules(group: Group | int, as_of: datetime) -> dict[str, rules.ActiveRule]:
    """The group's active rules at ``as_of``, with provenance (one query)."""
    return _derive(load_versions(group, as_of), as_of)


def agreements_as_of(group: Group | int, as_of: datetime) -> AgreementsAsOf:
    """The group's agreements at ``as_of`` — active ones oldest first, repealed ones
    latest repealed first — and its active rules then (one query)."""
    return _standing([(v.agreement, v) for v in load_versions(group, as_of)], as_of)


def _standing(pairs: list[tuple], as_of: datetime) -> AgreementsAsOf:
    """``agreements_as_of`` from (agreement, version) pairs ordered by agreement and
    version: ORM objects or plain rows, read through the same attribute names."""
    latest: dict[int, tuple] = {}
    for agreement, version in pairs:  # ordered by agreement, version
        latest[version.agreement_id] = (agreement, version)
    active: list[AgreementState] = []
    repealed: list[AgreementState] = []
    for agreement, version in latest.values():
        gone = agreement.repealed_at is not None and agreement.repealed_at <= as_of
        state = AgreementState(
            agreement=agreement,
            version=version,
            active=not gone,
            repealed_at=agreement.repealed_at if gone else None,
            review_on=None if gone else (agreement.review_on or version.review_on),
        )
        (repealed if gone else active).append(state)
    active.sort(key=lambda s: (s.agreement.created_at, s.agreement.id))
    repealed.sort(key=lambda s: (s.repealed_at, s.agreement.id), reverse=True)
    derived = rules.derive_active_rules([_facts(a, v) for a, v in pairs], as_of)
    return AgreementsAsOf(as_of=as_of, active=active, repealed=repealed, rules=derived)


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """An agreement's columns a page shows (a plain row, not a session object)."""

    id: int
    status: str
    created_at: datetime
    repealed_at: datetime | None
    repealed_by_poll_id: int | None
    review_on: date | None

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class VersionRow:
    """A version's columns a page shows (a plain row, not a session object)."""

    agreement_id: int
    version: int
    title: str
    body_html: str
    rules: dict
    review_on: date | None
    poll_id: int | None
    adopted_at: datetime
    result: dict


@functools.cache
def _current_rows_statement():
    """SQL: the agreements of a group (``:group_id``) with the version of each current at
    ``:as_of`` (the highest adopted by then). Built once: a statement costs more to
    build than to run here."""
    earlier = sa.orm.aliased(AgreementVersion)
    latest = (
        sa.select(sa.func.max(earlier.version))
        .where(
            earlier.agreement_id == Agreement.id,
            earlier.adopted_at <= sa.bindparam("as_of", type_=AgreementVersion.adopted_at.type),
        )
        .scalar_subquery()
    )
    return (
        sa.select(
            Agreement.id,
            Agreement.status,
            Agreement.created_at,
            Agreement.repealed_at,
            Agreement.repealed_by_poll_id,
            Agreement.review_on,
            AgreementVersion.version,
            AgreementVersion.title,
            AgreementVersion.body_html,
            AgreementVersion.rules,
            AgreementVersion.review_on.label("version_review_on"),
            AgreementVersion.poll_id,
            AgreementVersion.adopted_at,
            AgreementVersion.result,
        )
        .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
        .where(Agreement.group_id == sa.bindparam("group_id"), AgreementVersion.version == latest)
        .order_by(AgreementVersion.agreement_id)
    )


def read_agreements_as_of(group: Group | int, as_of: datetime) -> AgreementsAsOf:
    """``agreements_as_of`` read as plain rows (``AgreementRow``, ``VersionRow``) for a
    page that only shows them: one statement, no objects in the session, and only each
    agreement's version current at ``as_of`` (the only one the page and the active
    rules read: ``rules.current_versions``)."""
    rows = db.session.execute(
        _current_rows_statement(), {"group_id": _group_id(group), "as_of": as_of}
    )
    agreements: dict[int, AgreementRow] = {}
    pairs = []
    for row in rows:
        agreement = agreements.get(row.id)
        if agreement is None:
            agreement = agreements[row.id] = AgreementRow(
                row.id,
                row.status,
                row.created_at,
                row.repealed_at,
                row.repealed_by_poll_id,
                row.review_on,
            )
        version = VersionRow(
            row.id,
            row.version,
            row.title,
            row.body_html,
            row.rules or {},
            row.version_review_on,
            row.poll_id,
            row.adopted_at,
            row.result or {},
        )
        pairs.append((agreement, version))
    return _standing(pairs, as_of)


# -- one agreement ------------------------------------------------------------------


def load_agreement(agreement_id: int) -> Agreement | None:
    """An agreement with its versions (two queries)."""
    return db.session.scalar(
        sa.select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(sa.orm.selectinload(Agreement.versions))
    )


def current_version(agreement: Agreement) -> AgreementVersion:
    """The latest version (one query unless the versions are loaded)."""
    if "versions" in agreement.__dict__:
        return agreement.versions[-1]
    return db.session.scalars(
        sa.select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement.id,
            AgreementVersion.version == agreement.current_version,
        )
    ).one()


def effective_review_on(agreement: Agreement, version: AgreementVersion) -> date | None:
    """The admin's review date, else the current version's."""
    return agreement.review_on or version.review_on


def get_version(agreement: Agreement, number: int) -> AgreementVersion:
    """One version of an agreement; ``AgreementVersionNotFound`` (404) otherwise."""
    for version in agreement.versions:
        if version.version == number:
            return version
    raise AgreementVersionNotFound()


def version_diff(agreement: Agreement, from_version: int, to_version: int) -> dict:
    """``{"text": unified diff, "rules": {key: {from, to}}}`` between two versions."""
    old = get_version(agreement, from_version)
    new = get_version(agreement, to_version)
    return {
        "text": diff.text_diff(
            old.title,
            old.body,
            new.title,
            new.body,
            from_label=f"v{old.version}",
            to_label=f"v{new.version}",
        ),
        "rules": diff.rules_diff(old.rules or {}, new.rules or {}),
    }


def set_review_on(agreement: Agreement, review_on: date | None, *, now: datetime) -> Agreement:
    """An admin's review date for an active agreement (None clears it). It is kept
    on the agreement: versions are never edited."""
    if review_on is not None and review_on <= now.date():
        raise ValidationFailed(fields={"review_on": gettext("Must be in the future.")})
    agreement.review_on = review_on
    db.session.flush()
    return agreement


# -- words ---------------------------------------------------------------------------


def rule_label(key: str) -> str:
    """A rule's name in the reader's language."""
    return gettext(rules.RULE_SPECS[key].label)


def rule_help(key: str) -> str:
    return gettext(rules.RULE_SPECS[key].help)


def rule_value_text(key: str, value) -> str:
    """A rule's value in words, in the reader's language ("21 days", "Not required")."""
    spec = rules.RULE_SPECS[key]
    if spec.type == "choice":
        label = spec.choice_labels.get(value)
        return gettext(label) if label else str(value)
    if spec.type == "bool":
        return gettext("Yes") if value else gettext("No")
    if spec.type == "list":
        return ", ".join(value) if value else gettext("None")
    if value is None:
        return gettext("None")
    if spec.unit == "days":
        return ngettext("%(num)d day", "%(num)d days", value)
    if spec.unit == "hours":
        return ngettext("%(num)d hour", "%(num)d hours", value)
    if spec.unit == "minutes":
        return ngettext("%(num)d minute", "%(num)d minutes", value)
    if spec.unit == "per_week":
        return ngettext("%(num)d time a week", "%(num)d times a week", value)
    if spec.unit == "percent":
        return gettext("%(num)d%%", num=value)
    return str(value)


# -- review dates --------------------------------------------------------------------


def _effective_review_on():
    """SQL: the admin's review date, else the current version's."""
    return sa.func.coalesce(Agreement.review_on, AgreementVersion.review_on)


def _with_current_version(query):
    return query.join(
        AgreementVersion,
        sa.and_(
            AgreementVersion.agreement_id == Agreement.id,
            AgreementVersion.version == Agreement.current_version,
        ),
    )


@dataclass(frozen=True)
class ReviewDue:
    """An active agreement whose review date has come."""

    agreement: Agreement
    version: AgreementVersion
    group: Group
    review_on: date


def agreements_due_for_review(user, today: date, limit: int = 50) -> list[ReviewDue]:
    """Active agreements of the person's groups whose review date (the admin's, else
    the current version's) is on or before ``today`` (the reader's date), earliest
    first (one query)."""
    from ..groups.models import Membership

    member = sa.select(Membership.id).where(
        Membership.group_id == Agreement.group_id,
        Membership.user_id == user.id,
        Membership.revoked_at.is_(None),
    )
    review_on = _effective_review_on()
    rows = db.session.execute(
        _with_current_version(sa.select(Agreement, AgreementVersion, Group, review_on))
        .join(Group, Group.id == Agreement.group_id)
        .where(Agreement.status == "active", review_on <= today, member.exists())
        .order_by(review_on, Agreement.id)
        .limit(limit)
    ).all()
    return [ReviewDue(a, v, g, r) for a, v, g, r in rows]


#: how many review dates each part of ``review_reminders_due`` reads at most at a time
#: (a batch costs one short statement; its reminders, one transaction each, cost more)
REVIEW_BATCH = 20


@dataclass(frozen=True)
class ReviewBatch:
    """One batch of ``review_reminders_due``: ``due``, the ``(agreement id, review
    date)`` to remind, by date then agreement; ``after``, where the next batch starts
    (pass it back), or None when none is left."""

    due: list[tuple[int, date]]
    after: tuple | None


def review_reminders_due(
    today: date, after: tuple | None = None, limit: int = REVIEW_BATCH
) -> ReviewBatch:
    """The active agreements whose review date has come and whose reminder for that date
    has not gone out, a batch at a time (``after``: the previous batch's ``after``).

    The review date is the admin's, else the current version's: two parts, each read
    in (date, id) order from its partial index (the admins' dates not yet reminded; the
    versions' dates not settled, ``settle_review_dates``) and stopped after ``limit``
    rows, then checked against the agreement (active; for a version: still current, no
    admin's date over it, not reminded). One statement, whatever the number of dates
    due, returns at most ``2 * limit`` rows (the versions' part reads no more, from
    ``ix_agreement_versions_review_pending``); the next batch starts after the last row
    each part read (kept or not), so that no date is read twice in a run."""
    admins_after, versions_after = after or ((), ())
    shape = tuple(
        "done" if position is None else ("after" if position else "start")
        for position in (admins_after, versions_after)
    )
    if shape == ("done", "done"):
        return ReviewBatch([], None)
    params = {"today": today, "limit": limit}
    for prefix, position in (("admins", admins_after), ("versions", versions_after)):
        if position:
            params[f"{prefix}_when"], params[f"{prefix}_key"] = position
    due, read, last = [], [0, 0], [None, None]
    for part, when, key, agreement_id, is_due in db.session.execute(
        _review_batch_statement(*shape), params
    ):
        if is_due:
            due.append((agreement_id, when))
        read[part] += 1
        last[part] = max(last[part] or (when, key), (when, key))
    due.sort(key=lambda pair: (pair[1], pair[0]))
    # each part goes on after the last (date, id) it read, unless it read fewer than
    # ``limit`` (or was done already)
    following = tuple(
        last[part] if position is not None and read[part] >= limit else None
        for part, position in enumerate((admins_after, versions_after))
    )
    return ReviewBatch(due, None if following == (None, None) else following)


@functools.cache
def _review_batch_statement(admins: str, versions: str):
    """The statement of ``review_reminders_due`` for where each part is (``start``,
    ``after`` a position, ``done``), made once: its values are bound parameters."""
    today, limit = sa.bindparam("today", type_=sa.Date), sa.bindparam("limit")
    parts = []
    if admins != "done":
        a = sa.select(Agreement.id, Agreement.review_on, Agreement.status).where(
            sa.text(REVIEW_PENDING), Agreement.review_on <= today
        )
        a = _read_after(a, Agreement.review_on, Agreement.id, "admins", admins, limit)
        a = a.subquery()
        parts.append(
            sa.select(
                sa.literal(0).label("part"),
                a.c.review_on.label("due"),
                a.c.id.label("key"),
                a.c.id.label("agreement_id"),
                (a.c.status == "active").label("is_due"),
            )
        )
    if versions != "done":
        v = AgreementVersion
        read = sa.select(v.id, v.agreement_id, v.version, v.review_on).where(
            v.review_on.is_not(None), sa.not_(v.review_settled), v.review_on <= today
        )
        read = _read_after(read, v.review_on, v.id, "versions", versions, limit).subquery()
        parts.append(
            sa.select(
                sa.literal(1).label("part"),
                read.c.review_on.label("due"),
                read.c.id.label("key"),
                Agreement.id.label("agreement_id"),
                sa.and_(
                    Agreement.current_version == read.c.version,
                    Agreement.review_on.is_(None),
                    Agreement.status == "active",
                    sa.or_(
                        Agreement.review_notified_on.is_(None),
                        Agreement.review_notified_on != read.c.review_on,
                    ),
                ).label("is_due"),
            ).join(Agreement, Agreement.id == read.c.agreement_id)
        )
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)


def _read_after(query, when, key, prefix: str, where: str, limit):
    """``query`` in (``when``, ``key``) order, the first ``limit`` rows; after the
    parameters ``{prefix}_when`` and ``{prefix}_key`` when ``where`` is ``after``."""
    if where == "after":
        after_when = sa.bindparam(f"{prefix}_when", type_=when.type)
        after_key = sa.bindparam(f"{prefix}_key", type_=key.type)
        query = query.where(when >= after_when, sa.or_(when > after_when, key > after_key))
    return query.order_by(when, key).limit(limit)


def settle_review_dates(today: date) -> int:
    """Mark settled the versions' review dates that have come and will not be reminded
    (again): their reminder went out (the agreement's ``review_notified_on``), or the
    version was replaced, or the agreement repealed. One UPDATE reading the partial index
    of the dates not settled, after the run's reminders; how many."""
    v = AgreementVersion
    done = sa.exists().where(
        Agreement.id == v.agreement_id,
        sa.or_(
            Agreement.current_version != v.version,
            Agreement.status != "active",
            Agreement.review_notified_on == v.review_on,
        ),
    )
    return db.session.execute(
        sa.update(v)
        .where(v.review_on.is_not(None), sa.not_(v.review_settled), v.review_on <= today, done)
        .values(review_settled=True)
        .execution_options(synchronize_session=False)
    ).rowcount


def claim_review_reminder(agreement_id: int, review_on: date) -> bool:
    """Claim the reminder of ``review_on`` for an agreement: a conditional UPDATE that
    one transaction wins (several job runs at once send it once)."""
    claimed = db.session.execute(
        sa.update(Agreement)
        .where(
            Agreement.id == agreement_id,
            Agreement.status == "active",
            sa.or_(
                Agreement.review_notified_on.is_(None),
                Agreement.review_notified_on != review_on,
            ),
        )
        .values(review_notified_on=review_on)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1
