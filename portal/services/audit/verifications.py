"""Verifications of the audit chain: asked for by auditors, run by workers, kept for the pages."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, bindparam, func, literal, select

from portal.extensions import db
from portal.models import AuditChainHead, AuditCheckpoint, AuditVerification, utcnow
from portal.observability.context import message_headers
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.services.audit.chain import (
    ChainHead,
    ChainReport,
    ExpectedHead,
    head_of,
    verify_chain,
)
from portal.services.audit.trail import HEAD_ID
from portal.workers import celery_of

log = logging.getLogger("portal.audit")
VERIFY_TASK = "portal.verify_audit_chain"
ACTIVE = ("queued", "running")
FINISHED = ("intact", "broken", "failed")
STALLED_AFTER = timedelta(hours=1)  # a verification still "running" after this lost its worker


def _finished() -> ColumnElement[bool]:
    return AuditVerification.status.in_(FINISHED)


def _stalled_before() -> datetime:
    """A verification asked for before this and still active lost its worker."""
    return utcnow() - STALLED_AFTER


def _pending(stalled_before: Any = None) -> ColumnElement[bool]:
    """Queued or running (one that lost its worker long ago is not); STALLED_BEFORE: a bound
    parameter, or now's cutoff."""
    cutoff = _stalled_before() if stalled_before is None else stalled_before
    return AuditVerification.status.in_(ACTIVE) & (AuditVerification.requested_at > cutoff)


def _newest(condition: ColumnElement[bool]) -> AuditVerification | None:
    return db.session.scalar(
        select(AuditVerification).where(condition).order_by(AuditVerification.id.desc()).limit(1)
    )


def latest_result() -> AuditVerification | None:
    """The newest finished verification."""
    return _newest(_finished())


def pending_verification() -> AuditVerification | None:
    """A verification still queued or running."""
    return _newest(_pending())


@dataclass(frozen=True)
class ChainState:
    """What the log's chain card shows: the head, the latest retention checkpoint, the newest
    finished verification and the one under way."""

    head: ChainHead
    checkpoint: AuditCheckpoint | None
    result: AuditVerification | None
    pending: AuditVerification | None


@functools.cache
def _chain_state_query() -> Select:
    """chain_state's statement, built once: building its subqueries each time was a fifth of
    its Python on every page of the log. The pending one's cutoff is bound per call."""
    newest = [
        select(func.max(AuditVerification.id)).where(c).scalar_subquery()
        for c in (_finished(), _pending(bindparam("stalled_before")))
    ]
    newest_checkpoint = select(func.max(AuditCheckpoint.id)).scalar_subquery()
    return (
        select(AuditChainHead, AuditCheckpoint, AuditVerification)
        .select_from(select(literal(1).label("one")).subquery())
        .outerjoin(AuditChainHead, AuditChainHead.id == HEAD_ID)
        .outerjoin(AuditCheckpoint, AuditCheckpoint.id == newest_checkpoint)
        .outerjoin(AuditVerification, AuditVerification.id.in_(newest))
        .execution_options(populate_existing=True)
    )


def chain_state() -> ChainState:
    """The chain card's facts in one query, not three: every page of the log shows them."""
    rows = db.session.execute(_chain_state_query(), {"stalled_before": _stalled_before()}).all()
    found = [v for _, _, v in rows if v is not None]
    return ChainState(
        head_of(rows[0][0]),
        rows[0][1],
        next((v for v in found if v.status in FINISHED), None),
        next((v for v in found if v.status in ACTIVE), None),
    )


def result_dict(verification: AuditVerification | None) -> dict[str, Any]:
    """The latest verification, as exports record it."""
    if verification is None:
        return {"status": "never verified"}
    return {
        "id": verification.id,
        "status": verification.status,
        "finished_at": verification.finished_at.isoformat() if verification.finished_at else None,
        "events_checked": verification.events_checked,
        "head_hash": verification.head_hash,
        "head_event_id": verification.head_event_id,
        "problem_kind": verification.problem_kind,
        "problem_event_id": verification.problem_event_id,
        "problem": verification.problem,
    }


def request_verification() -> tuple[AuditVerification, bool]:
    """Queue a verification for a worker (unless one is under way); audited. True if new."""
    pending = pending_verification()
    if pending is not None:
        return pending, False
    verification = AuditVerification(status="queued", requested_by=current_actor().label[:300])
    db.session.add(verification)
    db.session.flush()
    trail.record("audit.verification_requested", verification_id=verification.id)
    db.session.commit()
    try:
        # The id only; the request id rides in the headers, so the result links to the request.
        celery_of(current_app).send_task(
            VERIFY_TASK, args=[verification.id], headers=message_headers()
        )
    except Exception as exc:  # the broker is down: say so rather than spin forever
        verification.status, verification.finished_at = "failed", utcnow()
        verification.problem = f"could not reach the task queue ({type(exc).__name__})"
        db.session.commit()
    return verification, True


def run_verification(
    verification_id: int | None = None, expect: ExpectedHead | None = None
) -> tuple[AuditVerification, ChainReport | None]:
    """Carry out a requested verification (or a new one), store its result and audit it."""
    verification = (
        db.session.get(AuditVerification, verification_id) if verification_id is not None else None
    )
    if verification is not None and verification.status in FINISHED:
        return verification, None  # delivered twice: the result is there already
    if verification is None:
        verification = AuditVerification(requested_by=current_actor().label[:300])
        db.session.add(verification)
    verification.status, verification.started_at = "running", utcnow()
    db.session.commit()
    try:
        report = verify_chain(expect)
    except Exception as exc:
        db.session.rollback()
        verification.status, verification.finished_at = "failed", utcnow()
        verification.problem = f"the verification itself failed: {type(exc).__name__}"
        trail.record(
            "audit.verified", verification_id=verification.id, status="failed", error=str(exc)
        )
        db.session.commit()
        raise
    _store(verification, report)
    trail.record(
        "audit.verified",
        verification_id=verification.id,
        status=verification.status,
        events_checked=report.checked,
        head=report.head.to_dict(),
        expected_head=str(expect) if expect else None,
        problem=report.problem.to_dict() if report.problem else None,
    )
    db.session.commit()
    if report.problem is not None:
        log.error("audit chain broken: %s", report.problem.message)
    return verification, report


def _store(verification: AuditVerification, report: ChainReport) -> None:
    verification.status = "intact" if report.ok else "broken"
    verification.finished_at = report.finished_at
    verification.events_checked = report.checked
    verification.head_hash = report.head.hash
    verification.head_event_id = report.head.event_id
    problem = report.problem
    verification.problem_kind = problem.kind if problem else None
    verification.problem_event_id = problem.event_id if problem else None
    verification.problem_at = problem.at if problem else None
    verification.problem = problem.message if problem else None
