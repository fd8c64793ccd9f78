"""Retention: remove only the oldest audit events, leaving a checkpoint the chain verifies from."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text

from portal.config import current_settings
from portal.extensions import db
from portal.models import AuditCheckpoint, AuditEvent, utcnow
from portal.models.audit import RETENTION_OPTION
from portal.services.audit import trail
from portal.services.audit.chain import RETENTION_ACTION, current_head, latest_checkpoint
from portal.services.audit.trail import lock_head

log = logging.getLogger("portal.audit")
BATCH = 50_000  # events removed per transaction, each batch with its own checkpoint


@dataclass(frozen=True)
class RetentionResult:
    retention_days: int | None
    cutoff: datetime | None
    removed: int
    checkpoints: list[int]

    def to_dict(self) -> dict:
        return {
            "retention_days": self.retention_days,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "removed": self.removed,
            "checkpoints": self.checkpoints,
        }


def apply_retention(now: datetime | None = None, batch: int = BATCH) -> RetentionResult:
    """Delete the events older than PORTAL_AUDIT_RETENTION_DAYS; nothing when it is unset."""
    days = current_settings().audit_retention_days
    if not days:
        return RetentionResult(None, None, 0, [])
    cutoff = (now or utcnow()) - timedelta(days=int(days))
    removed, checkpoints = 0, []
    # Only events that existed when the job began: never the job's own retention events.
    upto = current_head().event_id
    while upto is not None:
        checkpoint = _cut_once(cutoff, upto, int(days), batch)
        if checkpoint is None:
            break
        removed += checkpoint.removed
        checkpoints.append(checkpoint.id)
    if removed:
        log.info("audit retention removed %d events older than %s", removed, cutoff.isoformat())
    return RetentionResult(int(days), cutoff, removed, checkpoints)


def _cut_once(cutoff: datetime, upto: int, days: int, batch: int) -> AuditCheckpoint | None:
    """One batch in one transaction: checkpoint, audit event, then the delete itself."""
    lock_head()  # one cut at a time, and no event appended while we choose where to cut
    # Only a prefix of the chain may go: everything before the first event newer than the cutoff.
    first_kept = db.session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.at >= cutoff))
    older = [AuditEvent.id <= upto]
    if first_kept is not None:
        older.append(AuditEvent.id < first_kept)
    last_id = db.session.scalar(
        select(AuditEvent.id).where(*older).order_by(AuditEvent.id).offset(batch - 1).limit(1)
    )
    if last_id is None:  # fewer than a batch left: all of them
        last_id = db.session.scalar(select(func.max(AuditEvent.id)).where(*older))
    if last_id is None:
        db.session.rollback()
        return None
    last = db.session.get(AuditEvent, last_id)
    count = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= last_id)
    )
    previous = latest_checkpoint()
    checkpoint = AuditCheckpoint(
        retention_days=days,
        last_removed_id=last.id,
        last_removed_hash=last.hash,
        last_removed_at=last.at,
        removed=count,
        removed_total=(previous.removed_total if previous else 0) + count,
    )
    db.session.add(checkpoint)
    db.session.flush()
    # In the chain too: a checkpoint without its event is reported by `audit verify`.
    trail.record(
        RETENTION_ACTION,
        checkpoint_id=checkpoint.id,
        last_removed_id=checkpoint.last_removed_id,
        last_removed_hash=checkpoint.last_removed_hash,
        last_removed_at=checkpoint.last_removed_at.isoformat(),
        removed=count,
        removed_total=checkpoint.removed_total,
        retention_days=days,
    )
    db.session.flush()
    db.session.expunge_all()  # nothing of the rows about to go stays in the session
    if db.engine.dialect.name == "postgresql":
        done = db.session.execute(
            text("SELECT audit_retention_cut(:last)"), {"last": checkpoint.last_removed_id}
        ).scalar()
    else:
        done = db.session.execute(
            delete(AuditEvent).where(AuditEvent.id <= checkpoint.last_removed_id),
            execution_options={RETENTION_OPTION: True, "synchronize_session": False},
        ).rowcount
    assert done == count, (done, count)
    db.session.commit()
    return checkpoint
