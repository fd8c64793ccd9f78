"""`portal pools ...`"""

from __future__ import annotations

import click

from portal.cli import adoption, lifecycle
from portal.cli.common import EXIT_FAILED, emit_json, operator_command, say
from portal.services.pools.registry import inspect_pool, list_usage, register_pool, usage


@click.group("pools")
def group() -> None:
    """Register user pools and see their usage."""


@group.command("add")
@click.argument("user_pool_id")
@click.option("--region", help="The pool's region (default: the prefix of its id).")
@click.option(
    "--max-clients",
    type=click.IntRange(min=1),
    help="App-client quota, if AWS raised it for this pool (default 1000).",
)
@click.option(
    "--max-idps",
    type=click.IntRange(min=1),
    help="Identity-provider quota, if AWS raised it for this pool (default 300).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def add(
    user_pool_id: str,
    region: str | None,
    max_clients: int | None,
    max_idps: int | None,
    as_json: bool,
) -> None:
    """Register a pool: reads its domain, login version, feature plan and usage from Cognito."""
    pool = register_pool(
        user_pool_id,
        region,
        max_clients=max_clients,
        max_identity_providers=max_idps,
        progress=lambda m: say(f"  {m}"),
    )
    result = usage(pool)
    if as_json:
        emit_json(result.to_dict())
        return
    say(
        f"registered {pool.user_pool_id} ({pool.name}) with domain {pool.cognito_domain_url}, "
        f"managed login version {pool.managed_login_version}, plan {pool.feature_plan}"
    )
    _print_usage([result])


@group.command("check")
@click.argument("user_pool_id")
@click.option("--region", help="The pool's region (default: the prefix of its id).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def check(user_pool_id: str, region: str | None, as_json: bool) -> None:
    """Can the pool take tenants? Plan, domain, schema, quotas and permissions (reads only).

    Exit 0 when it can, 1 with the blocking findings when it cannot, 2 on bad usage.
    """
    result = inspect_pool(user_pool_id, region, progress=lambda m: say(f"  {m}"))
    if as_json:
        emit_json(result.to_dict())
    else:
        marks = {"ok": "ok  ", "warning": "WARN", "blocking": "FAIL"}
        for finding in result.findings:
            click.echo(f"{marks[finding.severity]}  {finding.topic}: {finding.message}")
        verdict = "can take tenants" if result.can_take_tenants else "cannot take tenants"
        click.echo(f"{user_pool_id} {verdict}")
    if not result.can_take_tenants:
        raise SystemExit(EXIT_FAILED)


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def list_pools(as_json: bool) -> None:
    """Show each registered pool's usage against its quotas."""
    usages = list_usage()
    if as_json:
        emit_json([u.to_dict() for u in usages])
        return
    if not usages:
        say("no user pool is registered; add one with `portal pools add USER_POOL_ID`")
        return
    _print_usage(usages)


def _print_usage(usages) -> None:
    click.echo(f"{'USER POOL':<28} {'LOGIN':<9} {'CLIENTS':>11} {'IDPS':>9} {'STYLES':>7}  STATE")
    for u in usages:
        login = "managed" if u.pool.managed_login_version >= 2 else "classic"
        styles = f"{u.styles}/{u.max_styles}" if u.pool.needs_styles else "-"
        state = "closed" if u.pool.closed else ("full" if not u.has_room else "open")
        click.echo(
            f"{u.pool.user_pool_id:<28} {login:<9} "
            f"{u.clients:>5}/{u.pool.max_clients:<5} "
            f"{u.identity_providers:>4}/{u.pool.max_identity_providers:<4} {styles:>7}  {state}"
        )


lifecycle.register_pool_commands(group)  # close, open, set-quotas
group.add_command(adoption.scan_command)
