"""In-app notifications (email and webhooks come with the notifications issue)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
from .services import register_poll_hooks  # noqa: E402

register_poll_hooks()
