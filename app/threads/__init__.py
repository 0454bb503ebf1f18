"""Threads (discussions) and comments."""

from flask import Blueprint

bp = Blueprint("threads", __name__)

from . import views  # noqa: E402, F401
