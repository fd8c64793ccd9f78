"""`portal tokens ...`: API tokens for people and for the vendor's application."""

from __future__ import annotations

import click

from portal.cli.common import InvalidInput, emit_json, operator_command, say
from portal.services.access import api_tokens
from portal.services.access.users import find_user


@click.group("tokens")
def group() -> None:
    """Create, list and revoke API tokens."""


def _describe(issued: api_tokens.IssuedToken) -> dict:
    token = issued.token
    return {
        "token_id": token.prefix,
        "token": issued.plaintext,
        "name": token.name,
        "kind": token.kind,
        "role": token.role,
        "owner": token.user.email if token.user else None,
        "tenants": None if token.all_tenants else sorted(t.slug for t in token.tenants),
    }


def _print_once(issued: api_tokens.IssuedToken, as_json: bool) -> None:
    if as_json:
        emit_json(_describe(issued))
        return
    say(f"created token {issued.token.prefix} ({issued.token.name}); it is shown only this once:")
    click.echo(issued.plaintext)


@group.command("create")
@click.argument("email")
@click.option("--name", default=None, help="What the token is for.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def create(email: str, name: str | None, as_json: bool) -> None:
    """Make a personal token for the user EMAIL (it acts with that user's role)."""
    user = find_user(email)
    if user is None:
        raise InvalidInput(f"no portal user has the e-mail address {email}")
    _print_once(api_tokens.create_personal_token(user, name), as_json)


@group.command("create-app")
@click.argument("name")
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    help="Limit the token to this tenant (repeat for several; default: all tenants).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def create_app(name: str, tenants: tuple[str, ...], as_json: bool) -> None:
    """Make an application token: it can only read tenants' OIDC configuration."""
    _print_once(api_tokens.create_application_token(name, list(tenants)), as_json)


@group.command("revoke")
@click.argument("token_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def revoke(token_id: str, as_json: bool) -> None:
    """Revoke a token by its id (the part after ptk_, also accepted whole)."""
    token = api_tokens.find_token(token_id)
    if token is None:
        raise InvalidInput(f"no token has the id {token_id}")
    changed = api_tokens.revoke_token(token)
    if as_json:
        emit_json({"token_id": token.prefix, "revoked": True, "changed": changed})
    else:
        say(f"token {token.prefix} " + ("revoked" if changed else "was already revoked"))


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def list_tokens(as_json: bool) -> None:
    """List every token (never the secret)."""
    rows = api_tokens.application_tokens() + api_tokens.all_personal_tokens()
    documents = [
        {
            "token_id": t.prefix,
            "name": t.name,
            "kind": t.kind,
            "role": t.role,
            "owner": t.user.email if t.user else None,
            "tenants": None
            if t.all_tenants or t.kind == "personal"
            else sorted(x.slug for x in t.tenants),
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t in rows
    ]
    if as_json:
        emit_json(documents)
        return
    if not documents:
        say("no tokens")
        return
    click.echo(f"{'TOKEN ID':<14} {'KIND':<12} {'ROLE':<12} {'STATE':<8} NAME / OWNER")
    for d in documents:
        state = "revoked" if d["revoked_at"] else "active"
        who = d["owner"] or ("all tenants" if d["tenants"] is None else ", ".join(d["tenants"]))
        click.echo(
            f"{d['token_id']:<14} {d['kind']:<12} {d['role']:<12} {state:<8} {d['name']} / {who}"
        )
