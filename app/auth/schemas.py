"""API schemas for accounts and tokens (they validate input and document the API)."""

from marshmallow import Schema, fields, validate

from .. import limits


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=limits.EMAIL))
    name = fields.String(required=True, validate=validate.Length(min=1, max=limits.NAME))
    password = fields.String(
        required=True, load_only=True, metadata={"description": "at least 10 characters"}
    )
    locale = fields.String(load_default=None, validate=validate.OneOf(["fr", "en"]))
    timezone = fields.String(
        load_default=None, metadata={"description": "IANA zone, e.g. Europe/Paris"}
    )


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    handle = fields.String(metadata={"description": "for @mentions"})
    locale = fields.String(allow_none=True)
    timezone = fields.String()


class TokenCreateSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(load_default="", validate=validate.Length(max=limits.NAME))


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "send as `Authorization: Bearer <token>`"})
