"""Life after day one: change with plan/apply, rotate, retry, cancel, offboard, move."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update

from portal.cognito.resources import ONBOARDING_STEPS, StepContext
from portal.crypto import encrypt
from portal.extensions import db
from portal.models import (
    MoveState,
    RotationState,
    Run,
    RunKind,
    RunStatus,
    Tenant,
    TenantMove,
    TenantStatus,
    UserPool,
    utcnow,
)
from portal.oidc.discovery import IssuerCheck
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.services.domains.claims import release_all
from portal.services.engine import kinds
from portal.services.engine.desired import adopted_config, desired_state
from portal.services.engine.gateways import gateway_for
from portal.services.engine.ledger import TenantCallRecorder
from portal.services.engine.notices import announce
from portal.services.engine.plan_diff import readable
from portal.services.engine.queue import (
    active_run,
    latest_run,
    new_run,
    one_by_one,
    queue_onboarding,
    queue_runs,
    resume,
)
from portal.services.mail import MailFailed, smtp_configured
from portal.services.pools.registry import usage
from portal.services.selfservice import setup_links
from portal.services.tenants.records import set_idp, tenant_settings
from portal.validation import (
    ValidationError,
    check_claim,
    check_name,
    check_redirect_urls,
    check_scopes,
)


@dataclass
class ResourcePlan:
    """The changes one step would make."""

    step: str
    title: str
    outcome: str
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TenantPlan:
    slug: str
    resources: list[ResourcePlan]

    @property
    def changes(self) -> int:
        return sum(len(r.changes) for r in self.resources)

    @property
    def irreversible(self) -> list[str]:
        """Warnings for the changes that can never be undone."""
        return [c["irreversible"] for r in self.resources for c in r.changes if c["irreversible"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "changes": self.changes,
            "resources": [r.__dict__ for r in self.resources],
        }


def _require_pool(tenant: Tenant) -> None:
    if tenant.pool is None:
        raise ValidationError(
            "status", f"tenant {tenant.slug} is not placed in a pool yet; onboard it first"
        )


def plan_tenant(tenant: Tenant, standard: bool = False) -> TenantPlan:
    """Read what Cognito holds and list the changes applying the tenant's settings would make.

    STANDARD: for a tenant adopted as found, the changes that bring it to the portal's standard.
    """
    _require_pool(tenant)
    recorder = TenantCallRecorder(tenant.id)
    ctx = StepContext(
        gateway_for(tenant.pool.region, recorder),
        desired_state(tenant, standard=standard),
        kinds.known_state(tenant),
    )
    resources = []
    for step in ONBOARDING_STEPS:
        outcome = step.plan(ctx)
        resources.append(
            ResourcePlan(
                step.name,
                step.title,
                outcome.outcome,
                [{**c.to_dict(), **readable(c.to_dict()).to_dict()} for c in outcome.changes],
            )
        )
    return TenantPlan(tenant.slug, resources)


def apply_tenant(tenant: Tenant, standard: bool = False) -> Run:
    """Queue a run that applies the tenant's settings (only what differs is changed).

    STANDARD: an adopted tenant's desired state becomes the portal's standard first (audited).
    """
    if tenant.status not in (
        TenantStatus.READY,
        TenantStatus.FAILED,
        TenantStatus.DRAFT,
        TenantStatus.QUEUED,
        TenantStatus.PROVISIONING,
    ):
        raise ValidationError("status", f"tenant {tenant.slug} is {tenant.status}")
    if standard:
        _adopt_the_standard(tenant)
    return queue_onboarding([tenant])[0]


def _adopt_the_standard(tenant: Tenant) -> None:
    """Replace an adopted tenant's configuration-as-found by the standard one (no commit)."""
    standardized = adopted_config(tenant, standard=True)
    if standardized is None or tenant.adopted_config == standardized.to_json():
        return  # made by the portal, or standard already
    trail.record(
        "tenant.standardized",
        tenant,
        before=tenant.adopted_config,
        after=standardized.to_json(),
    )
    tenant.adopted_config = standardized.to_json()
    if tenant.status == TenantStatus.READY:
        tenant.pending_changes_since = tenant.pending_changes_since or utcnow()


def update_tenant(
    tenant: Tenant,
    *,
    name: str | None = None,
    callback_urls: list[str] | None = None,
    logout_urls: list[str] | None = None,
    groups_claim: str | None = None,
    roles_claim: str | None = None,
    clear_roles: bool = False,
    email_verified_claim: str | None = None,
    clear_email_verified: bool = False,
    scopes: str | None = None,
    contact_email: str | None = None,
    idp_secret_expires_at: datetime | None = None,
) -> Tenant:
    """Change the tenant's desired settings; a ready tenant then shows pending changes to apply."""
    if tenant.status in (TenantStatus.OFFBOARDING, TenantStatus.OFFBOARDED):
        raise ValidationError("status", f"tenant {tenant.slug} is {tenant.status}")
    before = tenant_settings(tenant)
    if name is not None:
        tenant.name = check_name(name)
    if callback_urls is not None:
        tenant.callback_urls = check_redirect_urls(callback_urls, "callback_urls", required=True)
    if logout_urls is not None:
        tenant.logout_urls = check_redirect_urls(logout_urls, "logout_urls", required=False)
    if groups_claim is not None:
        # Empty: the IdP sends no groups (Google Workspace), so custom:groups is not mapped.
        tenant.groups_claim = check_claim(groups_claim, "groups_claim", required=False) or ""
    if clear_roles:
        tenant.roles_claim = None
    elif roles_claim is not None:
        tenant.roles_claim = check_claim(roles_claim, "roles_claim", required=False)
    if clear_email_verified:
        tenant.email_verified_claim = None
    elif email_verified_claim is not None:
        tenant.email_verified_claim = check_claim(
            email_verified_claim, "email_verified_claim", required=False
        )
    if scopes is not None:
        tenant.authorize_scopes = check_scopes(scopes)
    if contact_email is not None:
        tenant.contact_email = contact_email.strip() or None
    if idp_secret_expires_at is not None:
        tenant.idp_secret_expires_at = idp_secret_expires_at
        tenant.idp_secret_reminded_days = None
    after = tenant_settings(tenant)
    if after == before and idp_secret_expires_at is None and contact_email is None:
        return tenant
    if tenant.status == TenantStatus.READY and after != before:
        tenant.pending_changes_since = tenant.pending_changes_since or utcnow()
    trail.record(
        "tenant.updated",
        tenant,
        before=before,
        after=after,
        idp_secret_expires_at=tenant.idp_secret_expires_at,
    )
    db.session.commit()
    return tenant


def change_idp(tenant: Tenant, **settings: Any) -> IssuerCheck:
    """Change a live tenant's identity provider after the same pre-flight as the wizard.

    SETTINGS are set_idp's (issuer, client_id, client_secret=None keeps the secret Cognito
    holds, scopes, groups_claim, roles_claim, attributes_request_method). Nothing reaches
    Cognito: a ready tenant shows pending changes, to plan and apply.
    """
    if tenant.status not in (TenantStatus.READY, TenantStatus.FAILED) or tenant.pool is None:
        raise ValidationError(
            "status",
            f"tenant {tenant.slug} is {tenant.status}; its identity provider is changed here "
            "once it is ready or failed",
        )
    before = tenant_settings(tenant)
    check = set_idp(tenant, **settings)
    changed = tenant_settings(tenant) != before or bool(settings.get("client_secret"))
    if check.ok and tenant.status == TenantStatus.READY and changed:
        tenant.pending_changes_since = tenant.pending_changes_since or utcnow()
        db.session.commit()
    return check


def retry(tenant: Tenant) -> Run:
    """Send the tenant's latest failed or cancelled run back to the queue, from where it stopped."""
    last = latest_run(tenant)
    if last is None or last.status not in (RunStatus.FAILED, RunStatus.CANCELLED):
        raise ValidationError("run", f"tenant {tenant.slug} has no failed run to retry")
    if last.kind in (RunKind.ONBOARD, RunKind.RECONCILE):
        return queue_onboarding([tenant])[0]

    def prepare(t: Tenant) -> tuple[Run, bool]:
        existing = active_run(t)
        if existing is not None:
            return existing, False
        run = resume(last)
        t.status = kinds.queued_status(run.kind, t.status)
        trail.record("run.resumed", t, run_id=run.id, kind=run.kind)
        return run, True

    return queue_runs([tenant], one_by_one(prepare))[0]


def cancel(tenant: Tenant) -> Run:
    """Cancel the tenant's queued or running run; a working worker stops before its next call."""
    run = active_run(tenant)
    if run is None:
        raise ValidationError("run", f"tenant {tenant.slug} has no queued or running run")
    result = db.session.execute(
        update(Run)
        .where(Run.id == run.id, Run.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)))
        .values(
            status=RunStatus.CANCELLED,
            finished_at=utcnow(),
            lease_until=None,
            error=f"cancelled by {current_actor().label}",
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise ValidationError("run", "the run finished before it could be cancelled")
    before = tenant.status
    if run.kind in (RunKind.ONBOARD, RunKind.RECONCILE):
        tenant.status = TenantStatus.FAILED
    elif run.kind == RunKind.OFFBOARD:
        tenant.status = TenantStatus.OFFBOARDING
    tenant.last_error = (
        f"The {run.kind} run was cancelled by {current_actor().label}. "
        "Retry to continue from where it stopped."
    )
    trail.record(
        "run.cancelled",
        tenant,
        before={"status": before},
        after={"status": tenant.status},
        run_id=run.id,
        kind=run.kind,
    )
    db.session.commit()
    announce(run.id, RunStatus.CANCELLED)
    db.session.refresh(run)
    return run


def _queue_kind(tenant: Tenant, kind: str, action: str, **details: Any) -> Run:
    def prepare(t: Tenant) -> tuple[Run, bool]:
        existing = active_run(t)
        if existing is not None:
            if existing.kind != kind:
                raise ValidationError(
                    "run",
                    f"tenant {t.slug} has a {existing.kind} run in "
                    "progress; wait for it or cancel it first",
                )
            return existing, False
        run = new_run(t, kind)
        before = t.status
        t.status = kinds.queued_status(kind, t.status)
        db.session.flush()
        details.setdefault("before", {"status": before})
        details.setdefault("after", {"status": t.status})
        trail.record(action, t, run_id=run.id, kind=kind, **details)
        return run, True

    return queue_runs([tenant], one_by_one(prepare))[0]


def offboard(tenant: Tenant, remove_users: bool = False) -> Run | None:
    """Remove the tenant's style, client and provider (in that order); keep its history."""
    if tenant.status == TenantStatus.OFFBOARDED:
        return None  # done already: offboarding twice changes nothing
    nothing_made = tenant.client_id is None and not tenant.client_create_started
    if tenant.pool is None or (tenant.status == TenantStatus.DRAFT and nothing_made):
        before = tenant.status
        tenant.status, tenant.offboarded_at = TenantStatus.OFFBOARDED, utcnow()
        tenant.idp_client_secret_encrypted = None
        release_all(tenant)
        trail.record(
            "tenant.offboarded",
            tenant,
            before={"status": before},
            after={"status": tenant.status},
            note="nothing was provisioned in Cognito",
        )
        db.session.commit()
        return None
    tenant.remove_federated_users = remove_users
    return _queue_kind(
        tenant,
        RunKind.OFFBOARD,
        "tenant.offboarding",
        remove_users=remove_users,
        provider_name=tenant.provider_name,
    )


def _require_ready(tenant: Tenant, what: str) -> None:
    if tenant.status != TenantStatus.READY or tenant.client_id is None:
        raise ValidationError(
            "status", f"{what} needs a ready tenant (tenant {tenant.slug} is {tenant.status})"
        )


def new_client_secret_value() -> str:
    """A secret Cognito accepts (24-64 characters of [A-Za-z0-9_+]): 52 from 256 random bits."""
    return secrets.token_hex(26)


def start_secret_rotation(tenant: Tenant) -> Run:
    """Add a second client secret the portal chose; the old one keeps working until retired."""
    _require_ready(tenant, "rotating the client secret")
    if tenant.secret_rotation_state == RotationState.BOTH_ACTIVE:
        raise ValidationError(
            "rotation",
            "a new secret is already active beside the old one; "
            "retire the old one (or cancel the rotation) first",
        )
    if tenant.new_client_secret_encrypted is None:
        tenant.new_client_secret_encrypted = encrypt(new_client_secret_value())
        tenant.secret_rotation_started_at = utcnow()
    tenant.secret_rotation_state = RotationState.ADDING
    return _queue_kind(tenant, RunKind.ROTATE_SECRET, "client_secret.rotation_started")


def retire_old_secret(tenant: Tenant) -> Run:
    """Delete the old client secret once the vendor's application uses the new one."""
    if tenant.secret_rotation_state != RotationState.BOTH_ACTIVE:
        raise ValidationError(
            "rotation", "there is no rotation waiting for the old secret to be retired"
        )
    tenant.secret_rotation_state = RotationState.RETIRING
    return _queue_kind(tenant, RunKind.RETIRE_SECRET, "client_secret.retiring")


def cancel_secret_rotation(tenant: Tenant) -> Run | None:
    """Withdraw the new secret (the old one stays the only one)."""
    if tenant.secret_rotation_state is None:
        raise ValidationError("rotation", "no client-secret rotation is in progress")
    if tenant.new_client_secret_id is None:  # never reached Cognito
        tenant.secret_rotation_state = None
        tenant.new_client_secret_encrypted = None
        trail.record("client_secret.rotation_cancelled", tenant)
        db.session.commit()
        return None
    tenant.secret_rotation_state = RotationState.CANCELLING
    return _queue_kind(tenant, RunKind.CANCEL_ROTATION, "client_secret.rotation_cancelling")


def start_move(tenant: Tenant, target: UserPool, reason: str | None = None) -> tuple[Run, str]:
    """Re-provision the tenant in another pool; its old resources stay until finish_move.

    Returns the move's run and a new setup link's token for the customer: its page shows the
    new redirect URI to register at their IdP.
    """
    _require_ready(tenant, "moving to another pool")
    if target.id == tenant.pool_id:
        raise ValidationError("pool", f"tenant {tenant.slug} is already in {target.user_pool_id}")
    if kinds.active_move(tenant) is not None:
        raise ValidationError("pool", f"tenant {tenant.slug} is already moving")
    room = usage(target)
    if not room.has_room:
        full = ", ".join(room.full_quotas() or ["closed to new tenants"])
        raise ValidationError("pool", f"user pool {target.user_pool_id} has no room ({full})")
    move = TenantMove(
        tenant_id=tenant.id,
        from_pool_id=tenant.pool_id,
        to_pool_id=target.id,
        old_client_id=tenant.client_id,
        old_client_name=tenant.client_name,
        old_branding_id=tenant.branding_id,
        old_provider_name=tenant.provider_name,
        reason=reason,
        started_by=current_actor().label,
        state=MoveState.PROVISIONING,
    )
    db.session.add(move)
    before = {"user_pool_id": tenant.pool.user_pool_id, "client_id": tenant.client_id}
    tenant.pool = target
    tenant.client_id = tenant.branding_id = None
    tenant.client_create_started = tenant.provider_created = False
    tenant.client_name = f"portal-{tenant.slug}-{secrets.token_hex(4)}"
    db.session.flush()
    run = _queue_kind(
        tenant,
        RunKind.MOVE,
        "tenant.move_started",
        before=before,
        after={"user_pool_id": target.user_pool_id},
        reason=reason,
        warning="the IdP redirect URI and every user's sub change",
    )
    return run, _setup_link_for_move(tenant)


def _setup_link_for_move(tenant: Tenant) -> str:
    """A new setup link's token (shown once; e-mailed to the tenant's contact if SMTP is set)."""

    link, token, _replaced = setup_links.create_link(tenant)
    if tenant.contact_email and smtp_configured():
        try:
            setup_links.send_link(link, token, tenant.contact_email)
        except (MailFailed, ValidationError):
            db.session.rollback()  # the link stands; staff hand it over themselves
    return token


def finish_move(tenant: Tenant) -> Run:
    """Remove the tenant's resources from the pool it left (after everyone switched over)."""
    move = kinds.active_move(tenant)
    if move is None or move.state not in (MoveState.SWITCHING, MoveState.CLEANING):
        raise ValidationError("pool", f"tenant {tenant.slug} has no move waiting to be finished")
    move.state = MoveState.CLEANING
    return _queue_kind(
        tenant, RunKind.FINISH_MOVE, "tenant.move_finishing", from_pool=move.from_pool.user_pool_id
    )


offboard_tenant = offboard  # the name the JSON API looks for
