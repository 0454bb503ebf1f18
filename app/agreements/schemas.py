"""API schemas for agreements and the active rules (they validate input and document
the API). Names start with ``Agreement`` or ``Rule``: one OpenAPI namespace for every
feature."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from ..api.schemas import Date, Integer, QuerySchema, UTCDateTime, bounds_problem
from ..timeutil import end_of_day
from .rules import RULE_KEYS

STATUS_FILTERS = ("active", "all")
AS_OF_HELP = (
    "a date-time with a zone (`2026-05-12T09:30:00+02:00`, `...Z`), or a date (`2026-05-12`: "
    "the end of that day in UTC); a time without a zone is a 400 naming `as_of`. Default: now"
)
RULES_HELP = "`{key: value}` for the rule keys the version sets (" + ", ".join(RULE_KEYS) + ")"


class AsOf(fields.Field):
    """An instant: an aware ISO 8601 date-time, or a date meaning the end of that day (UTC)."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        text = value.strip() if isinstance(value, str) else ""
        if len(text) == 10 and text.isascii():
            try:
                day = date.fromisoformat(text)
            except ValueError:
                pass
            else:
                problem = bounds_problem(day)
                if problem:
                    raise ValidationError(problem)
                return end_of_day(day, "UTC")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError(
                _("Give a date (YYYY-MM-DD) or a date and time with a time zone.")
            ) from exc
        if moment.tzinfo is None:
            raise ValidationError(_("Give a time zone (for example 2026-05-12T09:30:00+02:00)."))
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            moment = datetime.min.replace(tzinfo=UTC)
        problem = bounds_problem(moment)
        if problem:
            raise ValidationError(problem)
        return moment


# -- input ----------------------------------------------------------------------------


class AgreementListQuerySchema(QuerySchema):
    status = fields.String(
        load_default="active",
        validate=validate.OneOf(STATUS_FILTERS),
        metadata={
            "description": "`active` (default): the agreements in force; `all`: repealed ones "
            "too, after them (latest repealed first), with `repealed_at`"
        },
    )
    as_of = AsOf(
        load_default=None,
        metadata={
            "description": "the agreements as they stood then (an addition to DESIGN.md): the "
            "version current then, and the status then. " + AS_OF_HELP,
            "type": "string",
        },
    )


class RulesQuerySchema(QuerySchema):
    as_of = AsOf(load_default=None, metadata={"description": AS_OF_HELP, "type": "string"})


class AgreementDiffQuerySchema(QuerySchema):
    from_version = Integer(
        required=True,
        data_key="from",
        min=1,
        metadata={"description": "a version number of this agreement (the old side)"},
    )
    to_version = Integer(
        required=True,
        data_key="to",
        min=1,
        metadata={"description": "a version number of this agreement (the new side)"},
    )


class AgreementUpdateSchema(Schema):
    review_on = Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "the review date (YYYY-MM-DD, in the future); null clears the "
            "admin's date (the current version's own review date, if any, applies again)"
        },
    )


# -- output ---------------------------------------------------------------------------


class AgreementResultSchema(Schema):
    """The deciding poll's result, as stored when the version was adopted."""

    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "`{agree, abstain, disagree, block}`"},
    )
    participants = fields.Integer()
    eligible = fields.Integer()
    participation_percent = fields.Integer(metadata={"description": "truncated"})
    quorum_percent = fields.Integer(metadata={"description": "the quorum in force at the close"})


class AgreementVersionSchema(Schema):
    version = fields.Integer()
    title = fields.String()
    body = fields.String(metadata={"description": "Markdown"})
    body_html = fields.String(metadata={"description": "safe HTML"})
    rules = fields.Dict(metadata={"description": RULES_HELP})
    adopted_at = UTCDateTime(metadata={"description": "the deciding poll's closing time"})
    poll_id = fields.Integer(metadata={"description": "the proposal that adopted it"})
    change_summary = fields.String()
    review_on = fields.Date(
        allow_none=True, metadata={"description": "the review date proposed with this version"}
    )
    result = fields.Nested(AgreementResultSchema, allow_none=True)


class AgreementSummarySchema(Schema):
    id = fields.Integer()
    title = fields.String(metadata={"description": "the current version's"})
    status = fields.String(metadata={"description": "`active` or `repealed`"})
    version = fields.Integer(metadata={"description": "the current version's number"})
    body = fields.String(metadata={"description": "Markdown"})
    body_html = fields.String(metadata={"description": "safe HTML"})
    rules = fields.Dict(metadata={"description": RULES_HELP})
    adopted_at = UTCDateTime(metadata={"description": "when the current version was adopted"})
    poll_id = fields.Integer(metadata={"description": "the proposal that adopted it"})
    review_on = fields.Date(
        allow_none=True,
        metadata={
            "description": "the review date: an admin's (PATCH), else the current version's; "
            "null for a repealed agreement"
        },
    )
    repealed_at = UTCDateTime(allow_none=True, metadata={"description": "null while active"})


class AgreementListSchema(Schema):
    items = fields.List(
        fields.Nested(AgreementSummarySchema),
        metadata={"description": "active ones, oldest first; then repealed ones (`status=all`)"},
    )


class AgreementSchema(AgreementSummarySchema):
    repealed_by_poll_id = fields.Integer(
        allow_none=True, metadata={"description": "the proposal that repealed it (an addition)"}
    )
    versions = fields.List(
        fields.Nested(AgreementVersionSchema), metadata={"description": "oldest first"}
    )


class AgreementDiffSchema(Schema):
    text = fields.String(
        metadata={
            "description": "a unified diff of the title and body (the title is the first line, "
            "then a blank line, then the body), headers `--- v<from>` / `+++ v<to>`; empty "
            "when the texts are the same"
        }
    )
    rules = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={
            "description": "`{key: {from, to}}` for each key the two versions set differently; "
            "`from` is left out when the old version does not set the key, `to` when the new "
            "one does not"
        },
    )


class RuleSourceSchema(Schema):
    agreement_id = fields.Integer()
    version = fields.Integer()
    title = fields.String(metadata={"description": "that version's title"})
    poll_id = fields.Integer(allow_none=True)
    adopted_at = UTCDateTime()


class RuleOverriddenSchema(RuleSourceSchema):
    value = fields.Raw(allow_none=True, metadata={"description": "what that version sets"})


class ActiveRuleSchema(Schema):
    value = fields.Raw(allow_none=True)
    default = fields.Boolean(
        metadata={"description": "true: no active agreement sets it (not agreed yet)"}
    )
    source = fields.Nested(
        RuleSourceSchema,
        allow_none=True,
        metadata={"description": "the version the value comes from; null for a default"},
    )
    overridden = fields.List(
        fields.Nested(RuleOverriddenSchema),
        metadata={
            "description": "the other current versions that set the key, latest adopted first"
        },
    )


class RulesSchema(Schema):
    as_of = UTCDateTime(metadata={"description": "the instant the rules are computed for"})
    rules = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ActiveRuleSchema),
        metadata={"description": "every rule key: " + ", ".join(RULE_KEYS)},
    )
