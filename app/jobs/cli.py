"""``flask jobs run [--every SECONDS]``."""

import click
from flask.cli import AppGroup

jobs_command = AppGroup("jobs", help="Periodic work (closing due polls, reminders).")


@jobs_command.command("run")
@click.option("--every", type=int, default=None, help="Repeat every SECONDS (a loop).")
def run_command(every):
    """Do the due work once, or in a loop."""
    raise click.ClickException("not wired yet")
