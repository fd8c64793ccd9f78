"""`portal users ...`"""

from __future__ import annotations

import click

from portal.cli.common import emit_json, operator_command, read_secret_stdin, say
from portal.services.access.users import create_user, generate_password


@click.group("users")
def group() -> None:
    """Manage portal users."""


@group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "staff", "auditor"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def create(email: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Create a portal user; without --password-stdin a password is generated and printed once."""
    generated = not password_stdin
    password = generate_password() if generated else read_secret_stdin("Password")
    user = create_user(email, role, password)
    if as_json:
        document = {"email": user.email, "role": user.role, "id": user.id}
        if generated:
            document["password"] = password
        emit_json(document)
        return
    say(f"created {user.role} {user.email}")
    if generated:
        click.echo(f"password (shown once): {password}")
