"""API schemas for polls and stances (they validate input and document the API).

The create payload is validated in one place, ``PollCreateSchema``: field types
here, then the rules that span fields (``validate_kind_settings``), then the
service (``create_poll``) for what needs the database. The proposals'
``agreement_change`` is one more field on that schema: the polls feature
declares its wire shape (``PollAgreementChangeSchema``: types, which fields
each action takes, ``agreement_change.<field>``) so that the whole payload is
checked and documented in one place, and ``api.create_poll_payload`` hands it
to the feature that makes proposals (``hooks.poll_maker``), whose service
checks the rest (required fields, rule values named ``rules.<key>``, the
agreement and its current version).
"""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .. import limits
from ..api.schemas import Date, Id, Integer, Line, QuerySchema, Text, UserRefSchema, UTCDateTime
from .services import (
    CLOSING_OUT_OF_RANGE,
    MAX_DETAILS,
    MAX_OPTION_NAME,
    MAX_OPTIONS,
    MAX_STATEMENT,
    MAX_TITLE,
)
from .tally import KINDS, MAX_REASON, REASON_RULES, RESULTS_VISIBILITIES

#: the settings each kind takes (others are refused: a setting that would be ignored
#: is a mistake worth naming)
KIND_SETTINGS = {
    "proposal": (),
    "choice": ("min_choices", "max_choices", "shuffle_options"),
    "score": ("min_score", "max_score", "shuffle_options"),
    "ranked": ("shuffle_options",),
    "dot": ("dots", "shuffle_options"),
    "meeting": (),
}
ALL_SETTINGS = ("min_choices", "max_choices", "min_score", "max_score", "dots", "shuffle_options")
#: the fields each action of an ``agreement_change`` takes (others are refused)
CHANGE_FIELDS = {
    "adopt": ("title", "body", "rules", "review_on", "change_summary"),
    "amend": (
        "agreement_id",
        "base_version",
        "title",
        "body",
        "rules",
        "review_on",
        "change_summary",
    ),
    "repeal": ("agreement_id", "base_version"),
}
RULES_HELP = (
    "the support rules this agreement sets, `{key: value}`, keys among those of "
    "`GET /groups/{handle}/rules` (values and defaults in DESIGN.md). An invalid value "
    "is a 400 naming `rules.<key>` (e.g. `rules.relance_after_days`); an unknown key too."
)
MAX_REMINDER = limits.MESSAGE
STANCE_FORMS = ("key", "keys", "scores", "ranking")


# -- input ------------------------------------------------------------------------


class PollAgreementChangeSchema(Schema):
    """The agreement change a proposal carries (``agreement_change``)."""

    action = fields.String(
        required=True,
        validate=validate.OneOf(tuple(CHANGE_FIELDS)),
        metadata={
            "description": "`adopt` (a new agreement: `title`, `body`, `rules` required), "
            "`amend` (`agreement_id`, `base_version`; `title` and `body` default to the current "
            "version's, `rules` when given replaces its whole rule set) or `repeal` "
            "(`agreement_id`, `base_version` only)"
        },
    )
    agreement_id = Id(
        metadata={
            "description": "amend, repeal: an agreement of this thread's group (another "
            "group's, or no such agreement: 400 naming `agreement_change.agreement_id`)"
        }
    )
    base_version = Integer(
        min=1,
        metadata={
            "description": "amend, repeal: the agreement's current version number (409 "
            "`stale_agreement_version` when it is not the current one any more)"
        },
    )
    title = Line(
        allow_none=True,
        metadata={"description": f"adopt, amend: at most {limits.TITLE} characters"},
    )
    body = Text(
        allow_none=True,
        metadata={"description": f"adopt, amend: Markdown, at most {limits.DOCUMENT:,} characters"},
    )
    rules = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        allow_none=True,
        metadata={"description": RULES_HELP},
    )
    review_on = Date(
        allow_none=True,
        metadata={"description": "adopt, amend: a review date (YYYY-MM-DD) in the future"},
    )
    change_summary = Text(
        allow_none=True,
        metadata={
            "description": "adopt, amend: what changes, in a few words "
            f"({limits.CHANGE_SUMMARY} at most)"
        },
    )

    @validates_schema
    def fields_of_the_action(self, data, **kwargs):
        """A field the action does not take is refused (it would be ignored)."""
        allowed = CHANGE_FIELDS.get(data.get("action"))
        if allowed is None:
            return
        message = _("Does not apply to this action (%(action)s).", action=data["action"])
        errors = {name: [message] for name in data if name != "action" and name not in allowed}
        if errors:
            raise ValidationError(errors)


class PollCreateSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "one of " + ", ".join(KINDS)},
    )
    title = Line(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    details = Text(
        load_default="",
        validate=validate.Length(max=MAX_DETAILS),
        metadata={"description": "Markdown (`@handle` mentions are linked)"},
    )
    closing_at = UTCDateTime(
        required=True,
        out_of_range=CLOSING_OUT_OF_RANGE,
        metadata={
            "description": "ISO 8601 with a time zone, in the future, at most 366 days ahead"
        },
    )
    options = fields.List(
        Line(validate=validate.Length(max=MAX_OPTION_NAME)),
        allow_none=True,
        metadata={
            "description": f"2 to {MAX_OPTIONS} names; for `meeting`, ISO 8601 date-times "
            "with a zone (stored in UTC, in time order). Not for a `proposal`: its options "
            "are always agree, abstain, disagree, block. Each option gets a `key` (`o1`…) "
            "that the client reads from the poll."
        },
    )
    anonymous = fields.Boolean(
        load_default=False,
        metadata={
            "description": "irreversible: no history of changed stances, voters erased at "
            "close, cannot be reopened"
        },
    )
    results_visibility = fields.String(
        load_default="always",
        validate=validate.OneOf(RESULTS_VISIBILITIES),
        metadata={"description": "always (default), after_vote or after_close"},
    )
    reasons = fields.String(
        load_default=None,
        validate=validate.OneOf(REASON_RULES),
        metadata={
            "description": "optional, required, required_for_block (proposals only, their "
            "default) or disabled; default `optional` for other kinds"
        },
    )
    voters = fields.List(
        Id(),
        allow_none=True,
        load_default=None,
        metadata={
            "description": "user ids of current members who alone may vote; absent or null: "
            "every member, including those who join while the poll is open"
        },
    )
    min_choices = Integer(metadata={"description": "choice: default 1"})
    max_choices = Integer(
        metadata={"description": "choice: default 1 (a single choice); more is a multiple choice"}
    )
    min_score = Integer(metadata={"description": "score: default 0"})
    max_score = Integer(metadata={"description": "score: default 5"})
    dots = Integer(metadata={"description": "dot: the budget of dots, default 8"})
    shuffle_options = fields.Boolean(
        metadata={
            "description": "choice, score, ranked, dot: each voter sees the options in their "
            "own order (default false)"
        }
    )
    agreement_change = fields.Nested(
        PollAgreementChangeSchema,
        allow_none=True,
        metadata={
            "description": "proposals only (another kind: 400 naming `agreement_change`): the "
            "one agreement change the proposal carries, applied once when the poll closes, if "
            "and only if it is adopted. Checked when the proposal is made, in the same "
            "transaction: nothing is created when it is refused."
        },
    )

    @validates_schema
    def validate_kind_settings(self, data, **kwargs):
        """Settings another kind takes, and options given to a proposal, are refused."""
        kind = data.get("kind")
        if kind not in KIND_SETTINGS:
            return
        errors = {}
        for name in ALL_SETTINGS:
            if name in data and name not in KIND_SETTINGS[kind]:
                errors[name] = [_("Does not apply to a poll of this kind (%(kind)s).", kind=kind)]
        if kind == "proposal" and data.get("options") is not None:
            errors["options"] = [
                _("A proposal's options are fixed: agree, abstain, disagree, block.")
            ]
        if kind != "proposal" and data.get("agreement_change") is not None:
            errors["agreement_change"] = [_("Only a proposal can carry an agreement change.")]
        if errors:
            raise ValidationError(errors)


class StanceInputSchema(Schema):
    key = Line(metadata={"description": "proposal, single choice: one option key"})
    keys = fields.List(Line(), metadata={"description": "multiple choice: the chosen option keys"})
    scores = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "description": "score: every option scored min_score..max_score; dot: dots per "
            "option (at most `dots` in all); meeting: 2 yes, 1 if need be, 0 no per slot "
            "(a slot left out is no)"
        },
    )
    ranking = fields.List(Line(), metadata={"description": "ranked: every option key, best first"})
    reason = Text(
        load_default="",
        allow_none=True,
        metadata={
            "description": f"at most {MAX_REASON} characters; where required, more than 5 "
            "(`required`, or a block under `required_for_block`); none when `disabled`"
        },
    )

    @validates_schema
    def one_form(self, data, **kwargs):
        given = [name for name in STANCE_FORMS if name in data]
        if len(given) > 1:
            message = _("Give only one of: key, keys, scores, ranking.")
            raise ValidationError({name: [message] for name in given[1:]})


class PollEditSchema(Schema):
    """A correction of an open poll (an addition to DESIGN.md): each field given
    replaces the poll's; a field left out stays."""

    title = Line(validate=validate.Length(min=1, max=MAX_TITLE))
    details = Text(
        validate=validate.Length(max=MAX_DETAILS),
        metadata={"description": "Markdown (`@handle` mentions are linked)"},
    )
    closing_at = UTCDateTime(
        out_of_range=CLOSING_OUT_OF_RANGE,
        metadata={
            "description": "a new closing time, ISO 8601 with a time zone, in the future, at "
            "most 366 days ahead (as at creation)"
        },
    )
    agreement_change = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        metadata={
            "description": "proposals only: the agreement change's `title`, `body`, `rules` "
            "(replacing the whole set), `review_on` and `change_summary`, each given one "
            "replacing the proposed one; `action`, `agreement_id` and `base_version` cannot "
            "change. Only before the first stance: afterwards any change to it is 409 "
            "`agreement_change_frozen`. A proposal made without one may gain one (with its "
            "`action`), before the first stance too."
        },
    )


class PollVersionSchema(Schema):
    number = fields.Integer(metadata={"description": "1: the poll as it was made"})
    title = fields.String()
    details = fields.String()
    details_html = fields.String()
    closing_at = UTCDateTime()
    agreement_change = fields.Dict(
        allow_none=True,
        metadata={"description": "a proposal's agreement change in this version, or null"},
    )
    changed = fields.List(
        fields.String(),
        metadata={
            "description": "what this edit changed: among title, details, closing_at, "
            "agreement_change (empty for version 1)"
        },
    )
    editor = fields.Nested(UserRefSchema, metadata={"description": "who wrote this version"})
    created_at = UTCDateTime()


class PollVersionListSchema(Schema):
    items = fields.List(fields.Nested(PollVersionSchema))


class PollReopenSchema(Schema):
    closing_at = UTCDateTime(
        required=True,
        out_of_range=CLOSING_OUT_OF_RANGE,
        metadata={
            "description": "the new closing time, with a zone, in the future, at most 366 "
            "days ahead"
        },
    )


class PollRemindSchema(Schema):
    message = Text(
        load_default="",
        validate=validate.Length(max=MAX_REMINDER),
        metadata={"description": "your own words, sent as written"},
    )


class PollStatementInputSchema(Schema):
    text = Text(
        required=True,
        validate=validate.Length(min=1, max=MAX_STATEMENT),
        metadata={"description": "Markdown"},
    )
    review_on = Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "an optional review date (YYYY-MM-DD), in the future"},
    )


# -- output -----------------------------------------------------------------------


class PollOptionSchema(Schema):
    key = fields.String(metadata={"description": "what a stance names"})
    name = fields.String(
        metadata={
            "description": "proposal options in the caller's language; a meeting slot's "
            "name is its start in UTC"
        }
    )
    starts_at = UTCDateTime(metadata={"description": "meeting polls only: the slot's start"})


class PollResultRowSchema(Schema):
    key = fields.String()
    name = fields.String()
    count = fields.Integer(
        metadata={
            "description": "proposal, choice: stances that chose it; score, ranked: stances "
            "that scored/ranked it; dot: stances that gave it a dot; meeting: yes answers"
        }
    )
    percent = fields.Float(
        metadata={
            "description": "rounded half up to one decimal. Proposal, choice: of stances cast "
            "(abstentions are cast); score, ranked, dot: share of all points or dots; meeting: "
            "yes answers of stances cast"
        }
    )
    total = fields.Integer(
        metadata={
            "description": "score, ranked (points: rank r of N earns N − r + 1), dot "
            "(dots), meeting (2 × yes + 1 × if need be)"
        }
    )
    average = fields.Float(
        allow_none=True, metadata={"description": "score: half up, one decimal; null if unscored"}
    )
    yes = fields.Integer(metadata={"description": "meeting"})
    if_need_be = fields.Integer(metadata={"description": "meeting"})
    no = fields.Integer(metadata={"description": "meeting"})
    rank = fields.Integer(
        metadata={"description": "score, ranked, dot, meeting: 1 = first, ties share a rank"}
    )
    best = fields.Boolean(
        metadata={"description": "score, ranked, dot, meeting: a leading option (all on a tie)"}
    )


class StanceSchema(Schema):
    """A stance: exactly one of ``key``, ``keys``, ``scores``, ``ranking``."""

    key = fields.String()
    keys = fields.List(fields.String())
    scores = fields.Dict(keys=fields.String(), values=fields.Integer())
    ranking = fields.List(fields.String())
    reason = fields.String()
    created_at = UTCDateTime(
        allow_none=True, metadata={"description": "null in an anonymous poll's list"}
    )

    def get_attribute(self, obj, attr, default):
        # A dict's missing "keys" must not be read as its ``keys`` method.
        if isinstance(obj, dict):
            return obj.get(attr, default)
        return super().get_attribute(obj, attr, default)


class VoterStanceSchema(StanceSchema):
    voter = fields.Nested(
        UserRefSchema, allow_none=True, metadata={"description": "null in an anonymous poll"}
    )


class PollStatementSchema(Schema):
    text = fields.String(metadata={"description": "Markdown"})
    text_html = fields.String(metadata={"description": "safe HTML"})
    review_on = fields.Date(allow_none=True)
    author = fields.Nested(UserRefSchema, allow_none=True)
    written_at = UTCDateTime()


class PollOutcomeSchema(Schema):
    """What a proposal's closing decided."""

    adopted = fields.Boolean(
        metadata={
            "description": "the consent rule's verdict: no block, more agree than disagree, "
            "participation at least the group's `decision_quorum_percent` of eligible voters"
        }
    )
    applied = fields.Boolean(
        metadata={
            "description": "whether its agreement change took effect (false when not adopted, "
            "without a change, or when the agreement changed since the proposal was made)"
        }
    )
    explanation = fields.String(
        metadata={
            "description": "the verdict, the conditions that failed then those that held, and "
            'why an adopted change was not applied ("the agreement changed from v2 to v3 '
            "since this proposal\"), in the caller's language"
        }
    )
    agreement_id = fields.Integer(
        allow_none=True, metadata={"description": "where applied: the agreement changed"}
    )
    version = fields.Integer(
        allow_none=True,
        metadata={"description": "where applied: the new version (null for a repeal)"},
    )


class PollAgreementDiffSchema(Schema):
    text = fields.String(
        metadata={"description": "unified diff of title and body (`--- v2` / `+++ proposed`)"}
    )
    rules = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={
            "description": "`{key: {from, to}}` for each rule set differently; a side that "
            "does not set the key is left out"
        },
    )


class PollAgreementChangeOutSchema(Schema):
    """The agreement change a proposal carries, as proposed (an addition to DESIGN.md's
    poll JSON, for clients)."""

    action = fields.String(metadata={"description": "adopt, amend or repeal"})
    agreement_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "the agreement amended or repealed; for `adopt`, null until the "
            "closing adopts it, then the new agreement's id"
        },
    )
    base_version = fields.Integer(
        allow_none=True, metadata={"description": "amend, repeal: the version it starts from"}
    )
    current_version = fields.Integer(
        allow_none=True,
        metadata={
            "description": "amend, repeal: the agreement's current version now (when it is "
            "not `base_version` any more, the change will not be applied)"
        },
    )
    title = fields.String(
        allow_none=True,
        metadata={"description": "adopt, amend: the proposed title (null for a repeal)"},
    )
    body = fields.String(
        allow_none=True, metadata={"description": "adopt, amend: Markdown (null for a repeal)"}
    )
    body_html = fields.String(allow_none=True, metadata={"description": "safe HTML"})
    rules = fields.Dict(
        allow_none=True,
        metadata={"description": "adopt, amend: the whole proposed rule set (null for a repeal)"},
    )
    review_on = fields.Date(allow_none=True)
    change_summary = fields.String(allow_none=True)
    diff = fields.Nested(
        PollAgreementDiffSchema,
        allow_none=True,
        metadata={"description": "amend: the proposed version against its base version"},
    )


class PollSchema(Schema):
    id = fields.Integer()
    thread_id = fields.Integer()
    group = fields.String(metadata={"description": "the group's handle"})
    kind = fields.String()
    title = fields.String()
    details = fields.String(metadata={"description": "Markdown"})
    details_html = fields.String(metadata={"description": "safe HTML"})
    author = fields.Nested(UserRefSchema)
    created_at = UTCDateTime()
    status = fields.String(
        metadata={"description": "open, or closed (also once `closing_at` has passed)"}
    )
    closing_at = UTCDateTime()
    closed_at = UTCDateTime(
        allow_none=True,
        metadata={"description": "`closing_at` for a timed close, else the early close"},
    )
    anonymous = fields.Boolean()
    results_visibility = fields.String()
    reasons = fields.String()
    min_choices = fields.Integer()
    max_choices = fields.Integer()
    min_score = fields.Integer()
    max_score = fields.Integer()
    dots = fields.Integer()
    shuffle_options = fields.Boolean()
    voters = fields.List(
        fields.Integer(),
        allow_none=True,
        metadata={"description": "the named voters' ids; null when every member votes"},
    )
    options = fields.List(
        fields.Nested(PollOptionSchema),
        metadata={
            "description": "in the order the caller sees them (shuffled per voter when "
            "`shuffle_options`)"
        },
    )
    results = fields.List(
        fields.Nested(PollResultRowSchema),
        allow_none=True,
        metadata={
            "description": "in option order; null while `results_visibility` hides them "
            "from the caller, and in an anonymous poll until it closes"
        },
    )
    undecided = fields.Integer(metadata={"description": "eligible voters without a stance"})
    participants = fields.Integer(metadata={"description": "stances cast (counted)"})
    eligible = fields.Integer(
        metadata={"description": "who may vote (for a closed poll: as of its close)"}
    )
    participation_percent = fields.Integer(
        metadata={"description": "participants / eligible, truncated to a whole percent"}
    )
    stances = fields.List(
        fields.Nested(VoterStanceSchema),
        allow_none=True,
        metadata={
            "description": "current stances; null while results are hidden; anonymous "
            "polls: `voter` and `created_at` null, in no telling order"
        },
    )
    my_stance = fields.Nested(
        StanceSchema,
        allow_none=True,
        metadata={
            "description": "the caller's current stance (null in an anonymous poll once "
            "closed: the link is erased)"
        },
    )
    outcome = fields.Nested(
        PollOutcomeSchema,
        allow_none=True,
        metadata={
            "description": "a closed proposal's outcome; null while open and for other kinds"
        },
    )
    statement = fields.Nested(PollStatementSchema, allow_none=True)
    agreement_change = fields.Nested(
        PollAgreementChangeOutSchema,
        allow_none=True,
        metadata={
            "description": "a proposal's agreement change (an addition to DESIGN.md); null "
            "for other kinds and for a proposal without one"
        },
    )


class PollCloseResultSchema(Schema):
    outcome = fields.Nested(
        PollOutcomeSchema,
        allow_none=True,
        metadata={
            "description": "for a proposal: {adopted, applied, explanation, agreement_id, "
            "version}; null for other kinds"
        },
    )
    poll = fields.Nested(PollSchema)


class PollRemindedSchema(Schema):
    reminded = fields.Integer(metadata={"description": "how many people were notified"})


class PollExportQuerySchema(QuerySchema):
    format = fields.String(
        load_default="data",
        validate=validate.OneOf(("spreadsheet", "data")),
        metadata={
            "description": "`data` (default): for programs (RFC 4180, `,`, a decimal point, "
            "times in ISO 8601 UTC, no byte-order mark); `spreadsheet`: for a person's "
            "Excel or LibreOffice (UTF-8 with a byte-order mark; in French `;` and a "
            "decimal comma, else `,` and a point; times as `2026-05-12 11:32` in the "
            "caller's time zone). The poll page exports `spreadsheet` by default."
        },
    )
