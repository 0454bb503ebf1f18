"""How a notification reaches its reader by email: a pure decision over plain values.

``email_plan`` answers ``now`` (an email in the outbox, after the reader's quiet hours),
``digest`` (their next daily digest) or None (the in-app list only), from DESIGN's
"Notifications":

- ``email_off`` (the reader turned all notification email off, e.g. by one-click
  unsubscribe from "all email"): None, always;
- support requests are not muted by a muted group or thread: they follow the routing
  (``support_channel``, which already weighs the reader's ``immediate``/``digest`` choice,
  urgency, importance and absence); their other steps (matched, closed, …) follow the
  reader's support volume;
- everything else follows the thread's override, else the group's volume: ``all``
  emails at once what concerns the reader, ``digest`` puts it in the digest, ``mute``
  sends nothing. A block is news a facilitator gets at once unless muted.
"""

from __future__ import annotations

ALL, DIGEST, MUTE = "all", "digest", "mute"
VOLUMES = (ALL, DIGEST, MUTE)
IMMEDIATE = "immediate"
SUPPORT_VOLUMES = (IMMEDIATE, DIGEST)
#: the plans
NOW = "now"
PLANS = (NOW, DIGEST)


def effective_volume(group_volume: str, thread_volume: str | None) -> str:
    """The thread's override, else the group's volume."""
    return thread_volume or group_volume


def email_plan(
    *,
    support: bool,
    email_off: bool,
    group_volume: str = ALL,
    thread_volume: str | None = None,
    support_volume: str = IMMEDIATE,
    support_channel: str | None = None,
    urgent_news: bool = False,
) -> str | None:
    """``now``, ``digest`` or None for one notification and its reader.

    ``support``: a support request's or check-in's notification; ``support_channel``:
    the routing's channel for it (``immediate``/``digest``) when routing decided,
    else the reader's ``support_volume`` applies. ``urgent_news``: news that goes at
    once whatever the ``digest`` volume (a block, to the facilitator)."""
    if email_off:
        return None
    if support:
        channel = support_channel or support_volume
        return NOW if channel == IMMEDIATE else DIGEST
    volume = effective_volume(group_volume, thread_volume)
    if volume == MUTE:
        return None
    if volume == DIGEST and not urgent_news:
        return DIGEST
    return NOW
