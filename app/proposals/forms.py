"""Proposal forms: the agreement change a proposal carries (with one widget per
rule), and where a proposal started from the agreements page is discussed. They
validate and convert; ``app.proposals.services`` keeps the
rules (ranges, stale versions) and names the bad fields, which are mapped back
to the widgets here.

The rule widgets are plain inputs read from the submitted form, one fieldset per
key of ``RULE_SPECS``: ``rule-<key>`` (a select for a choice or a yes/no, a number
input, or a textarea with one name a line) and ``rule-<key>-unset`` ("Leave unset").
A value entered sets the rule; only "Leave unset" leaves it unset; both at once is
an error on the rule (``read_rule``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import abort, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..agreements.display import unit_text
from ..agreements.rules import RULE_KEYS, RULE_SPECS, validate_rules
from ..agreements.services import agreements_as_of, rule_help, rule_label, rule_value_text
from ..bidi import bidi_text
from ..forms import Form
from ..textcheck import whole_number
from .services import (
    MAX_BODY,
    MAX_CHANGE_SUMMARY,
    MAX_TITLE,
    change_for,
    change_state,
    make_proposal,
)

#: what a proposal may change, as the ``change`` argument of the new-proposal pages
CHANGE_ACTIONS = ("adopt", "amend", "repeal")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


@dataclass
class RuleWidget:
    """One rule's inputs as the template draws them: the value (``rule-<key>``) and the
    "Leave unset" checkbox (``rule-<key>-unset``)."""

    key: str
    type: str
    label: str
    help: str
    unit: str
    minimum: int | None
    maximum: int | None
    nullable: bool
    #: whether this agreement sets the rule
    sets: bool
    #: the value shown: a choice key, ``yes``/``no``, a number as text, or lines of
    #: text; empty when nothing is entered
    value: Any
    #: the value in force today, in words (what leaving the rule unset keeps)
    in_force: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    #: the "Leave unset" checkbox is ticked
    unset: bool = False

    @property
    def input_id(self) -> str:
        return f"rule-{self.key}"

    @property
    def state_text(self) -> str:
        """The rule's state for the folded summary: "set: 21 days" or "not set"."""
        if self.error:
            return gettext("to correct")
        if not self.sets:
            return gettext("not set (in force: %(value)s)", value=self.in_force)
        return gettext("set: %(value)s", value=self.shown_text)

    @property
    def shown_text(self) -> str:
        value = self.value
        if self.type == "choice":
            return dict(self.choices).get(value, value)
        if self.type == "bool":
            return gettext("Yes") if value == "yes" else gettext("No")
        if self.type == "int":
            return (value or "").strip() or gettext("None")
        lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
        return ", ".join(lines) or gettext("None")


def _shown(key: str, value: Any) -> Any:
    """A stored value as its input shows it."""
    spec = RULE_SPECS[key]
    if spec.type == "int":
        return "" if value is None else str(value)
    if spec.type == "list":
        return "\n".join(value or [])
    if spec.type == "bool":
        return "yes" if value else "no"
    return value


def _widget(key: str, sets: bool, value: Any, in_force: Any, *, unset: bool) -> RuleWidget:
    spec = RULE_SPECS[key]
    return RuleWidget(
        key=key,
        type=spec.type,
        label=rule_label(key),
        help=rule_help(key),
        unit=unit_text(key) if spec.type == "int" else "",
        minimum=spec.minimum,
        maximum=spec.maximum,
        nullable=spec.nullable,
        sets=sets,
        value=value,
        in_force=rule_value_text(key, in_force),
        choices=[(c, gettext(spec.choice_labels.get(c, c))) for c in spec.choices],
        unset=unset,
    )


#: what ``read_rule`` found: the rule is set to ``value``, left unset, or in error
SET, UNSET, ERROR = "set", "unset", "error"


def read_rule(key: str, raw: str, unset: bool) -> tuple[str, Any, str | None]:
    """One rule's inputs read (pure): ``(SET, value, None)``, ``(UNSET, None, None)`` or
    ``(ERROR, None, message)``.

    A value entered sets the rule; the rule is left unset only by ticking "Leave
    unset"; both at once is an error, never a silent choice. With neither, a rule
    whose empty value means something (no check-ins, no channels) is set to it, and
    any other rule asks for a value. Ranges are checked later (``validate_rules``).
    """
    spec = RULE_SPECS[key]
    text = (raw or "").strip()
    if spec.type == "list":
        lines = [line.strip() for line in (raw or "").splitlines() if line.strip()]
        entered = bool(lines)
    else:
        entered = text != ""
    if entered and unset:
        return (
            ERROR,
            None,
            gettext(
                "You gave a value and ticked “Leave unset”: clear the value, "
                "or untick “Leave unset” to set the rule."
            ),
        )
    if unset:
        return UNSET, None, None
    if spec.type == "list":
        return SET, lines, None
    if not entered:
        if spec.type == "int" and spec.nullable:
            return SET, None, None
        return ERROR, None, gettext("Give a value, or tick “Leave unset”.")
    if spec.type == "int":
        number = whole_number(text)
        if number is None:
            return ERROR, None, gettext("Must be a whole number.")
        return SET, number, None
    if spec.type == "bool":
        if text not in ("yes", "no"):
            return ERROR, None, gettext("Choose yes or no.")
        return SET, text == "yes", None
    if text not in spec.choices:
        return ERROR, None, gettext("Choose one of the values offered.")
    return SET, text, None


class AgreementChangeForm(Form):
    """The agreement change of a new proposal: ``action`` (``adopt``, ``amend`` or
    ``repeal``), the ``agreement`` amended or repealed and its current ``base``
    version, and the ``active`` rule values (``{key: value}``) that prefill the
    widgets of rules the agreement does not set yet. Its fields are prefixed
    ``change-``; the proposal's own form carries the CSRF token."""

    class Meta:
        csrf = False

    title = StringField(
        _l("Title of the agreement"), filters=[_strip], validators=[Length(max=MAX_TITLE)]
    )
    body = TextAreaField(
        _l("Text of the agreement"),
        validators=[Length(max=MAX_BODY)],
        render_kw={"rows": 12},
    )
    change_summary = TextAreaField(
        _l("What changes, in a few words (optional)"),
        validators=[Optional(), Length(max=MAX_CHANGE_SUMMARY)],
        render_kw={"rows": 2},
    )
    review_on = DateField(_l("Review date (optional)"), validators=[Optional()])
    base_version = HiddenField()

    def __init__(
        self,
        formdata=None,
        *,
        action: str,
        agreement=None,
        base=None,
        active: Mapping[str, Any] | None = None,
        current: Mapping[str, Any] | None = None,
        **kwargs,
    ):
        """``current``: the change as proposed (``services.change_state``), which the
        edit page starts from instead of the base version."""
        super().__init__(formdata, prefix="change", **kwargs)
        self.action = action
        self.agreement = agreement
        self.base = base
        self.general_errors: list[str] = []
        active = active or {}
        if (formdata is None or not self.is_submitted()) and base is not None:
            self.title.data = base.title
            self.body.data = base.body
            self.base_version.data = str(base.version)
        initial = dict(base.rules or {}) if (base is not None and action == "amend") else {}
        if current is not None:
            if formdata is None or not self.is_submitted():
                self.title.data = current["title"]
                self.body.data = current["body"]
                self.change_summary.data = current["change_summary"]
                review_on = current["review_on"]
                self.review_on.data = date.fromisoformat(review_on) if review_on else None
            initial = dict(current["rules"] or {})
        self.widgets: dict[str, RuleWidget] = {}
        for key in RULE_KEYS:
            in_force = active.get(key, RULE_SPECS[key].default)
            if formdata is not None and self.is_submitted():
                self.widgets[key] = self._submitted_widget(key, formdata, in_force)
            elif key in initial:
                self.widgets[key] = _widget(
                    key, True, _shown(key, initial[key]), in_force, unset=False
                )
            else:
                self.widgets[key] = _widget(key, False, "", in_force, unset=True)
        self.parsed_rules: dict[str, Any] = {}

    # -- reading the rule inputs ---------------------------------------------------

    @staticmethod
    def _submitted_widget(key: str, formdata, in_force) -> RuleWidget:
        # A post without the rule's inputs at all (not a browser's) leaves it unset.
        unset = f"rule-{key}-unset" in formdata or f"rule-{key}" not in formdata
        value = formdata.get(f"rule-{key}", "")
        state, _value, _error = read_rule(key, value, unset)
        return _widget(key, state != UNSET, value, in_force, unset=unset)

    def _parse_rules(self) -> dict[str, Any]:
        """The rules the inputs set (``{key: value}``); errors go on the widgets.
        Ranges are checked by ``validate_rules`` (the service's own check)."""
        rules: dict[str, Any] = {}
        for key, widget in self.widgets.items():
            state, value, error = read_rule(key, widget.value, widget.unset)
            if state == ERROR:
                widget.error = error
            elif state == SET:
                rules[key] = value
        for name, message in validate_rules(rules).items():
            key = name.split(".", 1)[1] if "." in name else None
            if key in self.widgets and self.widgets[key].error is None:
                self.widgets[key].error = gettext(message.template, **message.params)
        return rules

    def validate(self, extra_validators=None) -> bool:
        """The fields, and the rules' types and ranges (each error on its widget)."""
        valid = super().validate(extra_validators)
        if self.action == "repeal":
            return valid
        self.parsed_rules = self._parse_rules()
        return valid and not self.rule_errors()

    def rule_errors(self) -> dict[str, str]:
        return {key: w.error for key, w in self.widgets.items() if w.error}

    # -- to the service, and back ------------------------------------------------------

    def payload(self) -> dict:
        """The API's ``agreement_change`` for ``attach_agreement_change``."""
        if self.action == "repeal":
            return {
                "action": "repeal",
                "agreement_id": self.agreement.id,
                "base_version": self._base_version(),
            }
        change = {
            "action": self.action,
            "title": self.title.data or "",
            "body": self.body.data or "",
            "rules": self.parsed_rules,
            "review_on": self.review_on.data,
            "change_summary": self.change_summary.data or "",
        }
        if self.action == "amend":
            change["agreement_id"] = self.agreement.id
            change["base_version"] = self._base_version()
        return change

    def _base_version(self):
        raw = (self.base_version.data or "").strip()
        number = whole_number(raw, min=1)
        return raw if number is None else number

    def show_errors(self, error) -> bool:
        """Put a service's field errors on the widgets: ``rules.<key>`` on the rule,
        ``agreement_change.<field>`` on the field; others become general errors, and
        so does the message of a conflict (a stale or repealed agreement). True when
        some error was placed."""
        fields = error.fields
        placed = False
        if error.status == 409 and any(name.startswith("agreement_change") for name in fields):
            self.general_errors.append(str(error.message))
        for name, message in fields.items():
            text = str(message)
            if name.startswith("rules."):
                key = name.split(".", 1)[1]
                if key in self.widgets:
                    self.widgets[key].error = text
                else:
                    self.general_errors.append(text)
                placed = True
                continue
            if name.startswith("agreement_change"):
                field_name = name.split(".", 1)[1] if "." in name else ""
                target = self[field_name] if field_name in self._fields else None
                if target is not None and field_name != "base_version":
                    target.errors = [*target.errors, text]
                else:
                    self.general_errors.append(text)
                placed = True
        return placed


class WhereForm(Form):
    """Where a proposal started from the agreements page is discussed: a new thread
    named after it (``new``), or one of the group's open threads (its id)."""

    class Meta:
        csrf = False

    thread = SelectField(_l("Where to discuss it"), default="new")

    def __init__(self, *args, threads, may_start_thread: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if may_start_thread:
            # A plain str, not a lazy string: WTForms would take a lazy one's
            # ``__html__`` for trusted HTML (and a placeholder in it for a tag).
            choices.append(("new", gettext("A new thread, with the proposal's title")))
        choices += [(str(t.id), bidi_text(t.title)) for t in threads]
        self.thread.choices = choices
        if not self.is_submitted() and choices:
            self.thread.data = choices[0][0]


# -- the choice of change on the new-proposal pages ------------------------------------


@dataclass
class ChangeChoice:
    """What the proposal being written changes: the action, the agreement and its
    current version, the form (None for no change), and the group's active agreements
    to choose from.

    The choice is a radio group of the proposal's own form (``change_choice``:
    ``""``, ``adopt``, ``amend:<id>`` or ``repeal:<id>``); its "Show the fields for
    this choice" button (``choose_change``) sends the whole form back to be drawn
    again with the new choice's fields, so nothing typed is lost (``rechoosing``: the
    page is only drawn again, nothing is made). A first visit may preselect it from
    the address (``?change=adopt|amend|repeal&agreement=<id>``)."""

    action: str
    agreements: list
    agreement: Any = None
    base: Any = None
    form: AgreementChangeForm | None = None
    #: the form asked only to show another choice's fields
    rechoosing: bool = False

    @property
    def token(self) -> str:
        """The choice as its radio's value."""
        if self.action in ("amend", "repeal") and self.agreement is not None:
            return f"{self.action}:{self.agreement.id}"
        return self.action

    def make(self, thread, *, author, now, **poll_fields):
        """The proposal, with the chosen change attached (``make_proposal``)."""
        change = self.form.payload() if self.form is not None else None
        return make_proposal(thread, author=author, now=now, agreement_change=change, **poll_fields)


def _requested_choice() -> tuple[str, str | None, bool]:
    """``(action, agreement id as text, whether the change fields sent are this
    choice's)``: from the form's radio group when it has one, else the address."""
    if request.method == "POST" and "change_choice" in request.form:
        action, _sep, ident = request.form.get("change_choice", "").partition(":")
        token = request.form.get("change_choice", "")
        return action, ident or None, request.form.get("change_shown") == token
    return request.args.get("change", ""), request.args.get("agreement"), True


def change_choice(group, now) -> ChangeChoice:
    """The change chosen; 404 for an agreement not active in the group."""
    state = agreements_as_of(group, now)
    action, ident, same = _requested_choice()
    # Another choice than the fields sent: only draw the page again with its fields.
    rechoosing = request.method == "POST" and ("choose_change" in request.form or not same)
    if action not in CHANGE_ACTIONS:
        return ChangeChoice(action="", agreements=state.active, rechoosing=rechoosing)
    chosen = None
    if action != "adopt":
        wanted = whole_number(ident, min=1)
        chosen = next((s for s in state.active if s.id == wanted), None)
        if chosen is None:
            abort(404)
    formdata = request.form if request.method == "POST" and same else None
    form = AgreementChangeForm(
        formdata,
        action=action,
        agreement=chosen.agreement if chosen else None,
        base=chosen.version if chosen else None,
        active={key: rule.value for key, rule in state.rules.items()},
    )
    return ChangeChoice(
        action=action,
        agreements=state.active,
        agreement=chosen.agreement if chosen else None,
        base=chosen.version if chosen else None,
        form=form,
        rechoosing=rechoosing,
    )


# -- correcting an open proposal --------------------------------------------------------


@dataclass
class ChangeEdit:
    """The agreement change on a proposal's edit page: its form (None when it cannot be
    edited: somebody voted, or a repeal has nothing to edit) and why not (``note``)."""

    action: str
    form: AgreementChangeForm | None
    note: str | None = None
    base: Any = None

    def extras(self) -> dict:
        """``edit_poll``'s ``extras``: the change as edited, without what cannot change."""
        if self.form is None:
            return {}
        payload = self.form.payload()
        for name in ("action", "agreement_id", "base_version"):
            payload.pop(name, None)
        return {"agreement_change": payload}


def change_edit(poll, *, voted: bool, now) -> ChangeEdit | None:
    """The agreement change part of a proposal's edit page (None without a change)."""
    change = change_for(poll)
    if change is None:
        return None
    if voted:
        note = gettext(
            "Someone has already voted: the agreement change stays as it was, so that every "
            "stance is about the same text and rules. To change it, close this proposal and "
            "make a new one."
        )
        return ChangeEdit(action=change.action, form=None, note=note)
    if change.action == "repeal":
        return ChangeEdit(action=change.action, form=None)
    state = agreements_as_of(poll.group, now)
    base = None
    agreement = None
    if change.action == "amend":
        chosen = next((s for s in state.active if s.id == change.agreement_id), None)
        if chosen is None or chosen.version.version != change.base_version:
            note = gettext(
                "The agreement has changed since this proposal was made: its amendment "
                "can no longer be edited. Close this proposal and make a new one."
            )
            return ChangeEdit(action=change.action, form=None, note=note)
        agreement, base = chosen.agreement, chosen.version
    formdata = request.form if request.method == "POST" else None
    form = AgreementChangeForm(
        formdata,
        action=change.action,
        agreement=agreement,
        base=base,
        active={key: rule.value for key, rule in state.rules.items()},
        current=change_state(change),
    )
    return ChangeEdit(action=change.action, form=form, base=base)
