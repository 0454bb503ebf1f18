"""Support in words: kinds, statuses, routes and timeline lines in the reader's language.

``routing`` decides with codes and figures; this module writes them as sentences
when they are read (pages, API, notifications), so that each reader gets their
own language. A rule's provenance is named with the agreement's title and
version: "(«Nos accords d'écoute» v2)".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..agreements.rules import RuleSource
from . import routing

#: the eight functions of mutual support, in plain words (seed ``003``)
KIND_LABELS = {
    "material": _l("Practical help"),
    "emotional": _l("Listening"),
    "motivational": _l("Encouragement"),
    "self_esteem": _l("Confidence"),
    "companionship": _l("Company"),
    "information": _l("Information and advice"),
    "social_activity": _l("Going out together"),
    "advocacy": _l("Standing up for me"),
}
KIND_HINTS = {
    "material": _l("a hand with something concrete: a move, a meal, a lift"),
    "emotional": _l("someone to talk to, who listens without judging"),
    "motivational": _l("a push to get going or keep going"),
    "self_esteem": _l("someone to remind me what I am worth"),
    "companionship": _l("not being alone for a while"),
    "information": _l("knowing where to turn, sharing what you know"),
    "social_activity": _l("doing something together, outside"),
    "advocacy": _l("someone by my side to defend my rights"),
}
STATUS_LABELS = {
    "open": _l("Waiting for an answer"),
    "matched": _l("Someone is with them"),
    "closed": _l("Closed"),
    "lapsed": _l("Lapsed"),
}
OUTCOME_LABELS = {
    "happened": _l("It happened"),
    "did_not_happen": _l("It did not happen"),
    "not_needed": _l("Not needed any more"),
}
AVAILABILITY_LABELS = {
    "available": _l("Available"),
    "busy": _l("Busy"),
    "away": _l("Away"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def source_text(source: RuleSource | None) -> str:
    """Where a rule comes from: "«Nos accords d'écoute» v2", or "not agreed yet"."""
    if source is None:
        return _("the default rule, not agreed yet")
    return _("“%(title)s” v%(version)s", title=source.title, version=source.version)


def _delay(params: Mapping[str, Any]) -> str:
    if "minutes" in params:
        return ngettext("%(num)d minute", "%(num)d minutes", params["minutes"])
    if "hours" in params:
        return ngettext("%(num)d hour", "%(num)d hours", params["hours"])
    if "days" in params:
        return ngettext("%(num)d day", "%(num)d days", params["days"])
    return ""


def route_text(explanation: routing.Explanation | Mapping | None) -> str:
    """What will happen to a request, from its route's explanation: a sentence of its
    own (pages and the API's ``route.explanation`` alike)."""
    text = _route_words(explanation)
    return text[:1].upper() + text[1:]


def _route_words(explanation: routing.Explanation | Mapping | None) -> str:
    if explanation is None:
        return ""
    if isinstance(explanation, Mapping):
        explanation = routing.Explanation.from_json(explanation)
    code, p = explanation.code, explanation.params
    who = _("the supporters you named") if p.get("named") else _("the available supporters")
    if code == routing.URGENT_IMPORTANT:
        return _(
            "%(who)s are told at once; without an answer within %(delay)s, "
            "the whole circle is told.",
            who=who,
            delay=_delay(p),
        )
    if code == routing.URGENT_MINOR:
        return _(
            "%(who)s are told at once; if nobody is free within %(delay)s, "
            "the request ends quietly.",
            who=who,
            delay=_delay(p),
        )
    if code == routing.IMPORTANT:
        return _(
            "%(who)s see it now and in their daily email; without an answer within "
            "%(delay)s, they are reminded.",
            who=who,
            delay=_delay(p),
        )
    if code == routing.DIGEST_ONLY:
        return _("%(who)s see it now and in their daily email.", who=who)
    if code == routing.MATCHED_AT_ONCE:
        return _("The person you named is asked directly (no availability check).")
    return ""


def why_text(why: Mapping | None) -> str:
    """Why a supporter was told (a ``notified`` line of the timeline)."""
    if not why:
        return ""
    code = why.get("code")
    params = why.get("params") or {}
    if code == routing.URGENT_IMPORTANT:
        text = _("urgent and important: every available supporter at once")
    elif code == routing.URGENT_MINOR:
        text = _("urgent: every available supporter at once")
    elif code == routing.IMPORTANT:
        text = _("important: in the daily email")
    elif code == routing.DIGEST_ONLY:
        text = _("in the daily email")
    elif code == routing.MATCHED_AT_ONCE:
        text = _("named, without an availability check")
    elif code == routing.ESCALATED:
        text = _("no answer within %(delay)s: the whole circle is told", delay=_delay(params))
    elif code == routing.OVERDUE_REMINDER:
        text = _("still no answer after %(delay)s: a reminder", delay=_delay(params))
    else:
        return ""
    if params.get("woken"):
        text = _("%(reason)s (during quiet hours, as allowed)", reason=text)
    return text


STEP_TEXTS = {
    "asked": _l("%(name)s asked"),
    "notified": _l("%(name)s was told"),
    "declined": _l("%(name)s cannot now"),
    "matched": _l("%(name)s is available"),
    "released": _l("%(name)s cannot any more: the request is open again"),
    "escalated": _l("No answer in time: the whole circle is told"),
    "lapsed": _l("Nobody was free in time: the request ended quietly"),
    "overdue": _l("Still no answer: supporters reminded"),
    "followup": _l("Both were asked whether it happened"),
    "closed": _l("%(name)s closed it: %(outcome)s"),
}


def step_text(step) -> str:
    """One timeline line in words."""
    name = step.user.name if step.user is not None else ""
    outcome = ""
    if step.kind == "closed" and step.why:
        outcome = str(OUTCOME_LABELS.get(step.why.get("code"), ""))
    return str(STEP_TEXTS[step.kind]) % {"name": name, "outcome": outcome}
