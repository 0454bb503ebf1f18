"""How proposals hang on the polls: connected once by the application factory."""

from __future__ import annotations

from flask_babel import gettext

from .. import events, hooks
from . import services
from .display import proposal_panels
from .forms import change_choice, change_edit


def decide_on_close(poll, *, now, **_):
    """A closed proposal is decided, and its change applied, in the closing transaction."""
    services.decide(poll, now)


def outcome(poll, *, locale=None, **_):
    """A proposal's outcome for ``hooks.poll_outcome`` (None for other kinds)."""
    return services.outcome_json(poll, locale)


def reopen_veto(poll, **_):
    return services.reopen_veto(poll)


def panels(polls, *, now, **_):
    """The agreement change and outcome shown on proposals' cards."""
    return proposal_panels(polls, now)


def json_extras(poll, **_):
    return {"agreement_change": services.agreement_change_json(poll)}


def maker(kind, *, extras, **_):
    """Proposals are made with their agreement change (``make_proposal``)."""
    if kind != "proposal":
        return None

    def make(thread, **fields):
        fields.pop("kind", None)
        change = extras.get("agreement_change")
        return services.make_proposal(thread, agreement_change=change, **fields)

    return make


def form_addition(group, *, kind, now, **_):
    """The new-proposal page's agreement change (``ChangeChoice``)."""
    return change_choice(group, now) if kind == "proposal" else None


def state_extra(poll, **_):
    """A proposal's agreement change, kept in each version of the proposal."""
    if poll.kind != "proposal":
        return None
    state = services.change_state(services.change_for(poll))
    return {"agreement_change": state} if state is not None else None


def edit_extra(poll, *, extras, voted, now, **_):
    """Edit a proposal's agreement change (``edit_agreement_change``)."""
    if "agreement_change" not in extras or extras["agreement_change"] is None:
        return None
    if poll.kind != "proposal":
        from ..errors import ValidationFailed

        raise ValidationFailed(
            fields={"agreement_change": gettext("Only a proposal can carry an agreement change.")}
        )
    return services.edit_agreement_change(poll, extras["agreement_change"], voted=voted, now=now)


def write_locks(poll, **_):
    """Lock a proposal's agreement before its close or edit (``lock_changed_agreement``)."""
    if poll.kind == "proposal":
        services.lock_changed_agreement(poll)


def edit_form_addition(poll, *, voted, now, **_):
    """The edit page's agreement change (``ChangeEdit``)."""
    return change_edit(poll, voted=voted, now=now) if poll.kind == "proposal" else None


def open_proposals(agreement, *, now, **_):
    return services.open_proposals_touching(agreement, now=now)


def connect() -> None:
    """Subscribe to the polls' events and answer their extension points."""
    events.poll_closed.connect(decide_on_close)
    hooks.poll_outcome.connect(outcome)
    hooks.poll_reopen_veto.connect(reopen_veto)
    hooks.poll_panels.connect(panels)
    hooks.poll_json_extras.connect(json_extras)
    hooks.poll_maker.connect(maker)
    hooks.poll_form_addition.connect(form_addition)
    hooks.poll_state_extra.connect(state_extra)
    hooks.poll_edit_extra.connect(edit_extra)
    hooks.poll_write_locks.connect(write_locks)
    hooks.poll_edit_form_addition.connect(edit_form_addition)
    hooks.agreement_open_proposals.connect(open_proposals)
