"""What differs between kinds of run: the context their steps see and what success or failure means.

Every kind is "reconcile towards a desired state": onboarding and repair (present, as the tenant's
record says), offboarding (absent), a secret rotation (two secrets, then one), a move (present in
the new pool, then absent from the old one).
"""

from __future__ import annotations

from sqlalchemy import select

from portal.cognito.errors import NotFoundError
from portal.cognito.gateway import CallRecorder
from portal.cognito.resources import Known, StepContext, StepOutcome
from portal.crypto import decrypt
from portal.extensions import db
from portal.models import (
    DriftFinding,
    DriftStatus,
    MoveState,
    RotationState,
    Run,
    RunKind,
    Step,
    StepStatus,
    Tenant,
    TenantMove,
    TenantStatus,
    UserPool,
    utcnow,
)
from portal.observability import metrics
from portal.services import events
from portal.services.audit import trail
from portal.services.engine.desired import desired_state
from portal.services.engine.gateways import gateway_for, pool_notes

PROVISIONING_KINDS = (RunKind.ONBOARD, RunKind.RECONCILE, RunKind.MOVE)
SECRET_KINDS = (RunKind.ROTATE_SECRET, RunKind.RETIRE_SECRET, RunKind.CANCEL_ROTATION)
KEPT_REASON = (
    "DescribeUserPoolClient does not return the secret the portal supplied: the portal keeps "
    "it, encrypted, for the audited reveal"
)


def queued_status(kind: str, current: str) -> str:
    """The tenant's status while a run of this kind waits or works."""
    if kind in (RunKind.ONBOARD, RunKind.RECONCILE):
        return TenantStatus.QUEUED
    if kind == RunKind.OFFBOARD:
        return TenantStatus.OFFBOARDING
    return current  # rotations and moves keep a ready tenant ready: sign-in keeps working


def working_status(kind: str, current: str) -> str:
    if kind in (RunKind.ONBOARD, RunKind.RECONCILE):
        return TenantStatus.PROVISIONING
    return queued_status(kind, current)


def active_move(tenant: Tenant) -> TenantMove | None:
    return db.session.scalar(
        select(TenantMove).where(
            TenantMove.tenant_id == tenant.id, TenantMove.state != MoveState.DONE
        )
    )


def known_state(tenant: Tenant) -> Known:
    return Known(
        client_id=tenant.client_id,
        client_create_started=tenant.client_create_started,
        provider_created=tenant.provider_created,
        branding_id=tenant.branding_id,
        pool_attributes=frozenset(tenant.pool.custom_attributes or ()),
        new_secret_id=tenant.new_client_secret_id,
        old_secret_id=tenant.old_client_secret_id,
        remove_users=tenant.remove_federated_users,
    )


def build_context(run: Run, tenant: Tenant, recorder: CallRecorder, on_intent) -> StepContext:
    """The desired state and known facts this run's steps work from."""

    region = tenant.pool.region
    known = known_state(tenant)
    if run.kind == RunKind.FINISH_MOVE:
        return _previous_pool_context(tenant, recorder)
    secret_override = None
    if (
        run.kind == RunKind.MOVE
        and tenant.idp_client_secret_encrypted is None
        and not tenant.provider_created
    ):
        secret_override = _secret_from_previous_pool(tenant, recorder)
    new_secret = None
    if run.kind in SECRET_KINDS and tenant.new_client_secret_encrypted:
        new_secret = decrypt(tenant.new_client_secret_encrypted)
    desired = desired_state(tenant, idp_secret=secret_override, new_client_secret=new_secret)
    return StepContext(
        gateway_for(region, recorder),
        desired,
        known,
        on_intent=on_intent,
        pool_notes=pool_notes(),
    )


def _previous_pool_context(tenant: Tenant, recorder: CallRecorder) -> StepContext:

    move = active_move(tenant)
    assert move is not None, "a finish_move run belongs to a move"
    old = move.from_pool
    desired = desired_state(tenant)
    previous = desired.__class__(
        **{
            **desired.__dict__,
            "user_pool_id": old.user_pool_id,
            "region": old.region,
            "needs_style": old.needs_styles,
            "client_name": move.old_client_name,
            "provider_name": move.old_provider_name,
        }
    )
    known = Known(
        client_id=move.old_client_id,
        branding_id=move.old_branding_id,
        client_create_started=move.old_client_id is None,
    )
    return StepContext(gateway_for(old.region, recorder), previous, known)


def _secret_from_previous_pool(tenant: Tenant, recorder: CallRecorder) -> str | None:
    """A move re-creates the provider in the new pool with the secret the old pool holds.

    It is read in the worker at the moment it is needed: never stored, never in a message.
    """
    move = active_move(tenant)
    if move is None:
        return None
    old = move.from_pool
    try:
        provider = gateway_for(old.region, recorder).call(
            "DescribeIdentityProvider", old.user_pool_id, ProviderName=move.old_provider_name
        )
    except NotFoundError:
        return None
    return provider["IdentityProvider"].get("ProviderDetails", {}).get("client_secret")


def before_step(tenant: Tenant, step: Step, ctx: StepContext) -> None:
    """Refresh what other runs may have learnt meanwhile (a pool's custom attributes)."""
    if step.name == "attributes":
        db.session.refresh(tenant.pool)
        ctx.known.pool_attributes = frozenset(tenant.pool.custom_attributes or ())


def apply_facts(
    run: Run, tenant: Tenant, step: Step, outcome: StepOutcome, ctx: StepContext
) -> None:
    """Record what a step found or did on the tenant (and its pool)."""
    facts = outcome.facts
    if run.kind == RunKind.FINISH_MOVE:
        pass  # the old pool's resources are recorded on the move, not the tenant
    else:
        if facts.get("client_id") and tenant.client_id != facts["client_id"]:
            tenant.client_id = ctx.known.client_id = facts["client_id"]
            tenant.client_secret_kept_encrypted = None  # a new client, a secret Cognito made
        if facts.get("branding_id"):
            tenant.branding_id = ctx.known.branding_id = facts["branding_id"]
    if "pool_attributes" in facts:
        known = set(tenant.pool.custom_attributes or [])
        attributes = sorted(known | set(facts["pool_attributes"]))
        if attributes != list(tenant.pool.custom_attributes or []):
            _remember_pool_attributes(tenant.pool, attributes)
        ctx.known.pool_attributes = frozenset(attributes)
    if facts.get("provider_secret_applied"):
        tenant.provider_created = ctx.known.provider_created = True
        if tenant.idp_client_secret_encrypted is not None:
            tenant.idp_client_secret_encrypted = None  # Cognito holds it now: purge ours
        tenant.idp_secret_in_cognito = True
    if facts.get("retired_provider_removed"):
        tenant.retired_provider_name = None
    if "secret_returned" in facts:
        # Keep the supplied secret only if Cognito does not hand it back (item: never depend on
        # undocumented behaviour); audited below like every other change of this step.
        tenant.client_secret_kept_encrypted = (
            None if facts["secret_returned"] else tenant.new_client_secret_encrypted
        )
        if not facts["secret_returned"]:
            trail.record("client_secret.kept", tenant, run_id=step.run_id, reason=KEPT_REASON)
    if "new_secret_id" in facts:
        tenant.new_client_secret_id = ctx.known.new_secret_id = facts["new_secret_id"]
        tenant.old_client_secret_id = ctx.known.old_secret_id = facts["old_secret_id"]
    step.status = StepStatus.SKIPPED if outcome.outcome == "skipped" else StepStatus.SUCCEEDED
    step.outcome = outcome.outcome
    metrics.record_step(step.name, outcome.outcome)
    step.finished_at = utcnow()
    step.error_code = step.error_message = None
    if outcome.changes:
        trail.record(
            f"cognito.{step.name}.{outcome.outcome}",
            tenant,
            run_id=step.run_id,
            changes=[c.to_dict() for c in outcome.changes],
        )


def _remember_pool_attributes(pool: UserPool, attributes: list[str]) -> None:
    """Note the pool's custom attributes, unless its row is locked: then a later run notes them.

    The record only spares later runs a read (attributes can never be deleted; a run that does
    not find them here reads the pool), so it never waits. Queueing holds the open pools' rows
    while it places a chunk of tenants: a first run that waited for them stalled with its step
    uncommitted, and the bulk's first Cognito writes with it (40 tenants on 2 new pools).
    """
    free = db.session.scalar(
        select(UserPool.id)
        .where(UserPool.id == pool.id)
        .with_for_update(key_share=True, skip_locked=True)
    )
    if free is not None:
        pool.custom_attributes = attributes


def on_success(run: Run, tenant: Tenant) -> None:
    """Bring the tenant's record in line with what the finished run achieved."""
    now = utcnow()
    before = tenant.status
    if run.kind in (RunKind.ONBOARD, RunKind.RECONCILE, RunKind.MOVE):
        tenant.status, tenant.last_error = TenantStatus.READY, None
        tenant.ready_at = tenant.ready_at or now
        tenant.pending_changes_since = None
        _close_drift(tenant, DriftStatus.REPAIRED, run.actor)
        if run.kind == RunKind.MOVE:
            active_move(tenant).state = MoveState.SWITCHING
    elif run.kind == RunKind.OFFBOARD:
        tenant.status, tenant.last_error, tenant.offboarded_at = TenantStatus.OFFBOARDED, None, now
        _forget_secret_rotation(tenant)
        tenant.idp_client_secret_encrypted = None
        tenant.client_secret_kept_encrypted = None
    elif run.kind == RunKind.FINISH_MOVE:
        move = active_move(tenant)
        move.state, move.finished_at = MoveState.DONE, now
        tenant.last_error = None
    elif run.kind == RunKind.ROTATE_SECRET:
        tenant.secret_rotation_state, tenant.last_error = RotationState.BOTH_ACTIVE, None
    elif run.kind in (RunKind.RETIRE_SECRET, RunKind.CANCEL_ROTATION):
        _forget_secret_rotation(tenant)
        tenant.last_error = None
    trail.record(
        "run.succeeded",
        tenant,
        before={"status": before},
        after={"status": tenant.status},
        run_id=run.id,
        kind=run.kind,
        client_id=tenant.client_id,
    )
    if run.kind in PROVISIONING_KINDS:
        events.publish(events.PROVISIONING_SUCCEEDED, tenant, run_id=run.id, kind=run.kind)
    elif run.kind == RunKind.OFFBOARD:
        events.publish(events.TENANT_OFFBOARDED, tenant, run_id=run.id)


def on_failure(
    run: Run,
    tenant: Tenant,
    step: Step | None,
    code: str,
    explanation: str,
    aws_request_id: str | None = None,
) -> None:
    before = tenant.status
    if run.kind in (RunKind.ONBOARD, RunKind.RECONCILE):
        tenant.status = TenantStatus.FAILED
    tenant.last_error = explanation  # offboarding stays "offboarding"; rotations stay ready
    trail.record(
        "run.failed",
        tenant,
        before={"status": before},
        after={"status": tenant.status},
        run_id=run.id,
        kind=run.kind,
        step=step.name if step else None,
        error_code=code,
        reason=explanation,
    )
    if run.kind in PROVISIONING_KINDS:
        events.publish(
            events.PROVISIONING_FAILED,
            tenant,
            run_id=run.id,
            error_code=code,
            step=step.name if step else None,
            reason=explanation,
        )


def _forget_secret_rotation(tenant: Tenant) -> None:
    tenant.secret_rotation_state = None
    tenant.new_client_secret_encrypted = None  # Cognito holds the only secret now
    tenant.new_client_secret_id = tenant.old_client_secret_id = None
    tenant.secret_rotation_started_at = None


def _close_drift(tenant: Tenant, status: str, actor: str) -> None:
    findings = db.session.scalars(
        select(DriftFinding).where(
            DriftFinding.tenant_id == tenant.id, DriftFinding.status == DriftStatus.OPEN
        )
    ).all()
    for finding in findings:
        finding.status, finding.resolved_at, finding.resolved_by = status, utcnow(), actor
    tenant.drift_detected_at = None
