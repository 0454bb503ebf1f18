"""API schemas for groups and memberships (they validate input and document the API)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .. import limits
from ..api.schemas import Date, Email, Line, Text, UserRefSchema, UTCDateTime
from .models import Availability, Privacy, Role, SupportVolume, Volume

PRIVACY_HELP = (
    "`secret` (default: invisible to non-members), `closed` (name and description visible to "
    "signed-in people, who may ask to join) or `open` (readable by every signed-in person)"
)

VOLUME_HELP = (
    "my notification settings: the email volume for this group. `all` (default) emails at "
    "once what concerns me (mentions, replies to me, poll and proposal openings, closings, "
    "outcomes, agreement changes and reviews) and puts other new comments in the daily "
    "digest; `digest` puts everything in the digest; `mute` sends no email (the in-app list "
    "still shows it). A thread may override it (the thread's page, or the notifications "
    "settings page). Support requests follow `support_volume` instead"
)
SUPPORT_VOLUME_HELP = (
    "my notification settings: how this group's support requests reach me by email. "
    "`immediate` (default) or `digest` (the daily digest; urgent and important requests "
    "still come at once unless I am away). A muted group does not mute support requests"
)


class GroupCreateSchema(Schema):
    name = Line(required=True, metadata={"description": f"1 to {limits.NAME} characters"})
    handle = Line(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "3 to 40 lower-case letters, digits or hyphens; "
            "made from the name when left out"
        },
    )
    description = Text(
        load_default="",
        metadata={"description": f"Markdown, at most {limits.DOCUMENT:,} characters"},
    )
    privacy = fields.String(
        load_default=Privacy.secret.value,
        validate=validate.OneOf([p.value for p in Privacy]),
        metadata={"description": PRIVACY_HELP},
    )
    members_can_start_threads = fields.Boolean(load_default=True)
    members_can_raise_proposals = fields.Boolean(load_default=True)


class GroupUpdateSchema(Schema):
    name = Line()
    description = Text(
        metadata={"description": f"Markdown, at most {limits.DOCUMENT:,} characters"}
    )
    privacy = fields.String(
        validate=validate.OneOf([p.value for p in Privacy]),
        metadata={"description": PRIVACY_HELP},
    )
    members_can_start_threads = fields.Boolean()
    members_can_raise_proposals = fields.Boolean()


class GroupSchema(Schema):
    handle = fields.String()
    name = fields.String()
    description = fields.String(metadata={"description": "Markdown, as written"})
    description_html = fields.String(metadata={"description": "the description rendered"})
    privacy = fields.String(metadata={"description": PRIVACY_HELP})
    my_role = fields.String(
        allow_none=True, metadata={"description": "`admin`, `member`, or null for a non-member"}
    )
    my_volume = fields.String(
        allow_none=True,
        metadata={"description": "null for a non-member; else " + VOLUME_HELP},
    )
    my_support_volume = fields.String(
        allow_none=True,
        metadata={"description": "null for a non-member; else " + SUPPORT_VOLUME_HELP},
    )
    members_count = fields.Integer(metadata={"description": "current members"})
    members_can_start_threads = fields.Boolean()
    members_can_raise_proposals = fields.Boolean()
    created_at = UTCDateTime()


class GroupListSchema(Schema):
    items = fields.List(fields.Nested(GroupSchema))


class MembershipSchema(Schema):
    user = fields.Nested(UserRefSchema)
    role = fields.String(metadata={"description": "`admin` or `member`"})
    gives_support = fields.Boolean()
    receives_support = fields.Boolean()
    availability = fields.String(metadata={"description": "`available`, `busy` or `away`"})
    availability_until = fields.Date(allow_none=True)
    joined_at = UTCDateTime(attribute="created_at")
    revoked_at = UTCDateTime(allow_none=True, metadata={"description": "null while current"})


class MembershipListSchema(Schema):
    items = fields.List(fields.Nested(MembershipSchema))


class MembershipCreateSchema(Schema):
    email = Email(
        required=True,
        validate=validate.Length(max=254),
        metadata={
            "description": "the address to invite, whether or not an account uses it (the "
            "answer is the same)"
        },
    )
    role = fields.String(
        load_default=Role.member.value,
        validate=validate.OneOf([r.value for r in Role]),
        metadata={"description": "`member` (default) or `admin`: the role once accepted"},
    )


class InvitedSchema(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(["invited"]),
        metadata={
            "description": "always `invited`: the address was sent an invitation, which "
            "the person accepts themself; it says nothing of whether it has an account",
            "enum": ["invited"],
        },
    )


class MyMembershipUpdateSchema(Schema):
    gives_support = fields.Boolean(
        metadata={"description": "locked to true while the group's rules require reciprocity"}
    )
    receives_support = fields.Boolean(
        metadata={"description": "locked to true while the group's rules require reciprocity"}
    )
    availability = fields.String(
        validate=validate.OneOf([a.value for a in Availability]),
        metadata={
            "description": "`available` (asked at once), `busy` (asked only when a request "
            "escalates) or `away` (until `availability_until` when given); changing it "
            "clears `availability_until` unless given too"
        },
    )
    availability_until = Date(
        allow_none=True,
        metadata={
            "description": "YYYY-MM-DD, with `away` only: the last day away, in the member's "
            "time zone (from today to a year ahead); from the next day they read "
            "`available` again, without anything to do. `null` clears it"
        },
    )
    volume = fields.String(
        validate=validate.OneOf([v.value for v in Volume]),
        metadata={"description": VOLUME_HELP},
    )
    support_volume = fields.String(
        validate=validate.OneOf([v.value for v in SupportVolume]),
        metadata={"description": SUPPORT_VOLUME_HELP},
    )


class MyMembershipSchema(MembershipSchema):
    """My own membership: with my email settings, which only I read."""

    volume = fields.String(metadata={"description": VOLUME_HELP})
    support_volume = fields.String(metadata={"description": SUPPORT_VOLUME_HELP})


class RoleUpdateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
