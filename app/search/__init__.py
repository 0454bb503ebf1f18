"""Search across a circle's threads, comments, polls, outcomes and agreements."""

from flask import Blueprint

from . import schema  # noqa: F401 - the index's DDL belongs to the metadata

bp = Blueprint("search", __name__)
