"""`portal tenants domains SLUG [add|check|verify|remove]`: a tenant's claimed e-mail domains."""

from __future__ import annotations

import click

from portal.cli.common import emit_json, operator_command

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")


def _tenant(ctx: click.Context):
    from portal.services.tenants.records import get_tenant

    return get_tenant(ctx.obj["slug"])


def _show(tenant, as_json: bool) -> None:
    from portal.services.domains import claims

    rows = claims.summary(tenant)
    if as_json:
        emit_json(
            {
                "slug": tenant.slug,
                "txt_value": tenant.domain_token,
                "domains": [{**row, "txt_name": claims.txt_name(row["domain"])} for row in rows],
            }
        )
        return
    if not rows:
        click.echo(f"{tenant.slug} claims no e-mail domain")
        return
    for row in rows:
        where = "in Cognito" if row["in_cognito"] else "not in Cognito"
        note = row["check_result"] if row["state"] != "verified" else f"by {row['method']}"
        click.echo(f"{row['domain']:<40} {row['state']:<10} {where:<15} {note or ''}")
    if tenant.domain_token:
        click.echo(f"TXT record: _cognito-portal.<domain>  value: {tenant.domain_token}")


@click.group("domains", invoke_without_command=True)
@json_option
@click.argument("slug")
@click.pass_context
def group(ctx: click.Context, as_json: bool, slug: str) -> None:
    """List a tenant's claimed e-mail domains, or change them (only verified ones reach Cognito).

    `portal tenants domains [--json] SLUG`, or SLUG followed by add, check, verify or remove.
    """
    ctx.ensure_object(dict)
    ctx.obj.update(slug=slug)
    if ctx.invoked_subcommand is None:
        operator_command(lambda: _show(_tenant(ctx), as_json))()


@group.command("add")
@click.argument("domains", nargs=-1, required=True)
@json_option
@click.pass_context
@operator_command
def add(ctx: click.Context, as_json: bool, domains: tuple[str, ...]) -> None:
    """Claim DOMAINS for the tenant (unverified until the TXT record or staff prove them)."""
    from portal.services.domains import claims

    tenant = _tenant(ctx)
    for domain in domains:
        claims.claim_domain(tenant, domain)
    _show(tenant, as_json)


@group.command("check")
@json_option
@click.pass_context
@operator_command
def check(ctx: click.Context, as_json: bool) -> None:
    """Look up the TXT records of the tenant's unverified domains now."""
    from portal.services.domains import verification

    tenant = _tenant(ctx)
    verification.check_tenant(tenant)
    _show(tenant, as_json)


@group.command("verify")
@click.argument("domain")
@click.option("--reason", required=True, help="Why you vouch for it (kept in the audit trail).")
@json_option
@click.pass_context
@operator_command
def verify(ctx: click.Context, as_json: bool, domain: str, reason: str) -> None:
    """Verify DOMAIN by hand; the first verification of a domain wins."""
    from portal.services.domains import claims

    tenant = _tenant(ctx)
    claims.verify_by_hand(tenant, domain, reason)
    _show(tenant, as_json)


@group.command("remove")
@click.argument("domain")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
@json_option
@click.pass_context
@operator_command
def remove(ctx: click.Context, as_json: bool, domain: str, reason: str) -> None:
    """Withdraw the tenant's claim on DOMAIN (Cognito drops it at the next run)."""
    from portal.services.domains import claims

    tenant = _tenant(ctx)
    claims.remove_domain(tenant, domain, reason)
    _show(tenant, as_json)
