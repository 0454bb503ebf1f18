"""API schemas for accounts and tokens (they validate input and document the API)."""

from marshmallow import Schema, fields, validate

from .. import limits
from ..api.schemas import Email, Line, Text


class UserCreateSchema(Schema):
    email = Email(required=True, validate=validate.Length(max=limits.EMAIL))
    name = Line(required=True, validate=validate.Length(min=1, max=limits.NAME))
    password = Text(
        required=True,
        load_only=True,
        validate=validate.Length(max=limits.PASSWORD),
        metadata={"description": f"10 to {limits.PASSWORD} characters"},
    )
    locale = fields.String(load_default=None, validate=validate.OneOf(["fr", "en"]))
    timezone = Line(load_default=None, metadata={"description": "IANA zone, e.g. Europe/Paris"})


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    handle = fields.String(metadata={"description": "for @mentions"})
    locale = fields.String(allow_none=True)
    timezone = fields.String()


class TokenCreateSchema(Schema):
    email = Email(required=True)
    password = Text(required=True, load_only=True)
    name = Line(load_default="", validate=validate.Length(max=limits.NAME))


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "send as `Authorization: Bearer <token>`"})


class EmailChangeSchema(Schema):
    email = Email(
        required=True,
        validate=validate.Length(max=limits.EMAIL),
        metadata={"description": "the new address"},
    )
    password = Text(
        required=True,
        load_only=True,
        validate=validate.Length(max=limits.PASSWORD),
        metadata={"description": "the current password"},
    )


class EmailChangeStartedSchema(Schema):
    email = fields.String(metadata={"description": "the address the link was sent to"})
    status = fields.String(metadata={"description": "`confirmation_sent`"})
