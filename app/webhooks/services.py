"""A group's webhooks: connecting, removing, re-enabling, testing, and writing posts to
the outbox. Services flush, never commit; ``now`` is always given.

A post is written to the outbox in the transaction of the act it tells, once for each
active hook of the group that wants its event, with its body already rendered (the
chat text in the app's default language, French: a chat room is shared by people who
each read the app in their own language, and the group's language is the app's).
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import outbox
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..groups.models import Membership, Role
from ..notifications.models import WEBHOOK_DISABLED
from ..notifications.services import notify
from . import formats, ssrf
from .models import EVENTS, GENERIC, KINDS, Webhook

#: the most connections one group keeps
MAX_PER_GROUP = 20
#: failing this long disables a hook
FAILING_LIMIT = timedelta(days=1)
#: the periodic command is late when it last ran longer ago than this
HEARTBEAT_LATE = timedelta(minutes=5)

#: why a hook was disabled (``disabled_reason`` stores the code)
GONE = "gone"
FAILING = "failing"
DISABLED_REASONS = {
    GONE: _l("The receiver answered 410 Gone: this address no longer exists."),
    FAILING: _l("Every post failed for more than a day."),
}

#: what an address's refusal says, by ``ssrf.BadAddress.code``
ADDRESS_PROBLEMS = {
    "missing": _l("Give the address of the webhook."),
    "too_long": _l("The address is too long (at most 2,000 characters)."),
    "malformed": _l("This is not a valid web address."),
    "scheme": _l("The address must start with https:// (or http://)."),
    "credentials": _l("The address must not contain a user name or a password."),
    "unresolved": _l("This address's host name cannot be found."),
    "private": _l(
        "This address is on a private or local network: the server refuses to post there."
    ),
}

#: the event types each chosen event covers (for the documentation and the pages)
EVENT_TYPES = {
    "thread": ("thread.created",),
    "comment": ("comment.created",),
    "poll": ("poll.opened", "poll.closing_soon", "poll.closed"),
    "outcome": ("outcome.decided",),
    "agreement": (
        "agreement.adopted",
        "agreement.amended",
        "agreement.repealed",
        "agreement.review_due",
    ),
    "support_request": (
        "support_request.requested",
        "support_request.escalated",
        "support_request.matched",
        "support_request.closed",
    ),
}
EVENT_LABELS = {
    "thread": _l("New threads"),
    "comment": _l("New comments"),
    "poll": _l("Polls: opened, closing soon, closed"),
    "outcome": _l("Outcomes of proposals"),
    "agreement": _l("Agreements: adopted, amended, repealed, due for review"),
    "support_request": _l(
        "Support requests: asked, escalated, answered, closed (kind, urgency and link only)"
    ),
}
KIND_LABELS = {
    "slack": _l("Slack, Mattermost or Rocket.Chat"),
    "discord": _l("Discord"),
    "matrix": _l("Matrix (hookshot)"),
    "generic": _l("Signed JSON (Standard Webhooks)"),
}


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def mask(url: str) -> str:
    """An address as it is shown: scheme and host, then only its last four characters
    (``https://hooks.slack.com/…x9Qz``)."""
    parts = urlsplit(url)
    rest = url[len(f"{parts.scheme}://{parts.netloc}") :]
    head = f"{parts.scheme}://{parts.hostname or ''}"
    if len(rest) <= 4:
        return head + "/…"
    return f"{head}/…{rest[-4:]}"


def address_error(url: str, *, allow_private: bool) -> str | None:
    """What is wrong with a hook's address (a sentence), None when it may be used."""
    try:
        ssrf.check(url, allow_private=allow_private)
    except ssrf.BadAddress as problem:
        return str(ADDRESS_PROBLEMS.get(problem.code, ADDRESS_PROBLEMS["malformed"]))
    return None


def webhooks_of(group) -> list[Webhook]:
    """The group's hooks, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Webhook).where(Webhook.group_id == group.id).order_by(Webhook.id)
        )
    )


def create_webhook(
    group,
    *,
    actor,
    kind: str,
    url: str,
    events: list[str] | None,
    allow_private: bool,
    now: datetime,
) -> tuple[Webhook, str | None]:
    """Connect a hook; ``(hook, secret)`` where ``secret`` is a generic hook's signing
    secret (shown once: to the caller now), None for chat rooms."""
    fields: dict[str, str] = {}
    if kind not in KINDS:
        fields["kind"] = _("Choose one of: %(kinds)s.", kinds=", ".join(KINDS))
    chosen = list(EVENTS) if events is None else list(dict.fromkeys(events))
    if not chosen:
        fields["events"] = _("Choose at least one event.")
    elif any(event not in EVENTS for event in chosen):
        fields["events"] = _("Choose among: %(events)s.", events=", ".join(EVENTS))
    problem = address_error(url, allow_private=allow_private)
    if problem:
        fields["url"] = problem
    if fields:
        raise ValidationFailed(fields=fields)
    count = db.session.scalar(
        sa.select(sa.func.count(Webhook.id)).where(Webhook.group_id == group.id)
    )
    if count >= MAX_PER_GROUP:
        raise Conflict(
            _("A group keeps at most %(n)s webhooks: delete one first.", n=MAX_PER_GROUP),
            code="too_many_webhooks",
        )
    secret = new_secret() if kind == GENERIC else None
    hook = Webhook(
        group_id=group.id,
        kind=kind,
        url=url.strip(),
        events=[event for event in EVENTS if event in chosen],
        secret=secret,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(hook)
    db.session.flush()
    return hook, secret


def delete_webhook(hook: Webhook) -> None:
    """Remove a hook with its delivery log (what was waiting is not sent)."""
    db.session.execute(sa.delete(outbox.Delivery).where(outbox.Delivery.webhook_id == hook.id))
    db.session.delete(hook)
    db.session.flush()


def enable(hook: Webhook, *, now: datetime) -> None:
    """Turn a disabled hook on again, its failures forgotten (new posts go to it)."""
    hook.disabled_at = None
    hook.disabled_reason = None
    hook.failing_since = None
    db.session.flush()


def disable(hook: Webhook, reason: str, *, now: datetime) -> int:
    """Turn a hook off: nothing more is sent, its waiting posts are cancelled, and the
    group's admins are told in the app (and by email). How many posts were cancelled."""
    hook.disabled_at = now
    hook.disabled_reason = reason
    db.session.flush()
    cancelled = outbox.cancel_pending(
        outbox.Delivery.webhook_id == hook.id, now=now, reason=f"webhook disabled ({reason})"
    )
    admins = db.session.scalars(
        sa.select(Membership.user_id).where(
            Membership.group_id == hook.group_id,
            Membership.role == Role.admin.value,
            Membership.revoked_at.is_(None),
        )
    ).all()
    notify(admins, WEBHOOK_DISABLED, group=hook.group_id, now=now)
    return cancelled


def send_test(hook: Webhook, post: formats.Post, *, now: datetime) -> outbox.Delivery:
    """Write a test post for ``hook`` to the outbox (sent by the next periodic run)."""
    return write_post(hook, post, now=now)


def write_post(hook: Webhook, post: formats.Post, *, now: datetime) -> outbox.Delivery:
    """Write ``post`` to the outbox for ``hook``, its body rendered for the hook's kind."""
    return outbox.enqueue(
        outbox.WEBHOOK,
        post.type,
        now=now,
        webhook_id=hook.id,
        payload={"body": formats.body(hook.kind, post, now)},
    )


def active_hooks(group_id: int, event: str) -> list[Webhook]:
    """The group's active hooks that want ``event`` (one query)."""
    hooks = db.session.scalars(
        sa.select(Webhook).where(Webhook.group_id == group_id, Webhook.disabled_at.is_(None))
    )
    return [hook for hook in hooks if event in (hook.events or ())]


def deliveries_query(hook: Webhook):
    """The hook's deliveries, newest first (pages and the API's cursor)."""
    return (
        sa.select(outbox.Delivery)
        .where(outbox.Delivery.webhook_id == hook.id)
        .order_by(outbox.Delivery.created_at.desc(), outbox.Delivery.id.desc())
    )


def heartbeat_state(now: datetime) -> tuple[datetime | None, bool]:
    """When the periodic command last ran, and whether that is too long ago (or never)."""
    beat = outbox.last_beat()
    if beat is None:
        return None, True
    return beat.last_run_at, now - beat.last_run_at > HEARTBEAT_LATE
