"""The outbox's ``webhook`` channel: one HTTP POST per delivery, and what its result
means for the hook.

httpx (a maintained client with real timeouts, HTTP/1.1 and TLS verification by
default) posts the stored body with a 15-second timeout and never follows a redirect:
a 3xx is a failure, as Standard Webhooks asks. Success is any 2xx. A ``Retry-After``
(seconds or an HTTP date) is passed to the outbox, which never retries sooner.

The address is checked again before each post (``ssrf.check``) and the connection goes
to the address checked (``ssrf.pinned``). A generic hook's post is signed with the
``standardwebhooks`` library: ``webhook-id`` is ``msg_<delivery id>``, the same on every
retry (the receiver's idempotency key), ``webhook-timestamp`` the time of the attempt.

``after`` runs in the transaction that records the result: a success clears the run
of failures; a 410 disables the hook at once; failures for more than a day disable it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import sqlalchemy as sa
from flask import current_app
from standardwebhooks.webhooks import Webhook as Signer

from .. import outbox
from ..extensions import db
from ..textcheck import whole_number
from . import services, ssrf
from .models import GENERIC, Webhook

TIMEOUT = 15.0
USER_AGENT = "Cercle-Webhooks/1.0"


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header as a wait: delay-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    seconds = whole_number(value, min=0)
    if seconds is not None:
        return timedelta(seconds=seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def encode(body: dict) -> str:
    """The body as sent (and signed): compact JSON, UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def signature_headers(secret: str, message_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks' three headers, signed now."""
    at = datetime.fromtimestamp(int(time.time()), tz=UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, at, body),
    }


@dataclass(frozen=True)
class Answer:
    """What a receiver answered: its status, headers and the start of its body."""

    status_code: int
    headers: httpx.Headers
    text: str


def _post(target: ssrf.Target, content: bytes, extra: dict[str, str]) -> Answer:
    """POST to the first of the target's checked addresses that accepts a connection.
    Only the first ``MAX_ANSWER`` bytes of the answer are read, within ``TIMEOUT``: a
    receiver that trickles a long body cannot hold the periodic run."""
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
        for i, address in enumerate(target.addresses):
            url, headers, extensions = ssrf.pinned(target, address)
            request = client.build_request(
                "POST", url, content=content, headers={**headers, **extra}, extensions=extensions
            )
            try:
                response = client.send(request, stream=True)
            except httpx.ConnectError:
                if i == len(target.addresses) - 1:
                    raise
                continue
            try:
                deadline = time.monotonic() + TIMEOUT
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= MAX_ANSWER or time.monotonic() > deadline:
                        break
            finally:
                response.close()
            text = body[:MAX_ANSWER].decode(response.encoding or "utf-8", errors="replace")
            return Answer(response.status_code, response.headers, text)
    raise httpx.ConnectError("no address")  # not reached: check() gives at least one


#: how much of a receiver's answer is read (the log shows its start)
MAX_ANSWER = 4096


def send(delivery: outbox.Delivery, now: datetime) -> outbox.Result:
    """Post one delivery to its hook (cancelled if the hook is gone or disabled)."""
    hook = db.session.get(Webhook, delivery.webhook_id) if delivery.webhook_id else None
    if hook is None or not hook.is_active:
        return outbox.Result(ok=False, cancelled=True, error="the webhook is disabled or gone")
    url, kind, secret = hook.url, hook.kind, hook.secret
    body = encode((delivery.payload or {}).get("body") or {})
    message_id = f"msg_{delivery.id}"
    allow_private = bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"))
    # Nothing stays locked while the receiver takes its time.
    db.session.rollback()
    try:
        target = ssrf.check(url, allow_private=allow_private)
    except ssrf.BadAddress as problem:
        return outbox.Result(ok=False, error=f"address refused: {problem.reason}")
    extra = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if kind == GENERIC and secret:
        extra.update(signature_headers(secret, message_id, body))
    try:
        response = _post(target, body.encode(), extra)
    except httpx.TimeoutException:
        return outbox.Result(ok=False, error=f"no answer within {TIMEOUT:.0f} s")
    except httpx.HTTPError as exc:
        return outbox.Result(ok=False, error=f"{exc.__class__.__name__}: {exc}"[:500])
    status = response.status_code
    if 200 <= status < 300:
        return outbox.Result(ok=True, status=status)
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
    snippet = " ".join(response.text.split())[:200]
    if 300 <= status < 400:
        where = response.headers.get("Location", "")
        error = f"HTTP {status}: a redirect (not followed) {where}".strip()
    else:
        error = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    return outbox.Result(
        ok=False,
        status=status,
        error=error[:500],
        retry_after=retry_after,
        permanent=status == 410,
    )


def after(delivery: outbox.Delivery, result: outbox.Result, now: datetime) -> None:
    """What a result means for the hook (in the recording transaction)."""
    if delivery.webhook_id is None or result.cancelled:
        return
    # Locked: two runs recording failures of one hook at once disable it (and tell the
    # admins) once.
    hook = db.session.scalar(
        sa.select(Webhook)
        .where(Webhook.id == delivery.webhook_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if hook is None:
        return
    if result.ok:
        hook.failing_since = None
        hook.last_success_at = now
        return
    if hook.failing_since is None:
        hook.failing_since = now
    if not hook.is_active:
        return
    if result.status == 410:
        reason = services.GONE
    elif now - hook.failing_since >= services.FAILING_LIMIT:
        reason = services.FAILING
    else:
        return
    if delivery.status == outbox.PENDING:  # its retry is not worth making any more
        delivery.status = outbox.CANCELLED
    services.disable(hook, reason, now=now)
