"""``flask demo``: load an invented French-speaking support circle."""

import click
from flask.cli import with_appcontext


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demo circle (see app/demo/data.py)."""
    from .data import load_demo

    load_demo()
