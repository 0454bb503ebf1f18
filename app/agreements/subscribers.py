"""What the agreements feature answers for the groups below it: whether the
support switches are locked by the rule ``reciprocity``. Connected once by the
application factory."""

from __future__ import annotations

from .. import hooks
from .services import reciprocity_is_required


def switches_locked(group, *, now, **_):
    return True if reciprocity_is_required(group, now) else None


def connect() -> None:
    hooks.support_switches_lock.connect(switches_locked)
