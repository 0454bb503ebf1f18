"""What the agreements feature answers for the groups below it: whether the
support switches are locked by the rule ``reciprocity``. Connected once by the
application factory."""

from __future__ import annotations

from .. import hooks
from .services import active_rules


def switches_locked(group, *, now, **_) -> hooks.SwitchLock | None:
    """The lock while the rule ``reciprocity`` is ``required``, with the agreement version
    that says so (none for the default)."""
    rule = active_rules(group, now)["reciprocity"]
    if rule.value != "required":
        return None
    source = rule.source
    if source is None:
        return hooks.SwitchLock(rule="reciprocity")
    return hooks.SwitchLock(
        rule="reciprocity",
        agreement_id=source.agreement_id,
        version=source.version,
        title=source.title,
        poll_id=source.poll_id,
    )


def connect() -> None:
    hooks.support_switches_lock.connect(switches_locked)
