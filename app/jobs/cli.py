"""``flask jobs run [--every SECONDS]``: the periodic work, once or in a loop."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..timeutil import isoformat_z, utcnow
from .tasks import run_once

jobs_command = AppGroup(
    "jobs",
    help="Periodic work: closing due polls, reminders, support steps, daily digests, "
    "sending emails and webhook posts.",
)


def _parse_now(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("an ISO 8601 date-time with its zone") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the time zone (e.g. 2026-05-12T09:00:00Z)")
    return moment.astimezone(UTC)


def _one_run(now: datetime | None) -> bool:
    """Run every step once, print the figures; True when nothing failed."""
    moment = now or utcnow()
    try:
        figures = run_once(moment)
    finally:
        db.session.remove()
    line = f"{isoformat_z(moment)} {figures.summary()}"
    current_app.logger.info("jobs run: %s", line)
    click.echo(line)
    return not figures.failures


@jobs_command.command("run")
@click.option(
    "--every", type=click.IntRange(min=1), default=None, help="Repeat every SECONDS (a loop)."
)
@click.option(
    "--now",
    callback=_parse_now,
    default=None,
    hidden=True,
    help="Act as if it were this time (ISO 8601 with a zone); for tests and catching up.",
)
def run_command(every: int | None, now: datetime | None):
    """Do the due work once, or every SECONDS until interrupted (every 30 s is a good
    pace: a systemd timer, cron, or --every 30).

    \b
    In order:
    - close the polls whose closing time has passed;
    - remind the undecided voters of polls closing within 24 hours;
    - tell admins and proposers of agreements due for review;
    - take the support requests' due steps (escalate, lapse, overdue, follow-up)
      and remind supporters of check-ins due;
    - write each member's daily digest once their local hour has come;
    - send the outbox: notification emails, digests, account emails and webhook
      posts, each once, retried with backoff when the server asks to wait.

    Prints one line of figures per run. Safe to run from several processes or
    machines at once: every step and every email is claimed by one run only."""
    if every is None:
        if not _one_run(now):
            raise SystemExit(1)
        return
    click.echo(f"running every {every} s; Ctrl-C to stop")
    try:
        while True:
            try:
                _one_run(now)
            except Exception:  # noqa: BLE001 - e.g. the database restarting: try again later
                current_app.logger.exception("jobs run failed")
                click.echo("run failed; trying again later", err=True)
            time.sleep(every)
    except KeyboardInterrupt:
        click.echo("stopped")
