"""Accounts: sign-up, sign-in, password reset, profile, API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
