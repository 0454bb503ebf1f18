"""The dashboard: what needs me, across my groups."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
