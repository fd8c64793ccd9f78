"""`portal worker`, `portal beat`, `portal run`, `portal dev` and `portal emulator`."""

from __future__ import annotations

import importlib.util

import click
from flask import current_app

from portal.cli.needs import NOTHING, needs
from portal.workers import celery_of

# What the `dev` extra brings (pyproject.toml): the emulator's and the demo IdP's libraries.
DEV_EXTRA_MODULES = ("moto", "oidc_provider_mock", "signxml")
DEV_EXTRA_HINT = "pip install 'cognito-tenant-portal[dev]'"


def require_dev_extra(command: str) -> None:
    """Exit 2 saying how to install the development tools when they are missing."""
    missing = [m for m in DEV_EXTRA_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        click.echo(
            f"error: `portal {command}` needs the development tools, which are not installed "
            f"({', '.join(missing)} missing): {DEV_EXTRA_HINT}",
            err=True,
        )
        raise click.exceptions.Exit(2)


@click.command(
    "worker", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.option(
    "--concurrency",
    "-c",
    type=int,
    default=8,
    show_default=True,
    help="Tasks at once per worker process (they mostly wait on Cognito).",
)
@click.option(
    "--pool",
    "-P",
    type=click.Choice(["threads", "prefork", "solo"]),
    default="threads",
    show_default=True,
)
@click.option("--beat", "-B", is_flag=True, help="Also run the scheduler (one per deployment).")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.pass_context
def worker_command(
    ctx: click.Context, concurrency: int, pool: str, beat: bool, loglevel: str
) -> None:
    """Run a Celery worker with the portal's configuration (extra arguments go to Celery)."""
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        *ctx.args,
    ]
    if beat:
        argv.append("--beat")
        argv.append(f"--schedule={current_app.instance_path}/celerybeat-schedule")
    celery_of(current_app).worker_main(argv)


@click.command("beat", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.pass_context
def beat_command(ctx: click.Context, loglevel: str) -> None:
    """Run the Celery beat scheduler (stale-run sweep, periodic checks)."""
    celery = celery_of(current_app)
    celery.start(
        [
            "beat",
            f"--loglevel={loglevel}",
            f"--schedule={current_app.instance_path}/celerybeat-schedule",
            *ctx.args,
        ]
    )


@click.command("run")
@click.option("--host", "-h", default="127.0.0.1", show_default=True)
@click.option("--port", "-p", type=int, default=8000, show_default=True)
def run_command(host: str, port: int) -> None:
    """Serve the web app with Werkzeug's server (use gunicorn in production)."""
    from werkzeug.serving import run_simple

    # Flask ignores app.run() under its own CLI, so serve the app object directly.
    run_simple(host, port, current_app._get_current_object(), threaded=True)


@click.command("dev")
@click.option("--port", "-p", type=int, default=8000, show_default=True)
@click.option("--emulator-port", type=int, default=0, help="Default: any free port.")
@click.option(
    "--idp-port",
    type=int,
    default=9400,
    show_default=True,
    help="The demo customer identity provider (also plays Cognito's hosted pages); the demo "
    "SAML IdP listens on the next port, the SAML hosted-UI stand-in on the one after.",
)
@click.option(
    "--hosted-ui",
    type=click.Choice(["oidc", "saml"]),
    default="oidc",
    show_default=True,
    help="What plays Cognito's hosted pages for test sign-ins: the demo OIDC IdP (OIDC "
    "tenants) or the SAML stand-in (SAML tenants).",
)
@needs(NOTHING)
def dev_command(port: int, emulator_port: int, idp_port: int, hosted_ui: str) -> None:
    """The whole local stack: Cognito emulator, demo identity providers, worker and web app."""
    require_dev_extra("dev")
    from portal.devtools.devstack import run_dev_stack

    run_dev_stack(
        web_port=port, emulator_port=emulator_port, idp_port=idp_port, hosted_ui=hosted_ui
    )


@click.command(
    "emulator",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
@needs(NOTHING)
def emulator_command(ctx: click.Context) -> None:
    """The local Cognito emulator alone (needs the dev extra); see `portal emulator --help`."""
    require_dev_extra("emulator")
    from portal.devtools.emulator.cli import emulator_command as emulator

    emulator.main(ctx.args, prog_name="portal emulator", standalone_mode=True)
