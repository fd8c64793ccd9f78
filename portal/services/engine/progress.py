"""What the progress page shows of a tenant's run, and waiting (a long poll) until that changes."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import select

from portal.config import current_settings
from portal.extensions import db
from portal.models import Run, Step, Tenant
from portal.services.engine.notices import Listener


def fingerprint(tenant_id: int) -> str:
    """A short token of everything the progress fragment shows; it changes when any of it does."""
    status = db.session.scalar(select(Tenant.status).where(Tenant.id == tenant_id))
    run = db.session.execute(
        select(Run.id, Run.status)
        .where(Run.tenant_id == tenant_id)
        .order_by(Run.id.desc())
        .limit(1)
    ).first()
    parts = [str(status), repr(tuple(run) if run else None)]
    if run is not None:
        parts += [
            repr(tuple(row))
            for row in db.session.execute(
                select(Step.status, Step.attempts, Step.outcome, Step.error_code)
                .where(Step.run_id == run.id)
                .order_by(Step.position)
            )
        ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def wait_for_change(tenant_id: int, since: str, hold: float | None = None) -> str:
    """Return the fingerprint once it differs from SINCE, or after HOLD s; woken by notices.

    No transaction stays open while waiting (SQLite writers would wait on it), and without a
    notice the state is re-read every PORTAL_RUN_WAIT_POLL_SECONDS.
    """
    if hold is None:
        hold = current_settings().progress_hold_seconds
    deadline = time.monotonic() + hold
    with Listener() as listener:  # opened before the read, so no change slips between
        while True:
            current = fingerprint(tenant_id)
            db.session.rollback()  # end the read transaction before waiting
            remaining = deadline - time.monotonic()
            if current != since or remaining <= 0:
                return current
            listener.wait(remaining)
