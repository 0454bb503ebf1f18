"""API: polls and stances."""

from ..api import Blueprint

blp = Blueprint("api_polls", __name__, description="Polls, stances and results")
