"""`portal tenants update|plan|apply|retry|cancel|offboard|rotate-secret|...` and pool commands."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from sqlalchemy import select

from portal.cli.common import InvalidInput, OperationFailed, emit_json, operator_command, say
from portal.cli.lazy import lazy
from portal.extensions import db
from portal.models import Run, RunStatus, Step

drift = lazy("portal.services.engine.drift")
lifecycle = lazy("portal.services.engine.lifecycle")
registry = lazy("portal.services.pools.registry")
records = lazy("portal.services.tenants.records")

STANDARD_HELP = (
    "For a tenant adopted as found: the portal's standard instead (openid only, code flow, the "
    "provider alone, email and custom:groups mapped and readable, a style)."
)
TERMINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


def wait_for_run(run_id: int, timeout: float) -> Run:
    """Show each step as it changes until the run ends; woken by the workers' notices.

    The database is the truth: it is read on each notice about this run and, failing one,
    every PORTAL_RUN_WAIT_POLL_SECONDS.
    """
    from portal.services.engine.notices import Listener

    deadline = time.monotonic() + timeout
    seen: dict[str, str] = {}
    with Listener() as listener:  # opened before the first read, so no change slips between
        while True:
            db.session.expire_all()
            run = db.session.get(Run, run_id)
            for step in db.session.scalars(
                select(Step).where(Step.run_id == run_id).order_by(Step.position)
            ):
                state = step.status + (f" ({step.outcome})" if step.outcome else "")
                if step.status != "pending" and seen.get(step.name) != state:
                    seen[step.name] = state
                    say(
                        f"  {step.name}: {state}"
                        + (f" - {step.error_message}" if step.status == "failed" else "")
                    )
            if run.status in TERMINAL:
                return run
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise OperationFailed(
                        f"run {run_id} had not finished after {timeout:.0f} s "
                        f"(it is {run.status}); it continues in the background"
                    )
                heard = listener.wait(remaining)
                if not heard or any(n.run_id == run_id for n in heard):
                    break  # news of this run, or the fallback interval passed: read again


def finish(run: Run | None, wait: bool, timeout: float, as_json: bool, what: str) -> None:
    if run is None:
        if as_json:
            emit_json({"run": None, "status": "nothing to do"})
        say(f"{what}: nothing to do")
        return
    say(f"{what}: run {run.id} ({run.kind}) {run.status}")
    if wait:
        run = wait_for_run(run.id, timeout)
    if as_json:
        emit_json({"run": run.id, "kind": run.kind, "status": run.status, "error": run.error})
    if run.status in (RunStatus.FAILED, RunStatus.CANCELLED):
        raise OperationFailed(run.error or f"run {run.id} {run.status}")


def wait_options(func):
    func = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(func)
    func = click.option(
        "--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True
    )(func)
    return click.option("--wait", is_flag=True, help="Show progress until the run ends.")(func)


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def register(group: click.Group) -> None:
    """Add the lifecycle commands to the `tenants` group."""

    @group.command("update")
    @click.argument("slug")
    @click.option("--name")
    @click.option("--callback-url", "callback_urls", multiple=True)
    @click.option("--logout-url", "logout_urls", multiple=True)
    @click.option("--no-logout-urls", is_flag=True, help="Remove every logout URL.")
    @click.option("--groups-claim")
    @click.option("--no-groups", is_flag=True, help="The IdP sends no groups: no custom:groups.")
    @click.option("--roles-claim")
    @click.option("--no-roles", is_flag=True, help="Stop mapping a roles claim.")
    @click.option(
        "--email-verified-claim",
        help="Map this IdP claim (usually email_verified) to Cognito's email_verified.",
    )
    @click.option(
        "--no-email-verified", is_flag=True, help="Stop mapping email_verified (users unverified)."
    )
    @click.option("--scopes")
    @click.option("--secret-expires", help="When the customer's IdP secret expires (YYYY-MM-DD).")
    @operator_command
    def update(
        slug,
        name,
        callback_urls,
        logout_urls,
        no_logout_urls,
        groups_claim,
        no_groups,
        roles_claim,
        no_roles,
        email_verified_claim,
        no_email_verified,
        scopes,
        secret_expires,
    ) -> None:
        """Change a tenant's settings; then `plan` shows and `apply` makes the Cognito changes."""
        tenant = records.get_tenant(slug)
        lifecycle.update_tenant(
            tenant,
            name=name,
            callback_urls=list(callback_urls) or None,
            logout_urls=[] if no_logout_urls else (list(logout_urls) or None),
            groups_claim="" if no_groups else groups_claim,
            roles_claim=roles_claim,
            clear_roles=no_roles,
            email_verified_claim=email_verified_claim,
            clear_email_verified=no_email_verified,
            scopes=scopes,
            idp_secret_expires_at=parse_date(secret_expires),
        )
        say(f"updated {slug}; see the Cognito changes with: portal tenants plan {slug}")

    @group.command("plan")
    @click.argument("slug")
    @click.option("--standard", is_flag=True, help=STANDARD_HELP)
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
    @operator_command
    def plan(slug, standard, as_json) -> None:
        """Show the exact Cognito changes applying the tenant's settings would make (reads only)."""
        result = lifecycle.plan_tenant(records.get_tenant(slug), standard=standard)
        if as_json:
            emit_json(result.to_dict())
            return
        for resource in result.resources:
            click.echo(f"{resource.title}: {resource.outcome}")
            for change in resource.changes:
                field = f" {change['field']}" if change["field"] else ""
                click.echo(f"  {change['action']}{field}")
                for line in change["lines"]:
                    click.echo(f"    {line}")
                if change["irreversible"]:
                    click.echo(f"    ! cannot be undone: {change['irreversible']}")
        click.echo(f"{result.changes} change(s)")

    @group.command("apply")
    @click.argument("slug")
    @click.option("--standard", is_flag=True, help=STANDARD_HELP)
    @wait_options
    @operator_command
    def apply(slug, standard, wait, timeout, as_json) -> None:
        """Apply the tenant's settings to Cognito as a run (only differences are changed)."""
        run = lifecycle.apply_tenant(records.get_tenant(slug), standard=standard)
        finish(run, wait, timeout, as_json, slug)

    @group.command("retry")
    @click.argument("slug")
    @wait_options
    @operator_command
    def retry(slug, wait, timeout, as_json) -> None:
        """Retry the tenant's failed or cancelled run from the step where it stopped."""
        finish(lifecycle.retry(records.get_tenant(slug)), wait, timeout, as_json, slug)

    @group.command("cancel")
    @click.argument("slug")
    @operator_command
    def cancel(slug) -> None:
        """Cancel the tenant's queued or running run (a worker stops before its next call)."""
        run = lifecycle.cancel(records.get_tenant(slug))
        say(f"{slug}: run {run.id} cancelled; `portal tenants retry {slug}` continues it")

    @group.command("offboard")
    @click.argument("slug")
    @click.option("--yes", is_flag=True, help="Do not ask for the slug as confirmation.")
    @click.option(
        "--remove-users",
        is_flag=True,
        help="Also delete the federated users Cognito created for the provider.",
    )
    @wait_options
    @operator_command
    def offboard(slug, yes, remove_users, wait, timeout, as_json) -> None:
        """Remove the tenant's style, app client and provider; keep the tenant and its history."""
        tenant = records.get_tenant(slug)
        if not yes:
            say(
                f"This removes {slug}'s managed-login style, app client and identity provider "
                f"({tenant.provider_name}); its users can no longer sign in. Federated users stay "
                f"in the pool as {tenant.provider_name}_<sub> unless --remove-users is given."
            )
            typed = click.prompt(
                "Type the slug to confirm", err=True, default="", show_default=False
            )
            if typed != slug:
                raise InvalidInput("the slug was not confirmed; nothing was changed")
        finish(lifecycle.offboard(tenant, remove_users=remove_users), wait, timeout, as_json, slug)

    @group.command("rotate-secret")
    @click.argument("slug")
    @wait_options
    @operator_command
    def rotate(slug, wait, timeout, as_json) -> None:
        """Add a second app-client secret; the old one keeps working until `retire-secret`."""
        finish(
            lifecycle.start_secret_rotation(records.get_tenant(slug)), wait, timeout, as_json, slug
        )

    @group.command("retire-secret")
    @click.argument("slug")
    @wait_options
    @operator_command
    def retire(slug, wait, timeout, as_json) -> None:
        """Delete the old app-client secret once the application uses the new one."""
        finish(lifecycle.retire_old_secret(records.get_tenant(slug)), wait, timeout, as_json, slug)

    @group.command("cancel-rotation")
    @click.argument("slug")
    @wait_options
    @operator_command
    def cancel_rotation(slug, wait, timeout, as_json) -> None:
        """Withdraw the new app-client secret; the old one stays."""
        finish(
            lifecycle.cancel_secret_rotation(records.get_tenant(slug)), wait, timeout, as_json, slug
        )

    @group.command("check-drift")
    @click.argument("slugs", nargs=-1, required=True)
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
    @operator_command
    def check(slugs, as_json) -> None:
        """Compare live Cognito with each tenant's desired state (reads only); exit 1 on drift."""
        report = {}
        for slug in slugs:
            findings = drift.check_drift(records.get_tenant(slug))
            report[slug] = [
                {
                    "id": f.id,
                    "resource": f.resource,
                    "field": f.field,
                    "live": f.live_value,
                    "desired": f.desired_value,
                }
                for f in findings
            ]
            for finding in findings:
                say(f"{slug}: #{finding.id} {finding.describe()}")
        if as_json:
            emit_json(report)
        if any(report.values()):
            raise OperationFailed(
                "drift found; `portal tenants apply SLUG` repairs it, "
                "`portal tenants accept-drift SLUG` keeps the live values"
            )
        say("no drift")

    @group.command("accept-drift")
    @click.argument("slug")
    @click.option(
        "--finding",
        "finding_ids",
        type=int,
        multiple=True,
        help="Only these findings (default: all open ones).",
    )
    @operator_command
    def accept(slug, finding_ids) -> None:
        """Take the live values as the tenant's settings (where a setting can express them)."""
        accepted = drift.accept(records.get_tenant(slug), list(finding_ids) or None)
        say(f"{slug}: accepted {len(accepted)} finding(s)")

    @group.command("move")
    @click.argument("slug")
    @click.option("--to", "target", required=True, help="The registered user pool to move to.")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @wait_options
    @operator_command
    def move(slug, target, yes, wait, timeout, as_json) -> None:
        """Re-provision the tenant in another pool; the old resources stay until finish-move."""
        tenant = records.get_tenant(slug)
        pool = registry.find_pool(target)
        if pool is None:
            raise InvalidInput(f"user pool {target} is not registered")
        if not yes:
            say(
                "Moving changes the redirect URI the customer registers at their IdP and every "
                "user's sub; the application needs the new client ID and secret."
            )
            if not click.confirm("Continue?", err=True):
                raise InvalidInput("not confirmed; nothing was changed")
        run, link_url = lifecycle.start_move(tenant, pool)
        say(
            f"send the customer this setup link (shown only now); it shows the new redirect URI "
            f"to register at their IdP: {link_url}"
        )
        finish(run, wait, timeout, as_json, slug)

    @group.command("finish-move")
    @click.argument("slug")
    @wait_options
    @operator_command
    def finish_move(slug, wait, timeout, as_json) -> None:
        """Remove the resources the tenant left in its previous pool."""
        finish(lifecycle.finish_move(records.get_tenant(slug)), wait, timeout, as_json, slug)


def register_pool_commands(group: click.Group) -> None:
    @group.command("close")
    @click.argument("user_pool_id")
    @operator_command
    def close(user_pool_id) -> None:
        """Place no new tenants in this pool (its tenants stay)."""
        registry.set_closed(_pool(user_pool_id), True)
        say(f"{user_pool_id} is closed to new tenants")

    @group.command("open")
    @click.argument("user_pool_id")
    @operator_command
    def open_(user_pool_id) -> None:
        """Let the portal place new tenants in this pool again."""
        registry.set_closed(_pool(user_pool_id), False)
        say(f"{user_pool_id} is open to new tenants")

    @group.command("set-quotas")
    @click.argument("user_pool_id")
    @click.option("--max-clients", type=int)
    @click.option("--max-idps", type=int)
    @operator_command
    def quotas(user_pool_id, max_clients, max_idps) -> None:
        """Record quota increases AWS granted (app clients, identity providers)."""
        registry.set_quotas(_pool(user_pool_id), max_clients, max_idps)
        say(f"{user_pool_id}: quotas recorded")


def _pool(user_pool_id: str):
    pool = registry.find_pool(user_pool_id)
    if pool is None:
        raise InvalidInput(f"user pool {user_pool_id} is not registered")
    return pool
