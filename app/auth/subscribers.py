"""What the accounts feature tells the layers below it: who a token belongs to
(the API machinery) and which ``@handles`` exist (Markdown). Connected once by
the application factory."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from .. import api, markdown
from ..extensions import db
from .models import ApiToken, User


def user_for_token(token_hash: str) -> User | None:
    """The user whose API token has this hash, or None."""
    return db.session.scalar(
        sa.select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash)
    )


def known_handles(handles: set[str]) -> list[str]:
    """Which of these handles name people (one query)."""
    return list(
        db.session.scalars(
            sa.select(User.handle).where(User.handle.in_(handles), User.deleted_at.is_(None))
        )
    )


def person_url(handle: str) -> str:
    """The path of a person's page, stored in rendered texts: built from the URL map
    alone, so that a text written outside a request (``flask demo``, ``flask groups
    import``, the periodic command) links the same way as one written in a page."""
    return current_app.url_map.bind("", script_name="/").build("groups.person", {"handle": handle})


def connect() -> None:
    """Register the token loader and the people directory."""
    api.token_loader(user_for_token)
    markdown.register_people(known_handles, person_url)
