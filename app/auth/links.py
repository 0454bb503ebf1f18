"""Signed links emailed to a person: a password reset, an address confirmation, an
address change. One shape serves them all: a salt (so that one kind of link never
passes for another), a lifetime read from the configuration, and a small JSON
payload, signed with ``SECRET_KEY`` (itsdangerous). A link names an account and
the facts it was made for (the address, the password generation); whoever opens it
later checks those facts still hold, which makes the link single-use where it must be.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from .models import User


@dataclass(frozen=True)
class SignedLink:
    """One kind of emailed link: ``salt`` tells kinds apart, ``max_age_setting`` names
    the configuration key of its lifetime in seconds."""

    salt: str
    max_age_setting: str

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=self.salt)

    @property
    def max_age(self) -> int:
        return int(current_app.config[self.max_age_setting])

    def make(self, user: User, **facts) -> str:
        """A token naming ``user`` and the ``facts`` (JSON values) it was made for."""
        return self._serializer().dumps({"uid": user.id, **facts})

    def load(self, token: str) -> tuple[User, dict] | None:
        """The account the token names, with its facts; None when the token is forged,
        expired, or names no account."""
        try:
            data = self._serializer().loads(token, max_age=self.max_age)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
            return None
        user = db.session.get(User, data["uid"])
        if user is None or user.deleted_at is not None:
            return None
        return user, data
