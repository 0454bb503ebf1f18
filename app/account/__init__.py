"""A person's own account as a whole: downloading everything about them, closing the
account (leaving every circle) and deleting it. Built on top of every feature, which
it reaches through their services and models; no feature imports it."""

from flask import Blueprint

bp = Blueprint("account", __name__)
