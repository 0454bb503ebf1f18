"""API schemas for support requests, check-ins and rhythm (they validate input and
document the API). Names start with ``Support``, ``CheckIn`` or ``Rhythm``: one OpenAPI
namespace for every feature."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..agreements.schemas import AS_OF_HELP, AsOf
from ..api.schemas import CursorQuerySchema, Id, Items, Line, QuerySchema, Text, UTCDateTime
from .models import KINDS, MAX_BODY, MAX_MESSAGE, MAX_NOTE, MAX_WHEN, OUTCOMES, STATUSES
from .services import LISTED, MAX_CHANNEL, MAX_NAMED

STATUS_FILTERS = (*STATUSES, "all")


def _id(**kwargs) -> Id:
    """A row id: a whole number a database column holds (as the paths' ``IdConverter``)."""
    return Id(**kwargs)


# -- input ------------------------------------------------------------------------------


class SupportRequestCreateSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={
            "description": "one of the eight functions of mutual support: " + ", ".join(KINDS)
        },
    )
    urgent = fields.Boolean(required=True, metadata={"description": "do you need someone soon?"})
    important = fields.Boolean(
        required=True, metadata={"description": "does it matter a lot to you?"}
    )
    body = Text(
        load_default="",
        allow_none=True,
        validate=validate.Length(max=MAX_BODY),
        metadata={"description": f"Markdown, at most {MAX_BODY} characters; may be empty"},
    )
    when = Line(
        load_default="",
        allow_none=True,
        validate=validate.Length(max=MAX_WHEN),
        metadata={"description": "free text: “ce soir après 20 h”"},
    )
    channel = Line(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MAX_CHANNEL),
        metadata={
            "description": "how to meet; one of the group's agreed `channels` when it agreed "
            "some, any short text otherwise"
        },
    )
    supporters = fields.List(
        _id(),
        load_default=None,
        allow_none=True,
        validate=Items(min=1, max=MAX_NAMED),
        metadata={
            "description": "user ids of named supporters (giving members of the group, not "
            "oneself, each once); null or left out: the whole circle"
        },
    )


class SupportListQuerySchema(CursorQuerySchema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(STATUS_FILTERS),
        metadata={
            "description": "`open`, `matched`, `closed`, `lapsed` or `all`; default: open and "
            f"matched ({', '.join(LISTED[None])})"
        },
    )


class SupportResponseCreateSchema(Schema):
    available = fields.Boolean(
        required=True,
        metadata={"description": "true: “I am available”; false: “not now” (no reason needed)"},
    )
    message = Text(
        load_default="",
        allow_none=True,
        validate=validate.Length(max=MAX_MESSAGE),
        metadata={"description": f"at most {MAX_MESSAGE} characters: a time, a word"},
    )


class SupportCloseSchema(Schema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(OUTCOMES),
        metadata={
            "description": "`happened` or `did_not_happen` (either side of a match), "
            "`not_needed` (the requester withdraws an open request)"
        },
    )


class CheckInQuerySchema(QuerySchema):
    as_of = AsOf(load_default=None, metadata={"description": AS_OF_HELP})


class CheckInCreateSchema(Schema):
    member_id = _id(
        required=True,
        metadata={
            "description": "the member checked in with (oneself: “all is well, ask me again later”)"
        },
    )
    note = Text(
        load_default="",
        allow_none=True,
        validate=validate.Length(max=MAX_NOTE),
        metadata={"description": "private, for the member only"},
    )


class CheckInClaimSchema(Schema):
    member_id = _id(required=True, metadata={"description": "the member due for a check-in"})


class SupportTimeCreateSchema(Schema):
    at = UTCDateTime(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "when it happened, with a zone, within the last year and not in "
            "the future; default: now"
        },
    )
    note = Text(
        load_default="",
        allow_none=True,
        validate=validate.Length(max=MAX_MESSAGE),
        metadata={"description": "for oneself"},
    )


# -- output -------------------------------------------------------------------------------


class SupportPersonSchema(Schema):
    """A person as the support API names them."""

    id = fields.Integer()
    name = fields.String()


class SupportRuleSourceSchema(Schema):
    agreement_id = fields.Integer()
    version = fields.Integer()
    title = fields.String()
    poll_id = fields.Integer(allow_none=True)
    adopted_at = UTCDateTime()


class SupportNoticeSchema(Schema):
    user = fields.Nested(SupportPersonSchema)
    at = UTCDateTime(
        metadata={
            "description": "when it may reach them by email (after their quiet hours where "
            "they apply); the in-app notification is immediate"
        }
    )
    why = fields.String(metadata={"description": "in the caller's language"})
    channel = fields.String(
        metadata={"description": "`immediate` or `digest` (an addition to DESIGN.md)"}
    )
    rule = fields.String(
        allow_none=True,
        metadata={"description": "the rule key that decided it (an addition to DESIGN.md)"},
    )


class SupportRouteSchema(Schema):
    rule = fields.String(
        allow_none=True,
        metadata={
            "description": "the rule governing the next step: `urgent_response_minutes`, "
            "`urgent_minor_lapse_hours`, `important_response_days`, or null (digest only)"
        },
    )
    explanation = fields.String(metadata={"description": "the route in the caller's language"})
    escalate_at = UTCDateTime(allow_none=True, metadata={"description": "urgent and important"})
    lapse_at = UTCDateTime(allow_none=True, metadata={"description": "urgent, not important"})
    overdue_at = UTCDateTime(allow_none=True, metadata={"description": "important, not urgent"})
    notified = fields.List(fields.Nested(SupportNoticeSchema))
    source = fields.Nested(
        SupportRuleSourceSchema,
        allow_none=True,
        metadata={"description": "where the rule's value comes from; null for its default"},
    )


class SupportAnswerSchema(Schema):
    supporter = fields.Nested(SupportPersonSchema)
    available = fields.Boolean()
    message = fields.String()
    created_at = UTCDateTime()


class SupportStepSchema(Schema):
    kind = fields.String(
        metadata={
            "description": "asked, notified, declined, matched, released, escalated, lapsed, "
            "overdue, followup or closed"
        }
    )
    user = fields.Nested(SupportPersonSchema, allow_none=True)
    at = UTCDateTime()
    text = fields.String(metadata={"description": "the line in the caller's language"})


class SupportRequestSchema(Schema):
    id = fields.Integer()
    group = fields.String(metadata={"description": "the group's handle (an addition)"})
    kind = fields.String()
    urgent = fields.Boolean()
    important = fields.Boolean()
    body = fields.String(metadata={"description": "Markdown"})
    body_html = fields.String(metadata={"description": "safe HTML"})
    when = fields.String()
    channel = fields.String(allow_none=True)
    requester = fields.Nested(SupportPersonSchema)
    supporters = fields.List(
        fields.Integer(),
        allow_none=True,
        metadata={"description": "the named supporters' ids; null: the whole circle"},
    )
    status = fields.String(metadata={"description": "open, matched, closed or lapsed"})
    created_at = UTCDateTime()
    matched_with = fields.Nested(SupportPersonSchema, allow_none=True)
    matched_at = UTCDateTime(allow_none=True)
    closed_at = UTCDateTime(allow_none=True)
    lapsed_at = UTCDateTime(allow_none=True)
    outcome = fields.String(
        allow_none=True, metadata={"description": "happened, did_not_happen or not_needed"}
    )
    overdue = fields.Boolean(
        metadata={"description": "important, not urgent, still unanswered after the agreed days"}
    )
    escalated_at = UTCDateTime(allow_none=True)
    route = fields.Nested(SupportRouteSchema)
    responses = fields.List(
        fields.Nested(SupportAnswerSchema),
        metadata={
            "description": "“not now” answers only for the requester (and whoever gave them)"
        },
    )
    timeline = fields.List(
        fields.Nested(SupportStepSchema),
        metadata={
            "description": "every step in order, in words (an addition to DESIGN.md); "
            "“not now” lines as for `responses`"
        },
    )


class SupportRequestListSchema(Schema):
    items = fields.List(fields.Nested(SupportRequestSchema))
    next = fields.String(
        allow_none=True,
        metadata={"description": "pass as `cursor` for the next page; null at the end"},
    )


class SupportAnsweredSchema(Schema):
    response = fields.Nested(SupportAnswerSchema)
    status = fields.String(metadata={"description": "the request's status after the answer"})


class SupportRuleSchema(Schema):
    key = fields.String()
    value = fields.Raw(allow_none=True)
    source = fields.Nested(SupportRuleSourceSchema, allow_none=True)


class CheckInDueSchema(Schema):
    member = fields.Nested(SupportPersonSchema)
    last_request_at = UTCDateTime(allow_none=True)
    last_check_in_at = UTCDateTime(
        allow_none=True, metadata={"description": "a check-in, or their own “all is well”"}
    )
    due_since = UTCDateTime(metadata={"description": "also names the current period"})
    since = fields.String(
        metadata={
            "description": "which moment started the clock: `request`, `check_in`, "
            "`receiving` or `rule` (an addition to DESIGN.md)"
        }
    )
    claimed_by = fields.Nested(
        SupportPersonSchema,
        allow_none=True,
        metadata={"description": "who said “I'll do it” for this period"},
    )


class CheckInListSchema(Schema):
    as_of = UTCDateTime()
    rule = fields.Nested(
        SupportRuleSchema,
        metadata={"description": "`relance_after_days` and its provenance (an addition)"},
    )
    items = fields.List(fields.Nested(CheckInDueSchema))


class CheckInSchema(Schema):
    id = fields.Integer()
    member = fields.Nested(SupportPersonSchema)
    by = fields.Nested(SupportPersonSchema)
    kind = fields.String(metadata={"description": "`check_in`, or `all_well` (the member)"})
    note = fields.String(metadata={"description": "private, for the member"})
    created_at = UTCDateTime()


class CheckInClaimedSchema(Schema):
    member = fields.Nested(SupportPersonSchema)
    due_since = UTCDateTime()
    claimed_by = fields.Nested(SupportPersonSchema)
    claimed_at = UTCDateTime()


class RhythmWeekSchema(Schema):
    week = fields.String(metadata={"description": "ISO week in the caller's zone: `2026-W48`"})
    start = fields.Date(metadata={"description": "its Monday (an addition)"})
    count = fields.Integer()


class RhythmSchema(Schema):
    target = fields.Integer(
        allow_none=True, metadata={"description": "`rhythm_per_week`; null when not agreed"}
    )
    weeks = fields.List(
        fields.Nested(RhythmWeekSchema),
        metadata={"description": "the last eight weeks, oldest first, this week last"},
    )


class SupportTimeSchema(Schema):
    id = fields.Integer()
    at = UTCDateTime()
    note = fields.String()
    created_at = UTCDateTime()
