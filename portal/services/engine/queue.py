"""Queueing runs (one active run per tenant, committed, then enqueued) and re-sending stale ones."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.cognito.resources import STEP_SETS
from portal.config import current_settings
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
from portal.observability.context import current_request_id
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.services.engine.dispatch import enqueue_run, ready_to_send
from portal.services.pools.registry import place_tenants
from portal.validation import ValidationError

log = logging.getLogger(__name__)


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


def latest_runs(tenant_ids: list[int], with_steps: bool = False) -> dict[int, Run]:
    """The newest run of each tenant (and its steps), in one query (two) however many tenants."""
    if not tenant_ids:
        return {}
    newest = select(func.max(Run.id)).where(Run.tenant_id.in_(tenant_ids)).group_by(Run.tenant_id)
    query = select(Run).where(Run.id.in_(newest))
    if with_steps:
        query = query.options(selectinload(Run.steps))
    return {run.tenant_id: run for run in db.session.scalars(query)}


def new_run(tenant: Tenant, kind: str) -> Run:
    actor = current_actor()
    run = Run(
        tenant_id=tenant.id,
        kind=kind,
        status=RunStatus.QUEUED,
        actor=actor.label,
        request_id=current_request_id(),  # the actor's, or the one bound to this context
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


def active_runs(tenant_ids: list[int]) -> dict[int, Run]:
    """Each tenant's queued or running run, in one query however many tenants."""
    if not tenant_ids:
        return {}
    return {
        run.tenant_id: run
        for run in db.session.scalars(
            select(Run).where(
                Run.tenant_id.in_(tenant_ids),
                Run.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)),
            )
        )
    }


def _check_onboardable(tenant: Tenant) -> None:
    if tenant.status in (TenantStatus.OFFBOARDING, TenantStatus.OFFBOARDED):
        raise ValidationError("status", f"tenant {tenant.slug} is {tenant.status}")
    if not tenant.has_idp_settings:
        raise ValidationError(
            "idp",
            f"tenant {tenant.slug} has no identity provider settings yet; "
            f"set them first (portal tenants set-idp {tenant.slug} ...)",
        )


def prepare_runs(tenants: list[Tenant]) -> list[tuple[Run, bool]]:
    """The run that will onboard each tenant: an active one, a resumed failed one, or a new one.

    A few queries for the whole chunk, not a few per tenant: its active runs, one placement
    (the pools locked and counted once), the failed tenants' last runs, one flush.
    """
    ids = [t.id for t in tenants]
    active = active_runs(ids)
    fresh = list({t.id: t for t in tenants if t.id not in active}.values())
    for tenant in fresh:
        _check_onboardable(tenant)
    place_tenants(fresh)
    last_runs = latest_runs([t.id for t in fresh if t.status == TenantStatus.FAILED])
    queued: list[tuple[Tenant, Run, str, str]] = []
    for tenant in fresh:
        last = last_runs.get(tenant.id)
        if last is not None and last.status == RunStatus.FAILED:
            run, action = resume(last), "run.resumed"
        else:
            kind = RunKind.RECONCILE if tenant.status == TenantStatus.READY else RunKind.ONBOARD
            run, action = new_run(tenant, kind), "run.queued"
        queued.append((tenant, run, action, tenant.status))
        tenant.status, tenant.last_error = TenantStatus.QUEUED, None
        active[tenant.id] = run
    db.session.flush()
    for tenant, run, action, before in queued:
        trail.record(
            action,
            tenant,
            before={"status": before},
            after={"status": tenant.status},
            run_id=run.id,
            kind=run.kind,
            user_pool_id=tenant.pool.user_pool_id,
        )
    made = {tenant.id for tenant, _, _, _ in queued}
    prepared: list[tuple[Run, bool]] = []
    for tenant in tenants:  # a tenant named twice is queued once
        prepared.append((active[tenant.id], tenant.id in made))
        made.discard(tenant.id)
    return prepared


# Chunks grow 1, 2, 4, 8: the first tenant's run reaches a worker after one small commit, and a
# thousand tenants cost about 130 commits instead of a thousand. Not larger: a chunk holds the
# audit chain's head row, which every worker's next audit event waits for (32 measured no faster).
CHUNK_MAX = 8


def chunks(items: list, largest: int = CHUNK_MAX) -> Iterator[list]:
    """ITEMS in consecutive chunks of 1, 2, 4, ... items, none larger than LARGEST."""
    size, start = 1, 0
    while start < len(items):
        yield items[start : start + size]
        start += size
        size = min(size * 2, largest)


def spread_over_pools(
    prepared: list[tuple[int, bool, int | None]],
) -> list[tuple[int, bool]]:
    """(run id, created) in round-robin order of the runs' pools.

    Cognito caps each operation at 5 RPS per user pool: a queue whose runs come pool by pool
    keeps every worker on one pool's cap, and a tail of one pool's runs ends the batch at it.
    """
    by_pool: dict[int | None, list[tuple[int, bool]]] = {}
    for run_id, created, pool_id in prepared:
        by_pool.setdefault(pool_id, []).append((run_id, created))
    lanes = list(by_pool.values())
    ordered: list[tuple[int, bool]] = []
    for i in range(max((len(lane) for lane in lanes), default=0)):
        ordered += [lane[i] for lane in lanes if i < len(lane)]
    return ordered


PrepareOne = Callable[[Tenant], tuple[Run, bool]]
PrepareChunk = Callable[[list[Tenant]], list[tuple[Run, bool]]]


def one_by_one(prepare: PrepareOne) -> PrepareChunk:
    """A chunk preparer from a one-tenant one."""
    return lambda tenants: [prepare(tenant) for tenant in tenants]


def _prepare_one(tenant: Tenant, prepare: PrepareChunk) -> tuple[Run, bool]:
    """Prepare and commit one tenant's run on its own (a rival may queue one at the same time)."""
    try:
        [(run, created)] = prepare([tenant])
        db.session.commit()
    except IntegrityError:  # someone else queued one at the same moment
        db.session.rollback()
        run, created = active_run(tenant), False
        if run is None:
            raise
    except Exception:
        db.session.rollback()
        raise
    return run, created


def queue_runs(tenants: list[Tenant], prepare: PrepareChunk) -> list[Run]:
    """Prepare a run per tenant and commit them in growing chunks, enqueueing each chunk's ids
    right after its commit, spread over the pools.

    Workers start on the first tenants of a bulk onboarding while the rest are still being
    queued. A chunk that fails (a rival's run, an invalid tenant) is rolled back and done again
    one tenant at a time, so every tenant before the failing one is queued, as if one by one.
    """
    with trail.chained_at_commit():  # the pools' locks first, the audit chain's at commit
        return _queue_runs(tenants, prepare)


def _queue_runs(tenants: list[Tenant], prepare: PrepareChunk) -> list[Run]:
    runs: list[Run] = []
    ready_to_send()
    for chunk in chunks(tenants):
        # A commit expired them (the last chunk's, or the caller's): one query reloads the
        # chunk, not one a tenant. Tenants loaded since are not read again.
        expired = [inspect(t).identity[0] for t in chunk if inspect(t).expired]
        if expired:
            db.session.scalars(select(Tenant).where(Tenant.id.in_(expired))).all()
        try:
            prepared = prepare(chunk)
            db.session.flush()
            ids = [
                (run.id, created, tenant.pool_id)
                for (run, created), tenant in zip(prepared, chunk, strict=True)
            ]
            db.session.commit()
        except Exception:
            db.session.rollback()
            for tenant in chunk:  # one by one, each sent before the next (which may fail)
                run, created = _prepare_one(tenant, prepare)
                runs.append(run)
                if created:
                    enqueue_run(run.id)
            continue
        # One query reloads the chunk's runs (expired by the commit), not one query a run.
        db.session.scalars(select(Run).where(Run.id.in_([i for i, _, _ in ids]))).all()
        runs += [run for run, _ in prepared]
        for run_id, created in spread_over_pools(ids):
            if created:
                enqueue_run(run_id)
    return runs


def queue_onboarding(tenants: list[Tenant]) -> list[Run]:
    """Queue a run per tenant (one per tenant however often asked), commit, then enqueue ids."""
    return queue_runs(tenants, prepare_runs)


def sweep_stale_runs(older_than: int | None = None) -> list[int]:
    """Re-send runs whose worker died or whose message was lost; claiming makes repeats harmless.

    A queued run is stale after OLDER_THAN seconds (default: PORTAL_STALE_QUEUED_SECONDS).
    """
    now = utcnow()
    if older_than is None:
        older_than = current_settings().stale_queued_seconds
    stale_queued = now - timedelta(seconds=older_than)
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
