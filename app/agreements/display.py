"""How agreements read on a page: a deciding poll's result in words, rules in words,
diffs as rows. Reading only; the reader's language comes from Flask-Babel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import get_timezone, gettext, ngettext
from markupsafe import Markup

from ..i18n import SHORT, format_day
from . import diff
from .rules import RULE_KEYS, RULE_SPECS
from .services import rule_help, rule_label, rule_value_text

#: an agreement whose review date is this close shows "review soon"
REVIEW_SOON = timedelta(days=14)

UNIT_WORDS = {
    "days": lambda: gettext("days"),
    "minutes": lambda: gettext("minutes"),
    "hours": lambda: gettext("hours"),
    "per_week": lambda: gettext("times a week"),
    "percent": lambda: gettext("%"),
}


def result_text(result: Mapping | None) -> str:
    """ "5 agree, 1 abstain, 0 disagree, 0 block, 6 of 6 took part" (empty when unknown)."""
    if not result:
        return ""
    counts = result.get("counts") or {}
    return gettext(
        "%(agree)s agree, %(abstain)s abstain, %(disagree)s disagree, %(block)s block, "
        "%(participants)s of %(eligible)s took part",
        agree=counts.get("agree", 0),
        abstain=counts.get("abstain", 0),
        disagree=counts.get("disagree", 0),
        block=counts.get("block", 0),
        participants=result.get("participants", 0),
        eligible=result.get("eligible", 0),
    )


def value_text(key: str, value: Any) -> str:
    """A rule's value in words, in the reader's language; unknown keys as they are."""
    if key not in RULE_SPECS:
        return str(value)
    return rule_value_text(key, value)


def unit_text(key: str) -> str:
    unit = RULE_SPECS[key].unit
    return UNIT_WORDS[unit]() if unit in UNIT_WORDS else ""


def key_label(key: str) -> str:
    return rule_label(key) if key in RULE_SPECS else key


@dataclass(frozen=True)
class RuleLine:
    """One rule an agreement version sets, in words."""

    key: str
    label: str
    value: str
    help: str


def rule_lines(rules: Mapping | None) -> list[RuleLine]:
    """The rules a version sets, in rule order, in words."""
    rules = rules or {}
    return [
        RuleLine(key, rule_label(key), rule_value_text(key, rules[key]), rule_help(key))
        for key in RULE_KEYS
        if key in rules
    ]


@dataclass(frozen=True)
class RuleChange:
    """One row of a rules diff: ``before``/``after`` in words ("not set" for a side
    that does not set the key)."""

    key: str
    label: str
    before: str
    after: str
    before_set: bool
    after_set: bool


def rules_diff_rows(old: Mapping | None, new: Mapping | None) -> list[RuleChange]:
    """The keys set differently by two rule sets, in words."""
    not_set = gettext("not set")
    rows = []
    for key, change in diff.rules_diff(old or {}, new or {}).items():
        rows.append(
            RuleChange(
                key=key,
                label=key_label(key),
                before=value_text(key, change["from"]) if "from" in change else not_set,
                after=value_text(key, change["to"]) if "to" in change else not_set,
                before_set="from" in change,
                after_set="to" in change,
            )
        )
    return rows


def local_today(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def review_state(review_on: date | None, today: date) -> str | None:
    """``due`` (on or before today), ``soon`` (within two weeks) or None."""
    if review_on is None:
        return None
    if review_on <= today:
        return "due"
    if review_on - today <= REVIEW_SOON:
        return "soon"
    return None


def review_count_text(count: int) -> str:
    return ngettext(
        "%(num)d agreement is due for review.", "%(num)d agreements are due for review.", count
    )


# -- a page's words, looked up once ----------------------------------------------------


class PageWords:
    """What a page writes many times, worked out once per request: dates in the reader's
    zone and language (``day``), rule values in words (``value``). A page of 40
    agreements names the same days and values again and again."""

    def __init__(self):
        self.zone = get_timezone()
        self._days: dict[tuple, str] = {}
        self._values: dict[tuple, str] = {}

    def day(self, value: date | datetime | None, style: str = SHORT) -> str:
        """As ``|date(style)``: a time's date in the reader's zone, in their language."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            try:
                value = moment.astimezone(self.zone).date()
            except (OverflowError, ValueError):
                value = moment.astimezone(UTC).date()
        key = (value, style)
        text = self._days.get(key)
        if text is None:
            text = self._days[key] = format_day(value, style)
        return text

    def value(self, key: str, value: Any) -> str:
        """As ``value_text``."""
        memo = (key, tuple(value) if isinstance(value, list) else value)
        try:
            text = self._values.get(memo)
        except TypeError:  # an unhashable value (a malformed rule): not kept
            return value_text(key, value)
        if text is None:
            text = self._values[memo] = value_text(key, value)
        return text


def sentence(translated: str) -> Markup:
    """A translated sentence with ``%(name)s`` blanks, trusted as the templates' ``_()``
    trusts a translation: the values ``%`` puts in are escaped (``sentence(_("…")) %
    {...}``). For a sentence translated once and filled in many times."""
    return Markup(translated)  # noqa: S704 - a translation (ours), not a person's text


#: an id no route is built with, replaced by the real one (see ``url_pattern``)
_MARKER = 987654321


def url_pattern(endpoint: str, key: str, **values) -> Callable[[Any], str]:
    """``url_for(endpoint, key=…, **values)`` built once: the returned function puts an id
    in its place (a page of 40 links to the same route builds one, not 40)."""
    url = url_for(endpoint, **values, **{key: _MARKER})
    head, found, tail = url.partition(str(_MARKER))
    if not found or str(_MARKER) in tail:
        raise ValueError(f"{endpoint}: {key} is not one part of {url}")
    return lambda value: f"{head}{int(value)}{tail}"
