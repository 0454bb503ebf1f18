"""Polls and stances: the consent proposal and the other kinds, their results and closing."""

from flask import Blueprint

bp = Blueprint("polls", __name__)
