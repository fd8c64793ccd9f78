"""`portal tenants setup-link SLUG` and `portal tenants revoke-link SLUG`."""

from __future__ import annotations

import click

from portal.cli.common import InvalidInput, emit_json, operator_command, say
from portal.cli.lazy import lazy

links = lazy("portal.services.selfservice.setup_links")
records = lazy("portal.services.tenants.records")


@click.command("setup-link")
@click.argument("slug")
@click.option(
    "--expires",
    default="7d",
    show_default=True,
    help="How long the link works: a number and m, h, d or w (e.g. 2h, 3d, 1w).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def setup_link_command(slug: str, expires: str, as_json: bool) -> None:
    """Create a setup link for the customer (replaces the current one); the URL is shown once."""
    tenant = records.get_tenant(slug)
    link, token, replaced = links.create_link(tenant, links.parse_duration(expires))
    url = links.link_url(token)
    if replaced is not None:
        say(f"link #{replaced.id} of {tenant.slug} no longer works: the new link replaces it")
    if as_json:
        emit_json(
            {
                "slug": tenant.slug,
                "link_id": link.id,
                "url": url,
                "expires_at": link.expires_at.isoformat(),
                "replaced_link_id": replaced.id if replaced else None,
            }
        )
    else:
        click.echo(url)
    say(
        f"setup link #{link.id} for {tenant.slug} works until "
        f"{links.expires_label(link.expires_at)}; it is shown only this once"
    )


@click.command("revoke-link")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def revoke_link_command(slug: str, as_json: bool) -> None:
    """Revoke the tenant's current setup link."""
    tenant = records.get_tenant(slug)
    link = links.current_link(tenant)
    if link is None:
        raise InvalidInput(f"tenant {tenant.slug} has no setup link to revoke")
    state = link.state()
    links.revoke_link(link, "revoked by an operator")
    if as_json:
        emit_json({"slug": tenant.slug, "link_id": link.id, "revoked": True, "was": state})
    say(f"setup link #{link.id} of {tenant.slug} is revoked (it was {state})")


def register(group: click.Group) -> None:
    group.add_command(setup_link_command)
    group.add_command(revoke_link_command)
