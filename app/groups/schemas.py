"""API schemas for groups and memberships (they validate input and document the API)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..api.schemas import UserRefSchema, UTCDateTime
from .models import Availability, Privacy, Role

PRIVACY_HELP = (
    "`secret` (default: invisible to non-members), `closed` (name and description visible to "
    "signed-in people, who may ask to join) or `open` (readable by every signed-in person)"
)


class GroupCreateSchema(Schema):
    name = fields.String(required=True, metadata={"description": "1 to 100 characters"})
    handle = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "3 to 40 lower-case letters, digits or hyphens; "
            "made from the name when left out"
        },
    )
    description = fields.String(load_default="", metadata={"description": "Markdown"})
    privacy = fields.String(
        load_default=Privacy.secret.value,
        validate=validate.OneOf([p.value for p in Privacy]),
        metadata={"description": PRIVACY_HELP},
    )
    members_can_start_threads = fields.Boolean(load_default=True)
    members_can_raise_proposals = fields.Boolean(load_default=True)


class GroupUpdateSchema(Schema):
    name = fields.String()
    description = fields.String(metadata={"description": "Markdown"})
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
    email = fields.Email(
        required=True, metadata={"description": "the address of an existing account"}
    )
    role = fields.String(
        load_default=Role.member.value, validate=validate.OneOf([r.value for r in Role])
    )


class MyMembershipUpdateSchema(Schema):
    gives_support = fields.Boolean(
        metadata={"description": "locked to true while the group's rules require reciprocity"}
    )
    receives_support = fields.Boolean(
        metadata={"description": "locked to true while the group's rules require reciprocity"}
    )
    availability = fields.String(validate=validate.OneOf([a.value for a in Availability]))
    availability_until = fields.Date(
        allow_none=True, metadata={"description": "YYYY-MM-DD, until when busy or away"}
    )


class RoleUpdateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
