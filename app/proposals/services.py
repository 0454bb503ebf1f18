"""Proposals: attach an agreement change to a consent poll; when the poll closes,
decide (``consent``), store the outcome and apply the change once.

``subscribers.py`` connects this feature to the polls (in the factory's
``connect_subscribers`` step):

- on ``events.poll_closed``, sent by the one winner of a close in the closing
  transaction, ``decide`` computes the verdict with the group's *active*
  ``decision_quorum_percent`` as of the closing instant, stores the
  ``ProposalOutcome`` and, if adopted, applies the change: ``adopt`` creates
  an agreement with version 1; ``amend`` appends version n + 1 only if the
  base version is still current; ``repeal`` marks the agreement repealed at
  the closing time. Amend and repeal claim the agreement with a
  compare-and-set ``UPDATE agreements ... WHERE current_version = base``, so
  of two proposals racing for the same agreement one applies and the other
  is not applied ("stale"); the unique constraints (one version per poll,
  one number per agreement) back this up. It then sends
  ``events.agreement_adopted`` or ``events.agreement_repealed``, and
  ``events.proposal_decided``.
- ``hooks.poll_reopen_veto``: a proposal whose closing changed an agreement
  cannot be reopened (``reopen_veto``).
- ``hooks.poll_outcome``: a proposal's outcome is ``outcome_json``.

Field names of errors: ``agreement_change.<field>`` for the change's fields
and ``rules.<key>`` for a rule (DESIGN.md's example), e.g.
``{"agreement_change.title": ..., "rules.relance_after_days": ...}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from .. import events, limits
from ..agreements import rules as rule_specs
from ..agreements.diff import rules_diff, text_diff
from ..agreements.models import Agreement, AgreementVersion
from ..agreements.services import active_rules, get_version, load_agreement
from ..auth.models import User
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..markdown import render_with_mentions
from ..polls import services as polls
from ..polls.models import Poll
from ..polls.services import translated
from ..polls.tally import truncated_percent
from ..threads.models import Thread
from . import consent
from .models import ACTIONS, AgreementChange, ProposalOutcome

MAX_TITLE = limits.TITLE
MAX_BODY = limits.DOCUMENT
MAX_CHANGE_SUMMARY = limits.CHANGE_SUMMARY
PREFIX = "agreement_change"


class StaleAgreementVersion(Conflict):
    """The proposal starts from a version that is no longer the agreement's current one."""

    code = "stale_agreement_version"
    default_message = _l("This agreement has changed: start from its current version.")


class AgreementRepealed(Conflict):
    code = "agreement_repealed"
    default_message = _l("This agreement has been repealed.")


class ChangeAlreadyAttached(Conflict):
    code = "agreement_change_exists"
    default_message = _l("This proposal already carries an agreement change.")


def _field(name: str) -> str:
    return f"{PREFIX}.{name}"


# -- making a proposal ------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_text(change: Mapping, name: str, max_length: int, errors: dict, *, required: bool):
    value = change.get(name)
    if value is None:
        if required:
            errors[_field(name)] = _l("This field is required.")
        return None
    if not isinstance(value, str):
        errors[_field(name)] = _l("Must be a text.")
        return None
    value = value.strip()
    if required and not value:
        errors[_field(name)] = _l("This field is required.")
    elif len(value) > max_length:
        errors[_field(name)] = _l("Must be at most %(max)s characters long.", max=max_length)
    return value


def _clean_review_on(value, now: datetime, errors: dict) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = None  # a date, not a time
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        errors[_field("review_on")] = _l("Give a date (YYYY-MM-DD).")
        return None
    if value <= now.date():
        errors[_field("review_on")] = _l("Must be in the future.")
        return None
    return value


def _clean_rules(value, errors: dict) -> dict | None:
    problems = rule_specs.validate_rules(value)
    if "rules" in problems:
        errors[_field("rules")] = _l(problems["rules"].template, **problems["rules"].params)
        return None
    if problems:
        errors.update(translated(problems))
        return None
    return rule_specs.clean_rules(value)


def _target(poll: Poll, change: Mapping, errors: dict) -> Agreement | None:
    """The agreement an amend or repeal names: of the poll's group, locked (PostgreSQL)."""
    if not _is_int(change.get("base_version")):
        errors[_field("base_version")] = _l("Give the version this change starts from.")
    agreement_id = change.get("agreement_id")
    agreement = None
    if _is_int(agreement_id):
        agreement = db.session.scalar(
            sa.select(Agreement)
            .where(Agreement.id == agreement_id, Agreement.group_id == poll.group_id)
            .with_for_update()
        )
    if agreement is None:
        errors[_field("agreement_id")] = _l("Give the id of an agreement of this group.")
    return agreement


def attach_agreement_change(poll: Poll, change, *, now: datetime) -> AgreementChange:
    """Attach ``change`` (the API's ``agreement_change``) to a new proposal; call it
    right after ``polls.create_poll``, in the same transaction.

    ``ValidationFailed`` (400) names each bad field (``agreement_change.<field>``,
    ``rules.<key>``); ``AgreementRepealed`` (409) for an amend or repeal of a
    repealed agreement; ``StaleAgreementVersion`` (409) when ``base_version`` is not
    the agreement's current version.
    """
    if poll.kind != "proposal":
        raise ValidationFailed(
            fields={PREFIX: _l("Only a proposal can carry an agreement change.")}
        )
    if not isinstance(change, Mapping):
        raise ValidationFailed(fields={PREFIX: _l("Give the change as an object.")})
    action = change.get("action")
    if action not in ACTIONS:
        raise ValidationFailed(
            fields={
                _field("action"): _l("Must be one of: %(choices)s.", choices=", ".join(ACTIONS))
            }
        )
    if db.session.scalar(sa.select(AgreementChange.id).where(AgreementChange.poll_id == poll.id)):
        raise ChangeAlreadyAttached()
    errors: dict = {}
    record = AgreementChange(poll_id=poll.id, action=action, created_at=now)

    if action == "adopt":
        record.title = _clean_text(change, "title", MAX_TITLE, errors, required=True)
        record.body = _clean_text(change, "body", MAX_BODY, errors, required=True)
        if "rules" not in change or change["rules"] is None:
            errors[_field("rules")] = _l("This field is required.")
        else:
            record.rules = _clean_rules(change["rules"], errors)
    else:
        agreement = _target(poll, change, errors)
        if action == "amend":
            title = _clean_text(change, "title", MAX_TITLE, errors, required=False)
            body = _clean_text(change, "body", MAX_BODY, errors, required=False)
            if "title" in change and change["title"] is not None and not title:
                errors[_field("title")] = _l("This field is required.")
            rules = None
            if change.get("rules") is not None:
                rules = _clean_rules(change["rules"], errors)
        if errors:
            raise ValidationFailed(fields=errors)
        if not agreement.is_active:
            raise AgreementRepealed(
                fields={_field("agreement_id"): AgreementRepealed.default_message}
            )
        if change["base_version"] != agreement.current_version:
            raise StaleAgreementVersion(
                _l(
                    "This agreement is now at version %(current)s, not %(base)s: "
                    "start from its current version.",
                    current=agreement.current_version,
                    base=change["base_version"],
                ),
                fields={
                    _field("base_version"): _l(
                        "The current version is %(current)s.", current=agreement.current_version
                    )
                },
            )
        record.agreement_id = agreement.id
        record.base_version = agreement.current_version
        if action == "amend":
            base = db.session.scalars(
                sa.select(AgreementVersion).where(
                    AgreementVersion.agreement_id == agreement.id,
                    AgreementVersion.version == agreement.current_version,
                )
            ).one()
            record.title = title or base.title
            record.body = body if body is not None else base.body
            record.rules = rules if rules is not None else dict(base.rules or {})
            if (record.title, record.body, record.rules) == (
                base.title,
                base.body,
                base.rules or {},
            ):
                errors[PREFIX] = _l("This amendment changes nothing: change the text or the rules.")

    if action in ("adopt", "amend"):
        record.review_on = _clean_review_on(change.get("review_on"), now, errors)
        summary = _clean_text(change, "change_summary", MAX_CHANGE_SUMMARY, errors, required=False)
        record.change_summary = summary or ""
    if errors:
        raise ValidationFailed(fields=errors)
    if action != "repeal":
        record.body_html = str(render_with_mentions(record.body, poll.group_id))
    db.session.add(record)
    db.session.flush()
    return record


def make_proposal(
    thread: Thread,
    *,
    author: User,
    now: datetime,
    agreement_change: Mapping | None = None,
    **poll_fields,
) -> Poll:
    """A proposal (a consent poll) in ``thread``, carrying ``agreement_change`` when
    given: the one way a proposal is made, by the pages, the API and the demo.
    ``poll_fields`` are ``polls.services.create_poll``'s. Nothing is committed: when
    the change is refused, the caller's rollback drops the poll too."""
    poll_fields.setdefault("kind", "proposal")
    poll = polls.create_poll(thread, author=author, now=now, **poll_fields)
    if agreement_change is not None:
        attach_agreement_change(poll, agreement_change, now=now)
    return poll


# -- correcting an open proposal ------------------------------------------------------


class AgreementChangeFrozen(Conflict):
    """Someone has voted: the agreement change they consented to stays as it was."""

    code = "agreement_change_frozen"
    default_message = _l(
        "Someone has already voted on this proposal: the agreement change it carries can "
        "no longer be edited, so that every stance is about the same text and rules. You "
        "can still correct its title, details and closing time; to change the agreement "
        "change, close this proposal and make a new one."
    )


def change_state(change: AgreementChange | None) -> dict | None:
    """The agreement change as a version of the proposal keeps it (JSON-ready)."""
    if change is None:
        return None
    return {
        "action": change.action,
        "agreement_id": change.agreement_id,
        "base_version": change.base_version,
        "title": change.title,
        "body": change.body,
        "rules": dict(change.rules or {}),
        "review_on": change.review_on.isoformat() if change.review_on else None,
        "change_summary": change.change_summary,
    }


def edit_agreement_change(poll: Poll, edit, *, voted: bool, now: datetime) -> list[str]:
    """Apply ``edit`` (the API's ``agreement_change``, partial: a key left out keeps its
    value; ``action``, ``agreement_id`` and ``base_version`` cannot change) to an open
    proposal's change, checked as when it was made. Returns ``["agreement_change"]``
    when it changed, else ``[]``.

    Only before the first stance (``voted`` False): afterwards an edit that would change
    anything is ``AgreementChangeFrozen`` (409). A proposal made without a change may
    gain one (``action`` required then), under the same condition.
    """
    if not isinstance(edit, Mapping):
        raise ValidationFailed(fields={PREFIX: _l("Give the change as an object.")})
    current = change_for(poll)
    if current is None:
        merged = dict(edit)
    else:
        for name in ("action", "agreement_id", "base_version"):
            if name in edit and edit[name] != getattr(current, name):
                raise ValidationFailed(
                    fields={_field(name): _l("Cannot change: make a new proposal instead.")}
                )
        merged = {"action": current.action}
        if current.action != "adopt":
            merged["agreement_id"] = current.agreement_id
            merged["base_version"] = current.base_version
        if current.action != "repeal":
            state = change_state(current)
            for name in ("title", "body", "rules", "review_on", "change_summary"):
                merged[name] = edit[name] if name in edit else state[name]
        before = change_state(current)
    # Check and build the edited change in place of the current one (rolled back with
    # the request when refused).
    created_at = current.created_at if current is not None else now
    if current is not None:
        db.session.delete(current)
        db.session.flush()
    record = attach_agreement_change(poll, merged, now=now)
    record.created_at = created_at
    if current is not None:
        after = change_state(record)
        if after == before:
            return []
    if voted:
        raise AgreementChangeFrozen()
    return ["agreement_change"]


# -- closing: the outcome, and applying the change -----------------------------------


def lock_changed_agreement(poll: Poll) -> None:
    """Lock the agreement a proposal's change amends or repeals (PostgreSQL), before a
    close or an edit writes anything: the close applies the change to it, the edit
    checks the change against it, and both bump the circle's revision, whose row is
    locked after the agreement's by every write (``hooks.poll_write_locks``)."""
    agreement_id = db.session.scalar(
        sa.select(AgreementChange.agreement_id).where(AgreementChange.poll_id == poll.id)
    )
    if agreement_id is not None:
        db.session.execute(
            sa.select(Agreement.id).where(Agreement.id == agreement_id).with_for_update()
        )


def change_for(poll: Poll | int) -> AgreementChange | None:
    poll_id = poll if isinstance(poll, int) else poll.id
    return db.session.scalar(sa.select(AgreementChange).where(AgreementChange.poll_id == poll_id))


def outcome_for(poll: Poll | int) -> ProposalOutcome | None:
    poll_id = poll if isinstance(poll, int) else poll.id
    return db.session.scalar(sa.select(ProposalOutcome).where(ProposalOutcome.poll_id == poll_id))


def _result_json(counts: Mapping[str, int], participants: int, eligible: int, quorum: int) -> dict:
    return {
        "counts": {
            key: int(counts.get(key, 0)) for key in ("agree", "abstain", "disagree", "block")
        },
        "participants": participants,
        "eligible": eligible,
        "participation_percent": truncated_percent(participants, eligible),
        "quorum_percent": quorum,
    }


def _claim_agreement(change: AgreementChange, values: dict) -> tuple[bool, dict | None]:
    """Compare-and-set on the agreement: only if it is still active at the base version.
    Returns (claimed, reason when not)."""
    claimed = db.session.execute(
        sa.update(Agreement)
        .where(
            Agreement.id == change.agreement_id,
            Agreement.status == "active",
            Agreement.current_version == change.base_version,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    agreement = db.session.get(Agreement, change.agreement_id)
    db.session.refresh(agreement)
    if claimed == 1:
        return True, None
    if not agreement.is_active:
        return False, {"code": "repealed"}
    return False, {"code": "stale", "from": change.base_version, "to": agreement.current_version}


def _apply(poll: Poll, change: AgreementChange, closed_at: datetime, result: dict):
    """Apply an adopted change. Returns (applied, agreement_id, version, reason)."""
    if change.action == "adopt":
        agreement = Agreement(
            group_id=poll.group_id, status="active", created_at=closed_at, current_version=1
        )
        db.session.add(agreement)
        db.session.flush()
        number = 1
        change.agreement_id = agreement.id
    elif change.action == "amend":
        number = change.base_version + 1
        # A new version brings its own review date: an admin's earlier one gives way.
        claimed, reason = _claim_agreement(
            change, {"current_version": number, "review_on": None, "review_notified_on": None}
        )
        if not claimed:
            return False, None, None, reason
    else:
        claimed, reason = _claim_agreement(
            change,
            {"status": "repealed", "repealed_at": closed_at, "repealed_by_poll_id": poll.id},
        )
        if not claimed:
            return False, None, None, reason
        agreement = db.session.get(Agreement, change.agreement_id)
        events.agreement_repealed.send(agreement, poll=poll, now=closed_at)
        return True, change.agreement_id, None, None
    version = AgreementVersion(
        agreement_id=change.agreement_id,
        version=number,
        title=change.title,
        body=change.body,
        body_html=change.body_html,
        rules=dict(change.rules or {}),
        change_summary=change.change_summary or "",
        review_on=change.review_on,
        poll_id=poll.id,
        adopted_at=closed_at,
        result=result,
        proposer_id=poll.author_id,
    )
    db.session.add(version)
    db.session.flush()
    agreement = db.session.get(Agreement, change.agreement_id)
    events.agreement_adopted.send(version, agreement=agreement, poll=poll, now=closed_at)
    return True, change.agreement_id, number, None


def decide(poll: Poll, closed_at: datetime) -> ProposalOutcome | None:
    """Decide a closed proposal and apply its change (on ``events.poll_closed``); sends
    ``events.proposal_decided``. None for other kinds of poll."""
    if poll.kind != "proposal":
        return None
    results, _stances = polls.compute_results(poll, now=closed_at)
    counts = {row.key: row.count for row in results.rows}
    participants = results.participation.cast
    eligible = results.participation.eligible
    quorum = active_rules(poll.group_id, closed_at)["decision_quorum_percent"].value
    verdict = consent.consent_verdict(counts, participants, eligible, quorum)

    applied, agreement_id, version, reason = False, None, None, None
    change = change_for(poll)
    if verdict.adopted and change is not None:
        result = _result_json(counts, participants, eligible, quorum)
        applied, agreement_id, version, reason = _apply(poll, change, closed_at, result)

    # A poll closes again only after a reopen, which an applied change forbids:
    # an earlier outcome is one that applied nothing, and is replaced.
    outcome = outcome_for(poll)
    if outcome is None:
        outcome = ProposalOutcome(poll_id=poll.id)
        db.session.add(outcome)
    outcome.adopted = verdict.adopted
    outcome.applied = applied
    outcome.conditions = [c.to_json() for c in verdict.conditions]
    outcome.not_applied_reason = reason
    outcome.agreement_id = agreement_id
    outcome.version = version
    outcome.decided_at = closed_at
    db.session.flush()
    events.proposal_decided.send(poll, outcome=outcome, now=closed_at)
    return outcome


def reopen_veto(poll: Poll):
    """Why a closed poll may not be reopened (``hooks.poll_reopen_veto``): its closing
    changed an agreement. None otherwise."""
    changed = db.session.scalar(
        sa.select(ProposalOutcome.id).where(
            ProposalOutcome.poll_id == poll.id, ProposalOutcome.applied.is_(True)
        )
    )
    if changed is None:
        return None
    return _l(
        "This proposal was adopted and its change was applied to the agreement: it cannot "
        "be reopened. To change the agreement again, make a new proposal."
    )


# -- reading ------------------------------------------------------------------------------


def open_proposals_touching(
    agreement: Agreement | int, *, now: datetime, exclude_poll_id: int | None = None
) -> list[Poll]:
    """Open proposals that would amend or repeal the agreement (oldest first): while
    there are two, each page warns and links to the other."""
    agreement_id = agreement if isinstance(agreement, int) else agreement.id
    query = (
        sa.select(Poll)
        .join(AgreementChange, AgreementChange.poll_id == Poll.id)
        .where(
            AgreementChange.agreement_id == agreement_id,
            AgreementChange.action != "adopt",
            Poll.closed_at.is_(None),
            Poll.closing_at > now,
        )
        .order_by(Poll.created_at, Poll.id)
    )
    if exclude_poll_id is not None:
        query = query.where(Poll.id != exclude_poll_id)
    return list(db.session.scalars(query))


def changes_for_polls(poll_ids: Iterable[int]) -> dict[int, AgreementChange]:
    """The agreement changes of several polls, by poll id (one query)."""
    ids = list(poll_ids)
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(AgreementChange).where(AgreementChange.poll_id.in_(ids)))
    return {row.poll_id: row for row in rows}


def outcomes_for_polls(poll_ids: Iterable[int]) -> dict[int, ProposalOutcome]:
    """The outcomes of several polls, by poll id (one query)."""
    ids = list(poll_ids)
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(ProposalOutcome).where(ProposalOutcome.poll_id.in_(ids)))
    return {row.poll_id: row for row in rows}


def condition_text(condition: consent.Condition) -> str:
    """One condition of the consent rule, in the reader's language."""
    p = condition.params
    if condition.code == consent.NO_BLOCK:
        if condition.held:
            return gettext("No one blocked.")
        return ngettext("%(num)d person blocked.", "%(num)d people blocked.", p["block"])
    if condition.code == consent.MORE_AGREE:
        if condition.held:
            return gettext(
                "More agree (%(agree)s) than disagree (%(disagree)s).",
                agree=p["agree"],
                disagree=p["disagree"],
            )
        return gettext(
            "Not more agree (%(agree)s) than disagree (%(disagree)s).",
            agree=p["agree"],
            disagree=p["disagree"],
        )
    if condition.code == consent.QUORUM:
        figures = dict(
            participants=p["participants"],
            eligible=p["eligible"],
            percent=p["percent"],
            quorum=p["quorum"],
        )
        if condition.held:
            return gettext(
                "Participation %(participants)s of %(eligible)s (%(percent)s%%) "
                "reached the quorum of %(quorum)s%%.",
                **figures,
            )
        return gettext(
            "Participation %(participants)s of %(eligible)s (%(percent)s%%) "
            "is below the quorum of %(quorum)s%%.",
            **figures,
        )
    return condition.code


def not_applied_text(reason: Mapping | None) -> str | None:
    """Why an adopted change did not take effect, in the reader's language."""
    if not reason:
        return None
    if reason.get("code") == "stale":
        return gettext(
            "Not applied: the agreement changed from v%(from_version)s to v%(to_version)s "
            "since this proposal.",
            from_version=reason.get("from"),
            to_version=reason.get("to"),
        )
    if reason.get("code") == "repealed":
        return gettext("Not applied: the agreement was repealed since this proposal.")
    return gettext("Not applied.")


def explanation_lines(outcome: ProposalOutcome) -> list[tuple[bool, str]]:
    """``(held, text)`` per condition, failed ones first, then the reason a change was
    not applied (as a failed line)."""
    conditions = [consent.Condition.from_json(c) for c in outcome.conditions or []]
    lines = [(c.held, condition_text(c)) for c in conditions if not c.held]
    lines += [(c.held, condition_text(c)) for c in conditions if c.held]
    reason = not_applied_text(outcome.not_applied_reason)
    if reason:
        lines.append((False, reason))
    return lines


def explain(outcome: ProposalOutcome) -> str:
    """The verdict and its conditions in one paragraph, in the reader's language:
    "Not adopted. 2 people blocked. More agree (5) than disagree (3). …"."""
    verdict = gettext("Adopted.") if outcome.adopted else gettext("Not adopted.")
    return " ".join([verdict, *(text for _held, text in explanation_lines(outcome))])


def outcome_json(poll: Poll, locale: str | None = None) -> dict | None:
    """DESIGN.md's ``outcome``: ``{adopted, applied, explanation, agreement_id,
    version}``; None while the poll is open and for other kinds. ``explanation`` in
    ``locale`` (default: the reader's)."""
    if poll.kind != "proposal" or poll.closed_at is None:
        return None
    outcome = outcome_for(poll)
    if outcome is None:
        return None
    if locale:
        with force_locale(locale):
            explanation = explain(outcome)
    else:
        explanation = explain(outcome)
    return {
        "adopted": outcome.adopted,
        "applied": outcome.applied,
        "explanation": explanation,
        "agreement_id": outcome.agreement_id if outcome.applied else None,
        "version": outcome.version if outcome.applied else None,
    }


def agreement_change_json(poll: Poll) -> dict | None:
    """A proposal's agreement change as proposed (an addition to DESIGN.md's poll JSON),
    with, for an amendment, its diff against the base version; None for other kinds and
    for a proposal without one."""
    if poll.kind != "proposal":
        return None
    change = change_for(poll)
    if change is None:
        return None
    has_text = change.action != "repeal"
    out = {
        "action": change.action,
        "agreement_id": change.agreement_id,
        "base_version": change.base_version,
        "current_version": None,
        "title": change.title if has_text else None,
        "body": change.body if has_text else None,
        "body_html": change.body_html if has_text else None,
        "rules": dict(change.rules or {}) if has_text else None,
        "review_on": change.review_on if has_text else None,
        "change_summary": change.change_summary if has_text else None,
        "diff": None,
    }
    if change.action != "adopt":
        agreement = load_agreement(change.agreement_id)
        out["current_version"] = agreement.current_version
        if change.action == "amend":
            base = get_version(agreement, change.base_version)
            out["diff"] = {
                "text": text_diff(
                    base.title,
                    base.body,
                    change.title,
                    change.body,
                    from_label=f"v{base.version}",
                    to_label="proposed",
                ),
                "rules": rules_diff(base.rules or {}, change.rules or {}),
            }
    return out
