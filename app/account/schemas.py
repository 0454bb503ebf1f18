"""API schemas of one's own account (they validate input and document the API)."""

from marshmallow import Schema, validate

from .. import limits
from ..api.schemas import Text, UTCDateTime


class PasswordSchema(Schema):
    password = Text(
        required=True,
        load_only=True,
        validate=validate.Length(max=limits.PASSWORD),
        metadata={"description": "the account's current password"},
    )


class DeactivatedSchema(Schema):
    deactivated_at = UTCDateTime()
    reactivate_before = UTCDateTime(
        metadata={"description": "signing in (POST /api/v1/tokens) before this opens it again"}
    )
