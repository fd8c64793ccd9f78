"""Onboarding runs: queueing them, executing their steps, and picking up stale ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.cognito.desired import DesiredTenant
from portal.cognito.errors import CognitoError, PermanentError, TransientError
from portal.cognito.gateway import CallAttempt
from portal.cognito.resources import STEP_SETS, STEPS_BY_NAME
from portal.crypto import decrypt
from portal.extensions import db
from portal.models import (
    Run,
    RunKind,
    RunStatus,
    Step,
    StepStatus,
    Tenant,
    TenantStatus,
    utcnow,
)
from portal.observability import metrics  # ops
from portal.observability.context import current_request_id  # ops
from portal.services import audit, run_kinds
from portal.services.actors import current_actor
from portal.services.dispatch import enqueue_run
from portal.services.ledger import ledger_row
from portal.services.pools import place_tenant
from portal.validation import ValidationError, check_redirect_url

log = logging.getLogger(__name__)
MAX_CLAIMS = 25
TEST_CALLBACK_PATH = "/test-sign-in/callback"


class LeaseLost(Exception):
    """Another worker took the run over (this one was presumed dead); stop without writing."""


@dataclass(frozen=True)
class RunResult:
    status: str
    retry_in: float | None = None


def active_run(tenant: Tenant) -> Run | None:
    return db.session.scalar(
        select(Run).where(
            Run.tenant_id == tenant.id, Run.status.in_((RunStatus.QUEUED, RunStatus.RUNNING))
        )
    )


def latest_run(tenant: Tenant) -> Run | None:
    return db.session.scalar(
        select(Run).where(Run.tenant_id == tenant.id).order_by(Run.id.desc()).limit(1)
    )


def new_run(tenant: Tenant, kind: str) -> Run:
    actor = current_actor()
    run = Run(
        tenant_id=tenant.id,
        kind=kind,
        status=RunStatus.QUEUED,
        actor=actor.label,
        request_id=current_request_id(),  # ops: the actor's, or the one bound to this context
        enqueued_at=utcnow(),
    )
    run.steps = [
        Step(name=s.name, position=i, status=StepStatus.PENDING)
        for i, s in enumerate(STEP_SETS[kind], start=1)
    ]
    db.session.add(run)
    return run


def resume(run: Run) -> Run:
    """Send a failed run back to the queue from its failed step; done steps are not redone."""
    for step in run.steps:
        if step.status == StepStatus.FAILED:
            step.status = StepStatus.PENDING
    run.status, run.error, run.finished_at = RunStatus.QUEUED, None, None
    run.enqueued_at, run.not_before, run.lease_until, run.worker = utcnow(), None, None, None
    return run


def prepare_run(tenant: Tenant) -> tuple[Run, bool]:
    """The run that will onboard TENANT: an active one, a resumed failed one, or a new one."""
    existing = active_run(tenant)
    if existing is not None:
        return existing, False
    if tenant.status in (TenantStatus.OFFBOARDING, TenantStatus.OFFBOARDED):
        raise ValidationError("status", f"tenant {tenant.slug} is {tenant.status}")
    if not tenant.has_idp_settings:
        raise ValidationError(
            "idp",
            f"tenant {tenant.slug} has no identity provider settings yet; "
            f"set them first (portal tenants set-idp {tenant.slug} ...)",
        )
    place_tenant(tenant)
    last = latest_run(tenant)
    if (
        tenant.status == TenantStatus.FAILED
        and last is not None
        and last.status == RunStatus.FAILED
    ):
        run = resume(last)
        action = "run.resumed"
    else:
        kind = RunKind.RECONCILE if tenant.status == TenantStatus.READY else RunKind.ONBOARD
        run = new_run(tenant, kind)
        action = "run.queued"
    before = tenant.status
    tenant.status = TenantStatus.QUEUED
    tenant.last_error = None
    db.session.flush()
    audit.record(
        action,
        tenant,
        before={"status": before},
        after={"status": tenant.status},
        run_id=run.id,
        kind=run.kind,
        user_pool_id=tenant.pool.user_pool_id,
    )
    return run, True


def queue_runs(tenants: list[Tenant], prepare) -> list[Run]:
    """Prepare a run per tenant and commit it, then send its id to the workers at once.

    Each run is sent as soon as it is committed, so workers start on the first tenants of a
    bulk onboarding while the rest are still being queued.
    """
    runs: list[Run] = []
    for tenant in tenants:
        try:
            run, created = prepare(tenant)
            db.session.commit()
        except IntegrityError:  # someone else queued one at the same moment
            db.session.rollback()
            run, created = active_run(tenant), False
            if run is None:
                raise
        except Exception:
            db.session.rollback()
            raise
        runs.append(run)
        if created:
            enqueue_run(run.id)
    return runs


def queue_onboarding(tenants: list[Tenant]) -> list[Run]:
    """Queue a run per tenant (one per tenant however often asked), commit, then enqueue ids."""
    return queue_runs(tenants, prepare_run)


def desired_state(
    tenant: Tenant, idp_secret: str | None = None, new_client_secret: str | None = None
) -> DesiredTenant:
    """The tenant's desired Cognito configuration, with its secrets decrypted in memory only."""
    pool = tenant.pool
    assert pool is not None, "placed before a run starts"
    secret = idp_secret or (
        decrypt(tenant.idp_client_secret_encrypted) if tenant.idp_client_secret_encrypted else None
    )
    callbacks = list(tenant.callback_urls)
    test_callback = test_callback_url()
    if test_callback and test_callback not in callbacks:
        callbacks.append(test_callback)
    return DesiredTenant(
        user_pool_id=pool.user_pool_id,
        region=pool.region,
        needs_style=pool.needs_styles,
        client_name=tenant.client_name,
        provider_name=tenant.provider_name,
        callback_urls=tuple(callbacks),
        logout_urls=tuple(tenant.logout_urls),
        issuer=tenant.issuer,
        idp_client_id=tenant.idp_client_id,
        idp_client_secret=secret,
        authorize_scopes=tenant.authorize_scopes,
        groups_claim=tenant.groups_claim,
        roles_claim=tenant.roles_claim,
        attributes_request_method=tenant.attributes_request_method,
        idp_identifiers=tuple(tenant.idp_identifiers or ()),
        new_client_secret=new_client_secret,
    )


def test_callback_url() -> str | None:
    """The portal's own test-sign-in callback, if Cognito would accept it as a callback URL."""
    url = current_app.config["PORTAL_PUBLIC_URL"] + TEST_CALLBACK_PATH
    try:
        return check_redirect_url(url)
    except ValidationError:
        log.warning(
            "PORTAL_PUBLIC_URL %s is not a valid Cognito callback; test sign-in disabled", url
        )
        return None


class RunLease:
    """Claims a run with a conditional UPDATE and keeps the claim alive while it works."""

    def __init__(self, run_id: int, worker: str) -> None:
        self.run_id = run_id
        self.worker = worker
        self.seconds = int(current_app.config["PORTAL_RUN_LEASE_SECONDS"])

    def claim(self) -> bool:
        now = utcnow()
        result = db.session.execute(
            update(Run)
            .where(Run.id == self.run_id)
            .where(
                or_(
                    Run.status == RunStatus.QUEUED,
                    (Run.status == RunStatus.RUNNING)
                    & or_(Run.lease_until < now, Run.worker == self.worker),
                )
            )
            .where(or_(Run.not_before.is_(None), Run.not_before <= now))
            .values(
                status=RunStatus.RUNNING,
                worker=self.worker,
                claims=Run.claims + 1,
                lease_until=now + timedelta(seconds=self.seconds),
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return result.rowcount == 1

    # When only recording what happened, a renewal this recent still proves the claim. Before
    # every Cognito write and at every step boundary the claim is always checked, so a
    # cancelled or taken-over run stops before its next call.
    FRESH_SECONDS = 2.0

    def renew(self, force: bool = True) -> None:
        """Extend the claim inside the current transaction; raise if it was taken over."""
        now = utcnow()
        last = getattr(self, "_renewed_at", None)
        if not force and last is not None and (now - last).total_seconds() < self.FRESH_SECONDS:
            return
        result = db.session.execute(
            update(Run)
            .where(
                Run.id == self.run_id, Run.worker == self.worker, Run.status == RunStatus.RUNNING
            )
            .values(lease_until=now + timedelta(seconds=self.seconds))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            raise LeaseLost(f"run {self.run_id} is no longer held by {self.worker}")
        self._renewed_at = now


class LedgerRecorder:
    """Writes each Cognito attempt to the ledger at once and fences writes with the lease."""

    def __init__(self, run: Run, lease: RunLease) -> None:
        self.run_id = run.id
        self.tenant_id = run.tenant_id
        self.lease = lease
        self.step_id: int | None = None

    def record(self, attempt: CallAttempt) -> None:
        db.session.add(ledger_row(attempt, self.tenant_id, self.run_id, self.step_id))
        self.lease.renew(force=False)
        db.session.commit()

    def before_write(self, operation: str) -> None:
        self.lease.renew()
        db.session.commit()


def execute_run(run_id: int, worker: str) -> RunResult:
    """Claim the run and carry out its pending steps in order; safe to call any number of times."""
    lease = RunLease(run_id, worker)
    if not lease.claim():
        return RunResult("not-claimed")
    run = db.session.get(Run, run_id)
    tenant = db.session.get(Tenant, run.tenant_id)
    if run.claims > MAX_CLAIMS:
        return _fail(
            run,
            tenant,
            None,
            PermanentError(
                "Run",
                "TooManyAttempts",
                f"the run was started {run.claims - 1} times without "
                "finishing; look at its Cognito calls for the cause, then retry",
            ),
        )
    before = tenant.status
    tenant.status = run_kinds.working_status(run.kind, tenant.status)
    run.started_at = run.started_at or utcnow()
    audit.record(
        "run.started",
        tenant,
        before={"status": before},
        after={"status": tenant.status},
        run_id=run.id,
        kind=run.kind,
        worker=worker,
        claim=run.claims,
    )
    db.session.commit()

    recorder = LedgerRecorder(run, lease)
    try:
        ctx = run_kinds.build_context(
            run,
            tenant,
            recorder,
            on_intent=lambda name, value=True: _intent(tenant, lease, name, value),
        )
    except LeaseLost:
        return RunResult("lost")
    except TransientError as error:
        return _postpone(run, tenant, run.steps[0], lease, error)
    except CognitoError as error:
        return _fail(run, tenant, None, error)
    for step in run.steps:
        if step.status in (StepStatus.SUCCEEDED, StepStatus.SKIPPED):
            continue
        recorder.step_id = step.id
        step.status, step.attempts = StepStatus.RUNNING, step.attempts + 1
        step.started_at = step.started_at or utcnow()
        try:
            lease.renew()
            run_kinds.before_step(tenant, step, ctx)
            db.session.commit()
            outcome = STEPS_BY_NAME[step.name].apply(ctx)
        except LeaseLost:
            return RunResult("lost")
        except TransientError as error:
            return _postpone(run, tenant, step, lease, error)
        except CognitoError as error:
            return _fail(run, tenant, step, error)
        run_kinds.apply_facts(run, tenant, step, outcome, ctx)
        try:
            lease.renew()
        except LeaseLost:
            return RunResult("lost")
        db.session.commit()
    return _succeed(run, tenant)


def _intent(tenant: Tenant, lease: RunLease, name: str, value: object = True) -> None:
    setattr(tenant, name, value)
    lease.renew()
    db.session.commit()


def _succeed(run: Run, tenant: Tenant) -> RunResult:
    run.status, run.finished_at, run.lease_until = RunStatus.SUCCEEDED, utcnow(), None
    run_kinds.on_success(run, tenant)
    db.session.commit()
    metrics.record_run_finished(run)  # ops
    return RunResult(RunStatus.SUCCEEDED)


def _fail(run: Run, tenant: Tenant, step: Step | None, error: CognitoError) -> RunResult:
    db.session.rollback()
    now = utcnow()
    explanation = error.explanation
    if step is not None:
        step.status, step.finished_at = StepStatus.FAILED, now
        step.error_code, step.error_message = error.code, explanation
    run.status, run.finished_at, run.lease_until = RunStatus.FAILED, now, None
    run.error = explanation
    run_kinds.on_failure(run, tenant, step, error.code, explanation, error.request_id)
    db.session.commit()
    metrics.record_run_finished(run, step)  # ops
    return RunResult(RunStatus.FAILED)


def _postpone(
    run: Run, tenant: Tenant, step: Step, lease: RunLease, error: TransientError
) -> RunResult:
    db.session.rollback()
    delay = min(600.0, 15.0 * (2 ** min(run.claims - 1, 6)))
    step.status, step.error_code, step.error_message = (
        StepStatus.PENDING,
        error.code,
        error.explanation,
    )
    run.status, run.worker, run.lease_until = RunStatus.QUEUED, None, None
    run.not_before = utcnow() + timedelta(seconds=delay)
    run.enqueued_at = utcnow()
    before = tenant.status
    tenant.status = run_kinds.queued_status(run.kind, tenant.status)
    audit.record(
        "run.postponed",
        tenant,
        before={"status": before},
        after={"status": tenant.status},
        run_id=run.id,
        step=step.name,
        error_code=error.code,
        aws_request_id=error.request_id,
        retry_in_seconds=round(delay),
        reason=error.explanation,
    )
    db.session.commit()
    metrics.record_step(step.name, "postponed")  # ops
    log.warning("run %s postponed %.0fs after %s on %s", run.id, delay, error.code, step.name)
    return RunResult(RunStatus.QUEUED, retry_in=delay)


def sweep_stale_runs() -> list[int]:
    """Re-send runs whose worker died or whose message was lost; claiming makes repeats harmless."""
    now = utcnow()
    stale_queued = now - timedelta(seconds=int(current_app.config["PORTAL_STALE_QUEUED_SECONDS"]))
    runs = db.session.scalars(
        select(Run)
        .where(
            or_(
                (Run.status == RunStatus.RUNNING) & (Run.lease_until < now),
                (Run.status == RunStatus.QUEUED)
                & (Run.enqueued_at < stale_queued)
                & or_(Run.not_before.is_(None), Run.not_before <= now),
            )
        )
        .order_by(Run.id)
        .limit(500)
    ).all()
    ids = [run.id for run in runs]
    for run in runs:
        if run.status == RunStatus.QUEUED:
            run.enqueued_at = now
    db.session.commit()
    for run_id in ids:
        enqueue_run(run_id)
    if ids:
        log.info("re-sent %d stale runs: %s", len(ids), ids[:20])
    return ids
