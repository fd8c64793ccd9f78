"""The `portal` command line: same commands as `flask --app portal ...`, usable from anywhere."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command

from portal.config import SettingsError


def _make_app() -> Flask:
    from portal import create_app

    try:
        return create_app()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def register_cli(app: Flask) -> None:
    """Add the portal's commands to the app's CLI group."""
    from portal.cli import lifecycle, pools, processes, runs, tenants, users
    from portal.devtools.emulator.cli import emulator_command

    app.cli.add_command(users.group)
    app.cli.add_command(pools.group)
    lifecycle.register(tenants.group)
    lifecycle.register_pool_commands(pools.group)
    app.cli.add_command(tenants.group)
    app.cli.add_command(runs.group)
    app.cli.add_command(processes.worker_command)
    app.cli.add_command(processes.beat_command)
    app.cli.add_command(processes.run_command)
    app.cli.add_command(processes.dev_command)
    app.cli.add_command(emulator_command, "emulator")
    # ops: least-privilege policy, metrics exporter, container health probes
    from portal.cli import ops

    app.cli.add_command(ops.aws_policy_command)
    app.cli.add_command(ops.metrics_group)
    app.cli.add_command(ops.probe_group)
    from portal.cli import audit

    app.cli.add_command(audit.group)

    from portal.cli import imports, tokens

    app.cli.add_command(tokens.group)
    tenants.group.add_command(imports.import_command)


@click.group(
    cls=FlaskGroup,
    create_app=_make_app,
    add_default_commands=False,
    add_version_option=False,
    set_debug_flag=False,
    load_dotenv=False,
)
def cli() -> None:
    """Onboard tenants onto AWS Cognito single sign-on with their own OIDC identity provider."""


cli.add_command(shell_command)
cli.add_command(routes_command)


def main() -> None:
    # ops: PORTAL_LOG_FORMAT (json in production), request/run ids, redaction; wire loggers
    # stay at WARNING (at DEBUG botocore logs request and response bodies).
    from portal.observability.logs import configure_logging

    try:
        configure_logging()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    cli.main(prog_name="portal")
