"""API: groups and memberships."""

from ..api import Blueprint

blp = Blueprint("api_groups", __name__, description="Groups and memberships")
