"""`portal tenants ...`"""

from __future__ import annotations

import collections
import time

import click
from sqlalchemy import func, inspect, select

from portal.cli import adoption, domains, imports, lifecycle
from portal.cli.common import (
    InvalidInput,
    OperationFailed,
    emit_json,
    operator_command,
    read_secret_stdin,
    say,
)
from portal.cli.setup_links import register as register_setup_links
from portal.extensions import db
from portal.models import Run, Step, Tenant, TenantStatus
from portal.saml.metadata import MAX_METADATA_CHARS
from portal.services.engine.queue import latest_run, latest_runs, queue_onboarding
from portal.services.tenants.handover import (
    reveal_credentials,
    saml_certificates,
    tenant_summary,
)
from portal.services.tenants.offboarded import refuse_if_offboarded
from portal.services.tenants.records import (
    create_tenant,
    get_tenant,
    get_tenants,
    set_idp,
    set_saml_idp,
)

STATUSES = [s.value for s in TenantStatus]


@click.group("tenants")
def group() -> None:
    """Create, onboard and inspect tenants."""


register_setup_links(group)


@group.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The tenant's display name.")
@click.option(
    "--callback-url",
    "callback_urls",
    multiple=True,
    required=True,
    help="Where Cognito may return users after sign-in (repeat for several).",
)
@click.option("--logout-url", "logout_urls", multiple=True, help="Where users go after sign-out.")
@click.option("--pool", "pool_id", help="Pin the tenant to this registered user pool.")
@click.option("--contact-email", help="Whom to contact at the customer.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def create(slug, name, callback_urls, logout_urls, pool_id, contact_email, as_json) -> None:
    """Record a new tenant (nothing is sent to Cognito until it is onboarded)."""
    tenant = create_tenant(
        slug, name, list(callback_urls), list(logout_urls), pool_id, contact_email
    )
    if as_json:
        emit_json(tenant_summary(tenant, None))
    else:
        say(
            f"created tenant {tenant.slug} ({tenant.name}); "
            f"next: portal tenants set-idp {tenant.slug}"
        )


@group.command("set-idp")
@click.argument("slug")
@click.option(
    "--type",
    "provider_type",
    type=click.Choice(["oidc", "saml"], case_sensitive=False),
    default="oidc",
    show_default=True,
    help="The kind of identity provider the customer runs.",
)
@click.option("--issuer", default=None, help="OIDC: the customer's issuer URL.")
@click.option("--client-id", default=None, help="OIDC: the client ID the customer's IdP issued.")
@click.option(
    "--client-secret-stdin",
    is_flag=True,
    help="OIDC: read the client secret from standard input (never from the command line).",
)
@click.option("--scopes", default=None, help='OIDC: authorize scopes (default "openid email").')
@click.option("--groups-claim", default=None, help="OIDC: the groups claim (default groups).")
@click.option(
    "--no-groups",
    is_flag=True,
    help="OIDC: the IdP sends no groups (Google Workspace): map no custom:groups.",
)
@click.option("--roles-claim", default=None, help="OIDC: the claim carrying roles, if any.")
@click.option(
    "--email-verified-claim",
    default=None,
    help="OIDC: map this claim (usually email_verified) to Cognito's email_verified.",
)
@click.option("--attributes-request-method", type=click.Choice(["GET", "POST"]), default=None)
@click.option("--metadata-url", default=None, help="SAML: the IdP's metadata URL (https).")
@click.option(
    "--metadata-file",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    default=None,
    help="SAML: the IdP's metadata XML file ('-' reads standard input).",
)
@click.option("--email-attribute", default=None, help="SAML: the e-mail attribute (default email).")
@click.option("--groups-attribute", default=None, help="SAML: the groups attribute.")
@click.option("--roles-attribute", default=None, help="SAML: the roles attribute, if any.")
@click.option("--sign-requests", is_flag=True, help="SAML: sign sign-in requests (rsa-sha256).")
@click.option("--encrypted-responses", is_flag=True, help="SAML: require encrypted assertions.")
@click.option("--idp-signout", is_flag=True, help="SAML: sign users out of the IdP too.")
@click.option("--idp-initiated", is_flag=True, help="SAML: accept IdP-initiated sign-in.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def set_idp_command(slug, provider_type, as_json, **options) -> None:
    """Pre-flight the customer's IdP (OIDC issuer or SAML metadata), then store its settings."""
    tenant = get_tenant(slug)
    saml_only = SAML_OPTIONS & {k for k, v in options.items() if v}
    oidc_only = OIDC_OPTIONS & {k for k, v in options.items() if v}
    if provider_type.lower() == "saml":
        if oidc_only:
            raise InvalidInput(f"--type saml does not take {_flags(oidc_only)}")
        result = _set_saml(tenant, options)
        subject = "the metadata"
    else:
        if saml_only:
            raise InvalidInput(f"{_flags(saml_only)} need --type saml")
        result = _set_oidc(tenant, options)
        subject = "the issuer"
    findings = [f.to_dict() for f in result.findings]
    if as_json:
        emit_json({"slug": tenant.slug, "ok": result.ok, "findings": findings})
    for finding in result.findings:
        say(f"{finding.level}: {finding.field}: {finding.message}")
    if not result.ok:
        if provider_type.lower() == "saml":  # refused input: exit 2, with the reason above
            raise InvalidInput(f"{subject} did not pass the checks; nothing was saved")
        raise OperationFailed(f"{subject} did not pass the checks; nothing was saved")
    if not as_json:
        say(
            f"saved the identity provider of {tenant.slug}; "
            f"next: portal tenants onboard {tenant.slug}"
        )
        if tenant.is_saml:
            say(f"the customer registers: entity ID {tenant.saml_entity_id_sp or '(on placement)'}")
            say(f"                        ACS URL   {tenant.saml_acs_url or '(on placement)'}")


SAML_OPTIONS = frozenset(
    {
        "metadata_url",
        "metadata_file",
        "email_attribute",
        "groups_attribute",
        "roles_attribute",
        "sign_requests",
        "encrypted_responses",
        "idp_signout",
        "idp_initiated",
    }
)
OIDC_OPTIONS = frozenset(
    {
        "issuer",
        "client_id",
        "client_secret_stdin",
        "scopes",
        "groups_claim",
        "no_groups",
        "roles_claim",
        "email_verified_claim",
        "attributes_request_method",
    }
)


def _flags(names: set[str]) -> str:
    return ", ".join("--" + name.replace("_", "-") for name in sorted(names))


def _set_oidc(tenant: Tenant, options: dict):
    if options["no_groups"] and options["groups_claim"]:
        raise InvalidInput("--no-groups and --groups-claim contradict each other")
    if not options["issuer"] or not options["client_id"]:
        raise InvalidInput("--issuer and --client-id are required for an OIDC provider")
    if not options["client_secret_stdin"] and (not tenant.idp_secret_in_cognito or tenant.is_saml):
        raise InvalidInput("the client secret is required: pipe it in with --client-secret-stdin")
    secret = read_secret_stdin("Client secret") if options["client_secret_stdin"] else None
    return set_idp(
        tenant,
        issuer=options["issuer"],
        client_id=options["client_id"],
        client_secret=secret,
        scopes=options["scopes"],
        groups_claim="" if options["no_groups"] else options["groups_claim"],
        roles_claim=options["roles_claim"],
        attributes_request_method=options["attributes_request_method"],
        email_verified_claim=options["email_verified_claim"],
    )


def _set_saml(tenant: Tenant, options: dict):
    url, path = options["metadata_url"], options["metadata_file"]
    if bool(url) == bool(path):
        raise InvalidInput("a SAML provider needs exactly one of --metadata-url, --metadata-file")
    document = None
    if path:
        with click.open_file(path, "rb") as handle:
            document = handle.read(MAX_METADATA_CHARS * 4 + 1)
    return set_saml_idp(
        tenant,
        metadata_url=url,
        metadata_file=document,
        email_attribute=options["email_attribute"],
        groups_attribute=options["groups_attribute"],
        roles_attribute=options["roles_attribute"],
        sign_requests=options["sign_requests"],
        encrypted_responses=options["encrypted_responses"],
        idp_signout=options["idp_signout"],
        idp_initiated=options["idp_initiated"],
    )


@group.command("onboard")
@click.argument("slugs", nargs=-1, required=True)
@click.option("--wait", is_flag=True, help="Show progress and wait until every run has finished.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Seconds to wait with --wait.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def onboard(slugs, wait, timeout, as_json) -> None:
    """Queue an onboarding run per tenant; a ready tenant is reconciled (nothing right changes)."""
    tenants = get_tenants(list(dict.fromkeys(slugs)))
    tenants, runs = _reloaded(tenants, queue_onboarding(tenants))
    for tenant, run in zip(tenants, runs, strict=True):
        say(f"{tenant.slug}: run {run.id} ({run.kind}) queued in {tenant.pool.user_pool_id}")
    if not wait:
        if as_json:
            emit_json(
                [
                    {"slug": t.slug, "run_id": r.id, "status": r.status}
                    for t, r in zip(tenants, runs, strict=True)
                ]
            )
        return
    summaries = wait_for(tenants, runs, timeout, full=as_json)
    if as_json:
        emit_json(summaries)
    failed = [s for s in summaries if s["status"] != TenantStatus.READY]
    if failed:
        reasons = "; ".join(
            f"{s['slug']}: {s['status']}: {s['last_error'] or 'still running'}" for s in failed
        )
        raise OperationFailed(reasons)
    say(f"all {len(summaries)} tenant(s) ready")


def _reloaded(tenants: list[Tenant], runs: list[Run]) -> tuple[list[Tenant], list[Run]]:
    """The tenants and runs again after the queueing's commits expired them: in a few queries,
    not a few a tenant, while the workers start on the first runs."""
    tenant_ids = [inspect(t).identity[0] for t in tenants]
    run_ids = [inspect(r).identity[0] for r in runs]
    fresh = {t.id: t for t in db.session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids)))}
    fresh_runs = {r.id: r for r in db.session.scalars(select(Run).where(Run.id.in_(run_ids)))}
    return [fresh[i] for i in tenant_ids], [fresh_runs[i] for i in run_ids]


def wait_for(
    tenants: list[Tenant], runs: list[Run], timeout: float, full: bool = True
) -> list[dict]:
    """Wait for the runs to end and report progress on stderr; the database is the truth.

    Returns each tenant's summary (`tenant_summary`), or with FULL false only its slug, status
    and last error.

    The workers' notices wake the wait as each run moves, so it returns as soon as the last run
    ends; without a notice the database is re-read every PORTAL_RUN_WAIT_POLL_SECONDS. Two
    queries a read whatever the number of tenants; step by step for a few tenants, a one-line
    tally (at most once a second) for many.
    """
    from portal.services.engine.notices import ENDED, Listener

    deadline = time.monotonic() + timeout
    # By identity, not attribute: the queueing's commits expired them, and reading t.id would
    # reload every tenant (and its domains) one query at a time.
    ids = [inspect(t).identity[0] for t in tenants]
    run_ids = {inspect(r).identity[0] for r in runs}
    to_end = set(
        db.session.scalars(select(Run.id).where(Run.id.in_(run_ids), Run.status.not_in(ENDED)))
    )
    detailed = len(ids) <= 5
    seen: dict[tuple[int, str], str] = {}
    last_tally, last_read = "", 0.0
    with Listener() as listener:  # opened before the first read, so no change slips between
        read = True
        while True:
            if read:
                last_read = time.monotonic()
                db.session.expire_all()
                statuses = dict(
                    db.session.execute(
                        select(Tenant.id, Tenant.status).where(Tenant.id.in_(ids))
                    ).all()
                )
                finished = all(
                    s in (TenantStatus.READY, TenantStatus.FAILED) for s in statuses.values()
                )
                if detailed:
                    _report_steps(ids, seen)
                else:
                    tally = ", ".join(
                        f"{n} {s}"
                        for s, n in sorted(collections.Counter(statuses.values()).items())
                    )
                    if tally != last_tally:
                        say(f"{len(ids)} tenants: {tally}")
                        last_tally = tally
            if finished or time.monotonic() > deadline:
                break
            heard = listener.wait(deadline - time.monotonic())
            notices = [n for n in heard if n.run_id in run_ids]
            to_end -= {n.run_id for n in notices if n.ended}
            read = (
                not heard  # the fallback interval passed in silence: look anyway
                or not to_end
                or (detailed and bool(notices))
                or (bool(notices) and time.monotonic() - last_read >= 1.0)
            )
    # The summaries in three queries, not three a tenant: 200 tenants took 0.5-2.5 s here
    # between the last run's end and the command's (bench/onboarding.py, "where the wall went").
    current = db.session.scalars(select(Tenant).where(Tenant.id.in_(ids))).all()
    if full:
        runs = latest_runs(ids, with_steps=True)
        summaries = [tenant_summary(t, runs.get(t.id)) for t in current]
    else:  # what the plain output says; hosted URLs cost botocore's import (0.15-0.25 s)
        summaries = [
            {"slug": t.slug, "status": t.status, "last_error": t.last_error} for t in current
        ]
    if not finished:
        for summary in summaries:
            if summary["status"] not in (TenantStatus.READY, TenantStatus.FAILED):
                summary["last_error"] = (
                    summary["last_error"] or f"not finished after {timeout:.0f} s"
                )
    return summaries


def _report_steps(tenant_ids: list[int], seen: dict[tuple[int, str], str]) -> None:
    latest = select(func.max(Run.id)).where(Run.tenant_id.in_(tenant_ids)).group_by(Run.tenant_id)
    rows = db.session.execute(
        select(Tenant.slug, Step.run_id, Step.name, Step.status, Step.outcome, Step.error_message)
        .join(Run, Run.id == Step.run_id)
        .join(Tenant, Tenant.id == Run.tenant_id)
        .where(Step.run_id.in_(latest))
        .order_by(Step.run_id, Step.position)
    )
    for slug, run_id, name, status, outcome, error in rows:
        state = status + (f" ({outcome})" if outcome else "")
        if status != "pending" and seen.get((run_id, name)) != state:
            seen[(run_id, name)] = state
            say(
                f"{slug}: {name}: {state}" + (f" - {error}" if error and status == "failed" else "")
            )


@group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only tenants in this status.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def list_tenants(status, as_json) -> None:
    """List tenants."""
    query = select(Tenant).order_by(Tenant.slug)
    if status:
        query = query.where(Tenant.status == status)
    tenants = db.session.scalars(query).all()
    if as_json:
        emit_json(
            [
                {
                    "slug": t.slug,
                    "name": t.name,
                    "status": t.status,
                    "user_pool_id": t.pool.user_pool_id if t.pool else None,
                    "client_id": t.client_id,
                }
                for t in tenants
            ]
        )
        return
    if not tenants:
        say("no tenants" + (f" in status {status}" if status else ""))
        return
    click.echo(f"{'SLUG':<33} {'STATUS':<13} {'USER POOL':<28} NAME")
    for t in tenants:
        pool = t.pool.user_pool_id if t.pool else "-"
        click.echo(f"{t.slug:<33} {t.status:<13} {pool:<28} {t.name}")


@group.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def show(slug, as_json) -> None:
    """Show a tenant, its latest run's steps and what its application needs (no secret)."""
    tenant = get_tenant(slug)
    summary = tenant_summary(tenant, latest_run(tenant))
    if as_json:
        emit_json(summary)
        return
    for key in (
        "slug",
        "name",
        "status",
        "user_pool_id",
        "region",
        "provider_type",
        "provider_name",
        "client_id",
        "cognito_domain",
        "login_url",
        "idp_redirect_uri",
        "saml_entity_id",
        "saml_acs_url",
        "saml_logout_url",
        "saml_idp_entity_id",
        "saml_certificate_expires_at",
        "last_error",
    ):
        if summary.get(key) is not None:
            click.echo(f"{key:<17} {summary[key]}")
    for step in summary["steps"]:
        error = f"  {step['error']}" if step["error"] else ""
        click.echo(f"  {step['name']:<14} {step['status']:<10} attempts={step['attempts']}{error}")


@group.command("credentials")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def credentials(slug, as_json) -> None:
    """Print what the vendor's application needs, the client secret read from Cognito (audited)."""
    tenant = get_tenant(slug)
    refuse_if_offboarded(tenant)  # exit 1 with when and by whom, before "no app client"
    if tenant.client_id is None:
        raise InvalidInput(
            f"tenant {slug} has no app client yet (status {tenant.status}); onboard it first"
        )
    bundle = reveal_credentials(tenant, purpose="cli credentials")
    bundle.update(saml_certificates(tenant))
    if as_json:
        emit_json(bundle)
        return
    width = max(len(key) for key in bundle)
    for key, value in bundle.items():
        if value is not None:  # nothing to hand over (no rotation, no sign-out URL): not shown
            click.echo(f"{key:<{width}}  {value}")


# Life after day one, the CSV import and claimed domains are `portal tenants ...` commands too.
lifecycle.register(group)
group.add_command(imports.import_command)
group.add_command(domains.group)
group.add_command(adoption.adopt_command)
