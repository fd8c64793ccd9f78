"""Operating the portal: `portal aws-policy`, `portal metrics`, `portal probe`."""

from __future__ import annotations

import json
import os
import socket
import sys

import click
from flask import current_app
from sqlalchemy import select

from portal.cli.common import EXIT_FAILED, InvalidInput, emit_json, say
from portal.cli.needs import NOTHING, database_ready, needs
from portal.config import current_settings
from portal.workers import celery_of


@click.command("aws-policy")
@click.option(
    "--account-id", help="Your 12-digit AWS account id (without it, pool ARNs match any account)."
)
@click.option(
    "--pool",
    "pools",
    multiple=True,
    metavar="USER_POOL_ID",
    help="Also allow this pool (e.g. one you are about to register). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the policy document.")
def aws_policy_command(account_id: str | None, pools: tuple[str, ...], as_json: bool) -> None:
    """Print the IAM policy the portal needs: the Cognito actions it calls, on its pools."""
    from portal.cognito.policy import build_policy
    from portal.extensions import db
    from portal.models import UserPool
    from portal.services.pools.registry import region_of
    from portal.validation import ValidationError

    try:
        named = [(pool_id, region_of(pool_id)) for pool_id in pools]
    except ValidationError as exc:
        raise InvalidInput(f"--pool: {exc.message}") from exc
    registered = (
        db.session.execute(select(UserPool.user_pool_id, UserPool.region)).all()
        if database_ready(current_app.config["SQLALCHEMY_DATABASE_URI"])
        else []
    )
    try:
        policy = build_policy([*map(tuple, registered), *named], account_id)
    except ValueError as exc:
        raise InvalidInput(f"--account-id: {exc}") from exc
    for warning in policy.warnings:
        say(f"warning: {warning}")
    if as_json:
        emit_json(policy.document)
        return
    click.echo(
        f"{len(policy.pool_actions)} actions on {len(policy.resources)} user pool ARN(s); "
        + (
            ", ".join(policy.unscoped_actions) + ' on "*" (no resource-level permissions)'
            if policy.unscoped_actions
            else "none needs a wildcard resource"
        )
    )
    click.echo(json.dumps(policy.document, indent=2))


@click.group("metrics")
def metrics_group() -> None:
    """The Prometheus endpoint (a separate port, optionally behind PORTAL_METRICS_TOKEN)."""


@metrics_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=9464, type=int, show_default=True, help="0 picks a free port.")
def metrics_serve_command(host: str, port: int) -> None:
    """Serve /metrics: every process's counters plus queue depth, pool usage, tenants."""
    from portal.observability.exporter import MULTIPROC_ENV, serve

    if not current_settings().metrics_token and host not in ("127.0.0.1", "::1"):
        say("warning: PORTAL_METRICS_TOKEN is not set: anyone who reaches this port can scrape")
    if not os.environ.get(MULTIPROC_ENV):
        say(f"warning: {MULTIPROC_ENV} is not set: only scrape-time gauges are served")
    app = current_app._get_current_object()
    serve(app, host, port, ready=lambda bound: say(f"serving metrics on {host}:{bound}/metrics"))


@metrics_group.command("reset")
@needs(NOTHING)
def metrics_reset_command() -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR before a deployment's processes start."""
    from portal.observability.exporter import reset_multiprocess_dir

    say(f"removed {reset_multiprocess_dir()} metric file(s)")


@click.group("probe")
def probe_group() -> None:
    """Health checks for container orchestrators: exit 0 healthy, 1 not."""


@probe_group.command("ready")
def probe_ready_command() -> None:
    """The same checks as /readyz (database, broker, optionally Cognito)."""
    from portal.observability.readiness import check_readiness, is_ready

    checks = check_readiness(current_app._get_current_object())
    emit_json({"status": "ready" if is_ready(checks) else "not ready", "checks": checks})
    if not is_ready(checks):
        sys.exit(EXIT_FAILED)


@probe_group.command("worker")
@click.option("--node", help="Worker node name (default: celery@<this host>).")
@click.option("--timeout", default=5.0, show_default=True, type=float)
def probe_worker_command(node: str | None, timeout: float) -> None:
    """Ping the Celery worker on this host through the broker."""
    node = node or f"celery@{socket.gethostname()}"
    replies = celery_of(current_app).control.ping(destination=[node], timeout=timeout)
    alive = any(node in reply for reply in replies)
    emit_json({"node": node, "status": "ok" if alive else "no answer"})
    if not alive:
        sys.exit(EXIT_FAILED)
