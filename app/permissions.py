"""The named predicates templates call: ``can.comment(current_user, thread)``,
``can.is_admin(current_user, group)`` (the ``can_`` prefix is dropped)."""

from __future__ import annotations

from .agreements import permissions as agreement_permissions
from .groups import permissions as group_permissions
from .polls import permissions as poll_permissions
from .threads import permissions as thread_permissions

TEMPLATE_PREDICATES = {
    name.removeprefix("can_"): getattr(module, name)
    for module in (group_permissions, thread_permissions, poll_permissions, agreement_permissions)
    for name in dir(module)
    if name.startswith(("can_", "is_"))
}
