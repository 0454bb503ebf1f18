"""Notification pages."""

from . import bp  # noqa: F401
from . import services  # noqa: F401 - registers the model
