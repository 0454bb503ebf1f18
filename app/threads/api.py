"""API: threads, comments and reactions."""

from ..api import Blueprint

blp = Blueprint("api_threads", __name__, description="Threads, comments and reactions")
