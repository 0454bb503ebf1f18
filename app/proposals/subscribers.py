"""How proposals hang on the polls: connected once by the application factory."""

from __future__ import annotations

from .. import events, hooks
from . import services
from .display import proposal_panels
from .forms import change_choice


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
    hooks.agreement_open_proposals.connect(open_proposals)
