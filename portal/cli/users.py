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


def _user(email: str):
    from portal.services.access.users import find_user
    from portal.validation import ValidationError

    user = find_user(email)
    if user is None:
        raise ValidationError("email", f"no portal user has the e-mail {email}")
    return user


@group.command("set-role")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "staff", "auditor"]), required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def set_role(email: str, role: str, as_json: bool) -> None:
    """Give a user another role; every session of theirs ends (audited)."""
    from portal.services.access.accounts import set_role as change_role

    user = _user(email)
    changed = change_role(user, role)
    if as_json:
        emit_json({"email": user.email, "role": user.role, "changed": changed})
        return
    say(f"{user.email} is now {user.role}; their sessions ended" if changed else "no change")


@group.command("sign-out")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def sign_out(email: str, as_json: bool) -> None:
    """Sign a user out everywhere: end every browser session of theirs (audited)."""
    from portal.services.access.accounts import end_sessions
    from portal.services.access.sessions import Reason

    user = _user(email)
    ended = end_sessions(user, Reason.ENDED_BY_ADMIN)
    if as_json:
        emit_json({"email": user.email, "sessions_ended": ended})
        return
    say(f"{user.email}: {ended} session(s) ended")


@group.command("reset-link")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def reset_link(email: str, as_json: bool) -> None:
    """Issue a single-use password-reset link for a user (printed once; audited)."""
    from portal.services.access.password_resets import issue

    user = _user(email)
    issued = issue(user)
    if as_json:
        emit_json({"email": user.email, "url": issued.url, "expires_at": issued.expires_at})
        return
    say(f"reset link for {user.email}, usable once until {issued.expires_at:%Y-%m-%d %H:%M} UTC")
    click.echo(f"link (shown once): {issued.url}")
