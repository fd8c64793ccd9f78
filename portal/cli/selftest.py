"""`portal selftest aws`: prove the portal works on this AWS account, in about a minute."""

from __future__ import annotations

import click

from portal.cli.common import EXIT_FAILED, emit_json, operator_command, say


@click.group("selftest")
def group() -> None:
    """End-to-end self-tests."""


@group.command("aws")
@click.option("--pool", "user_pool_id", required=True, help="A registered user pool's id.")
@click.option(
    "--issuer",
    default="https://accounts.google.com",
    show_default=True,
    help="A public OIDC issuer for the throw-away tenant (a dummy client id is used).",
)
@click.option("--keep", is_flag=True, help="Leave the throw-away tenant in place.")
@click.option("--emulator", is_flag=True, help="Allow boto3 to point at the local emulator.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def aws(user_pool_id: str, issuer: str, keep: bool, emulator: bool, as_json: bool) -> None:
    """Onboard a throw-away tenant, check it against AWS, change it, offboard it, check again.

    Exit 0 when every check passed, 1 when one failed, 2 on bad usage.
    """
    from portal.services.selftest import run_selftest

    report = run_selftest(
        user_pool_id,
        issuer=issuer,
        keep=keep,
        emulator=emulator,
        progress=lambda m: say(f"  {m}"),
    )
    if as_json:
        emit_json(report.to_dict())
    else:
        click.echo(f"self-test of {user_pool_id} on {report.target} ({report.endpoint})")
        marks = {"pass": "ok  ", "fail": "FAIL", "skip": "skip"}
        for check in report.checks:
            click.echo(
                f"{marks[check.status]}  {check.name}"
                + (f": {check.detail}" if check.detail else "")
            )
        click.echo("all checks passed" if report.ok else "the self-test FAILED")
    if not report.ok:
        raise SystemExit(EXIT_FAILED)
