"""``flask backup PATH``: a consistent copy of a SQLite database while the app runs.

SQLite's ``VACUUM INTO`` writes the database as one read transaction sees it: in WAL
mode readers never block writers, so the site keeps answering (and committing) while
the copy is made, and the copy holds every transaction committed before it started and
none half-written. The copy is written beside its destination under another name,
checked with ``PRAGMA integrity_check``, synced to disk and only then moved into place,
so a crash or a full disk never leaves a truncated file under the backup's name.

PostgreSQL has its own tool for the same guarantee, ``pg_dump`` (one snapshot): the
command refuses and prints the ``pg_dump`` command for the configured database.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from .db import SQLITE_BUSY_TIMEOUT_MS


def pg_dump_command(url: sa.engine.URL, path: str) -> str:
    """The ``pg_dump`` command that backs up the database at ``url`` into ``path``
    (custom format, for ``pg_restore``), without the password: ``pg_dump`` takes it
    from ``PGPASSWORD`` or ``~/.pgpass``."""
    target = sa.engine.URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    address = target.render_as_string(hide_password=False)
    return shlex.join(["pg_dump", "--format=custom", f"--file={path}", address])


def backup_sqlite(source: str, destination: Path, *, force: bool) -> None:
    """Copy the SQLite database ``source`` into ``destination`` (see the module's
    docstring); refuse an existing ``destination`` unless ``force``."""
    if destination.exists() and not force:
        raise click.ClickException(
            f"{destination} already exists: choose another path, or add --force to replace it."
        )
    if not destination.parent.is_dir():
        raise click.ClickException(f"The folder {destination.parent} does not exist.")
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        connection = sqlite3.connect(source, isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            connection.execute("VACUUM INTO ?", (str(partial),))
        finally:
            connection.close()
        check = sqlite3.connect(partial)
        try:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
        if verdict != "ok":
            raise click.ClickException(f"The copy failed its integrity check: {verdict}")
        with open(partial, "rb+") as copy:
            os.fsync(copy.fileno())
        if force:
            os.replace(partial, destination)
        else:
            try:  # a link, not a rename: it fails if the path appeared meanwhile
                os.link(partial, destination)
            except FileExistsError:
                raise click.ClickException(
                    f"{destination} already exists: choose another path, or add --force."
                ) from None
    except sqlite3.Error as exc:
        raise click.ClickException(f"The backup failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    """Copy the SQLite database into PATH, consistently, while the site runs.

    Restore by stopping the site and the periodic command, putting the copy in the
    database's place (removing its -wal and -shm files), and starting them again. On
    PostgreSQL, use pg_dump (the command says how)."""
    url = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        if url.get_backend_name() == "postgresql":
            raise click.ClickException(
                "This is a PostgreSQL database: back it up with pg_dump (one consistent "
                "snapshot, while the site runs):\n  "
                + pg_dump_command(url, str(path))
                + "\nand restore it with: pg_restore --no-owner --dbname=NEW_DATABASE "
                + shlex.quote(str(path))
            )
        raise click.ClickException(f"Cannot back up a {url.get_backend_name()} database.")
    source = url.database
    if not source or source == ":memory:" or not Path(source).is_file():
        raise click.ClickException(f"No SQLite database file at {source!r}.")
    started = time.monotonic()
    backup_sqlite(source, path, force=force)
    size = path.stat().st_size
    click.echo(
        f"Backed up {source} to {path} ({size / 1_000_000:.1f} MB, "
        f"{time.monotonic() - started:.1f} s, integrity ok)."
    )
