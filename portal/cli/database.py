"""`portal db ...`: Flask-Migrate's commands on the portal's own migrations folder."""

from __future__ import annotations

import click
from flask_migrate import cli as migrate_cli


@click.group("db")
def group() -> None:
    """Apply and inspect the database migrations (the schema changes only through them)."""


# Flask-Migrate's group takes --directory; the portal's migrations are always the packaged ones.
for name, command in migrate_cli.db.commands.items():
    group.add_command(command, name)
