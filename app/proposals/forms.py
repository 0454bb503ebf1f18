"""Proposal forms: the agreement change a proposal carries (with one widget per
rule), and where a proposal started from the agreements page is discussed. They
validate and convert; ``app.proposals.services`` keeps the
rules (ranges, stale versions) and names the bad fields, which are mapped back
to the widgets here.

The rule widgets are plain inputs read from the submitted form, one fieldset per
key of ``RULE_SPECS``: ``rule-<key>-mode`` (``set`` or ``unset``: "this agreement
does not set this rule") and ``rule-<key>`` (a select for a choice, a checkbox for
a yes/no, a number input, or a textarea with one name a line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import abort, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..agreements.display import unit_text
from ..agreements.rules import RULE_KEYS, RULE_SPECS, validate_rules
from ..agreements.services import agreements_as_of, rule_help, rule_label
from ..bidi import bidi_text
from ..forms import Form
from ..textcheck import whole_number
from .services import MAX_BODY, MAX_CHANGE_SUMMARY, MAX_TITLE, make_proposal

#: what a proposal may change, as the ``change`` argument of the new-proposal pages
CHANGE_ACTIONS = ("adopt", "amend", "repeal")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


@dataclass
class RuleWidget:
    """One rule's inputs as the template draws them."""

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
    #: the value shown: a choice key, a bool, a number as text, or lines of text
    value: Any
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def input_id(self) -> str:
        return f"rule-{self.key}"


def _shown(key: str, value: Any) -> Any:
    """A stored value as its input shows it."""
    spec = RULE_SPECS[key]
    if spec.type == "int":
        return "" if value is None else str(value)
    if spec.type == "list":
        return "\n".join(value or [])
    return value


def _widget(key: str, sets: bool, value: Any) -> RuleWidget:
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
        choices=[(c, gettext(spec.choice_labels.get(c, c))) for c in spec.choices],
    )


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
        **kwargs,
    ):
        super().__init__(formdata, prefix="change", **kwargs)
        self.action = action
        self.agreement = agreement
        self.base = base
        self.general_errors: list[str] = []
        active = active or {}
        if not self.is_submitted() and base is not None:
            self.title.data = base.title
            self.body.data = base.body
            self.base_version.data = str(base.version)
        initial = dict(base.rules or {}) if (base is not None and action == "amend") else {}
        self.widgets: dict[str, RuleWidget] = {}
        for key in RULE_KEYS:
            if formdata is not None and self.is_submitted():
                self.widgets[key] = self._submitted_widget(key, formdata)
            else:
                sets = key in initial
                value = initial[key] if sets else active.get(key, RULE_SPECS[key].default)
                self.widgets[key] = _widget(key, sets, _shown(key, value))
        self.parsed_rules: dict[str, Any] = {}

    # -- reading the rule inputs ---------------------------------------------------

    @staticmethod
    def _submitted_widget(key: str, formdata) -> RuleWidget:
        spec = RULE_SPECS[key]
        sets = formdata.get(f"rule-{key}-mode") == "set"
        if spec.type == "bool":
            value = f"rule-{key}" in formdata
        else:
            value = formdata.get(f"rule-{key}", "")
        return _widget(key, sets, value)

    def _parse_rules(self) -> dict[str, Any]:
        """The rules the inputs set (``{key: value}``); type errors go on the widgets.
        Ranges are checked by ``validate_rules`` (the service's own check)."""
        rules: dict[str, Any] = {}
        for key, widget in self.widgets.items():
            if not widget.sets:
                continue
            spec = RULE_SPECS[key]
            value = widget.value
            if spec.type == "int":
                text = (value or "").strip()
                if text == "":
                    if spec.nullable:
                        rules[key] = None
                    else:
                        widget.error = gettext("Give a number, or choose “does not set”.")
                    continue
                number = whole_number(text)
                if number is None:
                    widget.error = gettext("Must be a whole number.")
                else:
                    rules[key] = number
                continue
            if spec.type == "list":
                rules[key] = [line.strip() for line in (value or "").splitlines() if line.strip()]
                continue
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
            choices.append(("new", _l("A new thread, named “Proposal: <the proposal's title>”")))
        choices += [(str(t.id), bidi_text(t.title)) for t in threads]
        self.thread.choices = choices
        if not self.is_submitted() and choices:
            self.thread.data = choices[0][0]


# -- the choice of change on the new-proposal pages ------------------------------------


@dataclass
class ChangeChoice:
    """What the proposal being written changes, from the page's address
    (``?change=adopt|amend|repeal&agreement=<id>``): the action, the agreement and its
    current version, the form (None for no change), and the group's active
    agreements to choose from."""

    action: str
    agreements: list
    agreement: Any = None
    base: Any = None
    form: AgreementChangeForm | None = None

    def make(self, thread, *, author, now, **poll_fields):
        """The proposal, with the chosen change attached (``make_proposal``)."""
        change = self.form.payload() if self.form is not None else None
        return make_proposal(thread, author=author, now=now, agreement_change=change, **poll_fields)


def change_choice(group, now) -> ChangeChoice:
    """The change chosen in the address; 404 for an agreement not active in the group."""
    state = agreements_as_of(group, now)
    action = request.args.get("change", "")
    if action not in CHANGE_ACTIONS:
        return ChangeChoice(action="", agreements=state.active)
    chosen = None
    if action != "adopt":
        wanted = whole_number(request.args.get("agreement"), min=1)
        chosen = next((s for s in state.active if s.id == wanted), None)
        if chosen is None:
            abort(404)
    formdata = request.form if request.method == "POST" else None
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
    )
