"""The `portal` command line, usable from anywhere (also as `flask --app portal ...`).

Commands are listed here with their one-line help and loaded only when one is run, so that
`portal --help` imports nothing but click. Each command says what it needs (portal.cli.needs):
nothing, an app, or a migrated database; the app is built only after the command's arguments
were parsed, so `--help` anywhere writes nothing and costs nothing.
"""

from __future__ import annotations

import gc
import importlib
import sys

import click

from portal.cli.needs import APP, DATABASE, MIGRATIONS, NOTHING, WEB, prepare

# name: (module:attribute, one-line help, what its commands need unless they say otherwise)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "db": ("portal.cli.database:group", "Apply and inspect the database migrations.", MIGRATIONS),
    "users": ("portal.cli.users:group", "Manage portal users.", DATABASE),
    "pools": ("portal.cli.pools:group", "Register user pools and see their usage.", DATABASE),
    "tenants": ("portal.cli.tenants:group", "Create, onboard and inspect tenants.", DATABASE),
    "runs": ("portal.cli.runs:group", "Inspect and nudge the run queue.", DATABASE),
    "tokens": ("portal.cli.tokens:group", "API tokens for people and applications.", DATABASE),
    "audit": ("portal.cli.audit:group", "Verify, export and prune the audit log.", DATABASE),
    "worker": ("portal.cli.processes:worker_command", "Run a Celery worker.", DATABASE),
    "beat": ("portal.cli.processes:beat_command", "Run the Celery beat scheduler.", DATABASE),
    "run": ("portal.cli.processes:run_command", "Serve the web app (gunicorn in production).", WEB),
    "dev": ("portal.cli.processes:dev_command", "The whole local stack (dev extra).", NOTHING),
    "emulator": ("portal.cli.processes:emulator_command", "Local Cognito (dev extra).", NOTHING),
    "aws-policy": ("portal.cli.ops:aws_policy_command", "The IAM policy the portal needs.", APP),
    "selftest": ("portal.cli.selftest:group", "Prove the portal works on AWS.", DATABASE),
    "metrics": ("portal.cli.ops:metrics_group", "The Prometheus endpoint.", APP),
    "probe": ("portal.cli.ops:probe_group", "Health checks for container orchestrators.", APP),
    "shell": ("flask.cli:shell_command", "A Python shell in the app's context.", DATABASE),
    "routes": ("flask.cli:routes_command", "Show the web app's routes.", WEB),
}


class PortalCommands(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        target, _help, default = COMMANDS[name]
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        return prepare(command, default)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=PortalCommands)
def cli() -> None:
    """Onboard tenants onto AWS Cognito single sign-on with their own identity provider."""


def main() -> None:
    # A command's start is mostly imports (SQLAlchemy, Flask, the models): hundreds of thousands
    # of long-lived objects, over which the cyclic collector ran its young generations thousands
    # of times and the whole heap at least once, about a fifth of the imports' CPU time (python
    # -c, process_time, ten runs each). It stays off until the command runs (needs.py), and what
    # was imported is frozen out of every later collection then.
    gc.disable()
    from portal.config import SettingsError
    from portal.observability.logs import configure_logging

    try:
        configure_logging()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        cli.main(prog_name="portal")
    finally:
        # Python's shutdown garbage-collects the whole heap (several passes) before exiting:
        # 0.2-0.3 s on an idle machine once the models and SQLAlchemy are loaded, after the
        # command's work is done. Frozen objects are left to the operating system; atexit
        # handlers, logging's flush and stdio's still run.
        gc.freeze()
