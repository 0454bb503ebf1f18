"""What a proposal's card shows besides the poll: the agreement change it carries
(the proposed text and rules, the diff of an amendment against its base version,
the agreement a repeal ends), the other open proposals touching the same
agreement, and after closing the outcome condition by condition.

``proposal_panels`` computes them for many polls in a fixed number of queries
(the thread page shows every poll of a thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ..agreements.diff import WordBlock, reading_diff, text_diff_lines
from ..agreements.display import RuleChange, RuleLine, rule_lines, rules_diff_rows
from ..agreements.models import AgreementVersion
from ..extensions import db
from ..polls.models import Poll
from .models import AgreementChange, ProposalOutcome
from .services import changes_for_polls, explanation_lines, outcomes_for_polls


@dataclass
class ProposalPanel:
    """The agreement part of a proposal's card."""

    poll_id: int
    change: AgreementChange | None
    #: the agreement amended or repealed (or adopted, once applied), and its group's handle
    agreement_id: int | None = None
    handle: str | None = None
    #: the title of the amended or repealed agreement's base version
    agreement_title: str | None = None
    base: AgreementVersion | None = None
    #: adopt: the proposed rules; amend: the proposed version's rules (all of them)
    rules: list[RuleLine] = field(default_factory=list)
    #: amend: title and text against the base version, and the rules that change
    text_diff: list[tuple[str, str]] = field(default_factory=list)
    #: the same change as people read it, word by word (None: too long, see text_diff)
    words: list[WordBlock] | None = None
    rules_diff: list[RuleChange] = field(default_factory=list)
    #: other open proposals touching the same agreement: ``(poll id, title)``
    others: list[tuple[int, str]] = field(default_factory=list)
    #: when the first of ``others`` closes (the warning changes then, with no write)
    others_until: datetime | None = None
    outcome: ProposalOutcome | None = None
    #: ``(held, text)`` per condition, failed ones first, in the reader's language
    outcome_lines: list[tuple[bool, str]] = field(default_factory=list)

    @property
    def action(self) -> str | None:
        return self.change.action if self.change is not None else None


def proposal_panels(polls: Sequence[Poll], now: datetime) -> dict[int, ProposalPanel]:
    """The panels of the proposals among ``polls``, by poll id: at most five queries
    whatever the number of polls (changes, outcomes, the versions of the agreements
    they touch, the groups' handles, the other open proposals), none without a
    proposal."""
    proposals = [p for p in polls if p.kind == "proposal"]
    if not proposals:
        return {}
    ids = [p.id for p in proposals]
    changes = changes_for_polls(ids)
    closed = [p.id for p in proposals if p.closed_at is not None]
    outcomes = outcomes_for_polls(closed) if closed else {}
    touched = {c.agreement_id for c in changes.values() if c.agreement_id is not None}
    touched |= {o.agreement_id for o in outcomes.values() if o.agreement_id is not None}

    versions: dict[tuple[int, int], AgreementVersion] = {}
    others: dict[int, list[tuple[int, str, datetime]]] = {}
    if touched:
        for version in db.session.scalars(
            sa.select(AgreementVersion).where(AgreementVersion.agreement_id.in_(touched))
        ):
            versions[(version.agreement_id, version.version)] = version
        for agreement_id, poll_id, title, closing_at in db.session.execute(
            sa.select(AgreementChange.agreement_id, Poll.id, Poll.title, Poll.closing_at)
            .join(Poll, Poll.id == AgreementChange.poll_id)
            .where(
                AgreementChange.agreement_id.in_(touched),
                AgreementChange.action != "adopt",
                Poll.closed_at.is_(None),
                Poll.closing_at > now,
            )
            .order_by(Poll.created_at, Poll.id)
        ):
            others.setdefault(agreement_id, []).append((poll_id, title, closing_at))
    handles = _handles({p.group_id for p in proposals}) if touched else {}

    panels: dict[int, ProposalPanel] = {}
    for poll in proposals:
        change = changes.get(poll.id)
        outcome = outcomes.get(poll.id)
        panel = ProposalPanel(poll_id=poll.id, change=change, outcome=outcome)
        panel.handle = handles.get(poll.group_id)
        if outcome is not None:
            panel.outcome_lines = explanation_lines(outcome)
        if change is not None:
            panel.agreement_id = change.agreement_id
            if change.action in ("adopt", "amend"):
                panel.rules = rule_lines(change.rules)
            if change.action != "adopt":
                base = versions.get((change.agreement_id, change.base_version))
                panel.base = base
                panel.agreement_title = base.title if base is not None else None
                if change.action == "amend" and base is not None:
                    panel.text_diff = text_diff_lines(
                        base.title, base.body, change.title, change.body
                    )
                    panel.words = reading_diff(base.title, base.body, change.title, change.body)
                    panel.rules_diff = rules_diff_rows(base.rules, change.rules)
                is_open = poll.closed_at is None and poll.closing_at > now
                if is_open:
                    shown = [o for o in others.get(change.agreement_id, []) if o[0] != poll.id]
                    panel.others = [(pid, title) for pid, title, _closing in shown]
                    panel.others_until = min((o[2] for o in shown), default=None)
        panels[poll.id] = panel
    return panels


def _handles(group_ids: set[int]) -> dict[int, str]:
    from ..groups.models import Group

    rows = db.session.execute(sa.select(Group.id, Group.handle).where(Group.id.in_(group_ids)))
    return {group_id: handle for group_id, handle in rows}
