"""`portal pools scan` and `portal tenants adopt`: moving in the tenants onboarded by hand."""

from __future__ import annotations

import click

from portal.cli.common import emit_json, operator_command, say
from portal.cli.lazy import lazy

adopt_service = lazy("portal.services.adoption.adopt")
scan_service = lazy("portal.services.adoption.scan")


@click.command("scan")
@click.argument("user_pool_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def scan_command(user_pool_id: str, as_json: bool) -> None:
    """List what the pool holds that no tenant owns, and what could be adopted (reads only)."""
    pool = scan_service.registered_pool(user_pool_id)
    report = scan_service.scan_pool(pool, progress=lambda m: say(f"  {m}"))
    if as_json:
        emit_json(report.to_dict())
        return
    say(
        f"{pool.user_pool_id}: {report.owned_clients} app client(s) belong to tenants already; "
        f"{len(report.clients)} do not"
    )
    for client in report.clients:
        verdict = "adoptable" if client.adoptable else "not adoptable"
        providers = ", ".join(f"{p['name']} ({p['type'] or '?'})" for p in client.providers)
        click.echo(f"{client.client_name} ({client.client_id}): {verdict}")
        click.echo(f"  providers: {providers or 'none'}")
        click.echo(f"  callback URLs: {' '.join(client.callback_urls) or 'none'}")
        if client.logout_urls:
            click.echo(f"  logout URLs: {' '.join(client.logout_urls)}")
        click.echo(f"  scopes: {' '.join(client.scopes) or 'none'}")
        if client.style_needed:
            click.echo(f"  style: {client.style_id or 'none'}")
        if client.idp_identifiers:
            click.echo(f"  e-mail domains (unverified): {', '.join(client.idp_identifiers)}")
        for reason in client.refusals:
            click.echo(f"  cannot adopt: {reason}")
        for deviation in client.deviations:
            click.echo(f"  differs from the standard: {deviation}")
    for provider in report.providers:
        if provider.note:
            click.echo(f"provider {provider.name} ({provider.type}): {provider.note}")
    click.echo(
        f"{len(report.adoptable)} adoptable; adopt with: portal tenants adopt --pool "
        f"{pool.user_pool_id} --dry-run"
    )


@click.command("adopt")
@click.option("--pool", "user_pool_id", required=True, help="The registered user pool.")
@click.option(
    "--client",
    "client_ids",
    multiple=True,
    help="Adopt only this app client (repeat for several; default: every adoptable one).",
)
@click.option(
    "--slug-from",
    type=click.Choice(["provider", "client"]),
    default="provider",
    show_default=True,
    help="Name each tenant after its identity provider or its app client.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be adopted; record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def adopt_command(
    user_pool_id: str, client_ids: tuple[str, ...], slug_from: str, dry_run: bool, as_json: bool
) -> None:
    """Make a ready tenant of each client onboarded by hand; nothing is written to Cognito."""
    pool = scan_service.registered_pool(user_pool_id)
    result = adopt_service.adopt(
        pool, list(client_ids) or None, slug_from=slug_from, dry_run=dry_run
    )
    if as_json:
        emit_json(result.to_dict())
        return
    verb = "would adopt" if dry_run else "adopted"
    for tenant in result.adopted:
        click.echo(f"{verb} {tenant.client_name} ({tenant.client_id}) as {tenant.slug}")
        if tenant.note:
            click.echo(f"  note: {tenant.note}")
        for deviation in tenant.deviations:
            click.echo(f"  differs from the standard: {deviation}")
    for refusal in result.refused:
        reasons = "; ".join(refusal.reasons)
        click.echo(f"refused {refusal.client_name or refusal.client_id}: {reasons}")
    if not result.adopted:
        say("nothing new to adopt")
    elif not dry_run:
        say(
            "the tenants are ready as found; `portal tenants plan SLUG --standard` shows what "
            "would bring one to the portal's standard"
        )
