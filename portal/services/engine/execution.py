"""Executing a run: claim it with a lease, carry out its steps, record every Cognito call."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update

from portal.cognito.errors import CognitoError, PermanentError, TransientError
from portal.cognito.gateway import CallAttempt
from portal.cognito.resources import STEPS_BY_NAME
from portal.config import current_settings
from portal.extensions import db
from portal.models import (
    Run,
    RunStatus,
    Step,
    StepStatus,
    Tenant,
    utcnow,
)
from portal.observability import metrics
from portal.services import events
from portal.services.audit import trail
from portal.services.engine import kinds
from portal.services.engine.ledger import ledger_row
from portal.services.engine.notices import announce

log = logging.getLogger(__name__)

MAX_CLAIMS = 25


class LeaseLost(Exception):
    """Another worker took the run over (this one was presumed dead); stop without writing."""


@dataclass(frozen=True)
class RunResult:
    status: str
    retry_in: float | None = None


class RunLease:
    """Claims a run with a conditional UPDATE and keeps the claim alive while it works."""

    def __init__(self, run_id: int, worker: str) -> None:
        self.run_id = run_id
        self.worker = worker
        self.seconds = current_settings().run_lease_seconds

    def claim(self) -> bool:
        """Take the run in the current transaction; the caller commits (or rolls back)."""
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
        if result.rowcount != 1:
            db.session.rollback()
            return False
        return True  # uncommitted: the caller commits the claim with the run's start

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
    with trail.chained_at_commit():  # dozens of workers write the audit chain: hold it briefly
        return _execute_run(run_id, worker)


def _execute_run(run_id: int, worker: str) -> RunResult:
    lease = RunLease(run_id, worker)
    if not lease.claim():
        return RunResult("not-claimed")
    # The claim is not committed yet: the run's start is committed with it, one transaction
    # through the audit chain's head instead of two. Killed before that commit, the run is as
    # it was (queued, or running with the lease that made it claimable); after it, as before.
    run = db.session.get(Run, run_id, populate_existing=True)
    tenant = db.session.get(Tenant, run.tenant_id, populate_existing=True)
    if run.claims > MAX_CLAIMS:
        db.session.commit()  # the claim, so that _fail's rollback keeps it
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
    tenant.status = kinds.working_status(run.kind, tenant.status)
    run.started_at = run.started_at or utcnow()
    trail.record(
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
    announce(run.id, RunStatus.RUNNING)

    recorder = LedgerRecorder(run, lease)
    try:
        ctx = kinds.build_context(
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
    pending = [s for s in run.steps if s.status not in (StepStatus.SUCCEEDED, StepStatus.SKIPPED)]
    for step in pending:
        recorder.step_id = step.id
        step.status, step.attempts = StepStatus.RUNNING, step.attempts + 1
        step.started_at = step.started_at or utcnow()
        try:
            lease.renew()
            kinds.before_step(tenant, step, ctx)
            db.session.commit()
            outcome = STEPS_BY_NAME[step.name].apply(ctx)
        except LeaseLost:
            return RunResult("lost")
        except TransientError as error:
            return _postpone(run, tenant, step, lease, error)
        except CognitoError as error:
            return _fail(run, tenant, step, error)
        kinds.apply_facts(run, tenant, step, outcome, ctx)
        try:
            lease.renew()
        except LeaseLost:
            return RunResult("lost")
        if step is not pending[-1]:
            db.session.commit()
            announce(run.id, RunStatus.RUNNING)
    # The last step's facts and the run's success in one commit (one pass through the audit
    # chain's head, not two); killed before it, the run resumes at that step as before.
    return _succeed(run, tenant)


def warm_up() -> None:
    """Compile the reads a run starts with (its run, tenant and steps) before the first run.

    SQLAlchemy compiles a statement on its first use in a process and caches it. A worker's
    first run spent about 0.2 s (py-spy, an idle machine) compiling the tenant's select (its pool
    joined, its domains loaded after) between its claim and its first Cognito call: the single
    tenant of a fresh worker waited for it. The newest run is read, nothing is written. The
    listeners of a run's outcome (webhooks, setup links) are imported now too, not during the
    first run's last commit.
    """
    events.portal_listeners()
    try:
        run_id = db.session.scalar(select(func.max(Run.id)))
        if run_id is None:
            return
        run = db.session.get(Run, run_id, populate_existing=True)
        tenant = db.session.get(Tenant, run.tenant_id, populate_existing=True)
        steps = list(run.steps)
        db.session.expire_all()  # and as a commit leaves them: reloaded on first use
        _ = run.status, tenant.status, tenant.pool, [step.status for step in steps]
    finally:
        db.session.rollback()


def _intent(tenant: Tenant, lease: RunLease, name: str, value: object = True) -> None:
    setattr(tenant, name, value)
    lease.renew()
    db.session.commit()


def _succeed(run: Run, tenant: Tenant) -> RunResult:
    """Finish the run in the current transaction (with its last step's facts, if any)."""
    run.status, run.finished_at, run.lease_until = RunStatus.SUCCEEDED, utcnow(), None
    kinds.on_success(run, tenant)
    db.session.commit()
    announce(run.id, run.status)
    metrics.record_run_finished(run)
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
    kinds.on_failure(run, tenant, step, error.code, explanation, error.request_id)
    db.session.commit()
    announce(run.id, run.status)
    metrics.record_run_finished(run, step)
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
    tenant.status = kinds.queued_status(run.kind, tenant.status)
    trail.record(
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
    announce(run.id, run.status)
    metrics.record_step(step.name, "postponed")
    log.warning("run %s postponed %.0fs after %s on %s", run.id, delay, error.code, step.name)
    return RunResult(RunStatus.QUEUED, retry_in=delay)
