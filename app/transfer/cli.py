"""``flask groups export HANDLE PATH`` and ``flask groups import FILE [--handle NEW]``."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..timeutil import utcnow
from ..urls import public_url
from .importing import ImportRefused, import_group, read_document

groups_command = AppGroup(
    "groups", help="Move a circle between instances: export it to a file, import a file."
)


def _read_context():
    """A GET request's context: the export's SQLite transaction is a plain read (``BEGIN``,
    never the write lock a command takes), and links render on the public address."""
    parts = urlsplit(public_url())
    return current_app.test_request_context(
        "/", method="GET", base_url=f"{parts.scheme}://{parts.netloc}{parts.path}"
    )


@groups_command.command("export")
@click.argument("handle")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
def export_command(handle: str, path: str):
    """Write the circle HANDLE to PATH as one JSON document (``-``: standard output)."""
    from ..groups.services import lookup_group
    from .exporting import stream_group

    with _read_context():
        group = lookup_group(handle)
        if group is None:
            raise click.ClickException(f"There is no circle with the handle {handle!r}.")
        group_id = group.id
        db.session.rollback()  # the export reads from its own snapshot
        if path == "-":
            for chunk in stream_group(group_id, now=utcnow()):
                sys.stdout.write(chunk)
        else:
            # written beside, then renamed: PATH is never a half-written file
            partial = f"{path}.part"
            try:
                with open(partial, "w", encoding="utf-8") as out:
                    for chunk in stream_group(group_id, now=utcnow()):
                        out.write(chunk)
                os.replace(partial, path)
            finally:
                if os.path.exists(partial):
                    os.remove(partial)
    if path != "-":
        click.echo(f"Circle {handle!r} exported to {path}.", err=True)


@groups_command.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--handle", "new_handle", default=None, help="Import the circle under this handle.")
def import_command(file, new_handle: str | None):
    """Restore the circle exported in FILE, all or nothing (people matched by email)."""
    parts = urlsplit(public_url())
    base_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    # A POST's context: the write lock on SQLite, and links to people on the public address.
    with current_app.test_request_context("/", method="POST", base_url=base_url):
        try:
            document = read_document(file)
            imported = import_group(document, handle=new_handle)
            db.session.commit()
        except ImportRefused as error:
            db.session.rollback()
            raise click.ClickException(f"{error} Nothing was imported.") from None
        except Exception:
            db.session.rollback()
            raise
    rows = sum(n for name, n in imported.rows.items() if name != "users")
    click.echo(
        f"Circle imported as {imported.handle!r}: {rows} rows. "
        f"Accounts matched by email: {len(imported.people_matched)}; "
        f"created without a password: {len(imported.people_created)} "
        "(they choose one with “Forgot your password?”)."
    )
