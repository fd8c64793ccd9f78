"""What the progress page shows of a tenant's run, and waiting (a long poll) until that changes."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import select

from portal.config import current_settings
from portal.extensions import db
from portal.models import Run, Tenant
from portal.services.engine.notices import Listener


def token(tenant_status: str, run: Run | None) -> str:
    """A short token of everything the progress fragment shows; it changes when any of it does."""
    parts = [str(tenant_status), repr((run.id, run.status) if run else None)]
    if run is not None:
        parts += [repr((s.status, s.attempts, s.outcome, s.error_code)) for s in run.steps]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def latest(tenant_id: int) -> tuple[Run | None, Tenant]:
    """The tenant's newest run, then the tenant: read in that order, a worker committing in
    between shows an active run beside a finished tenant (asked again at once), never a
    finished run beside a tenant still provisioning."""
    run = db.session.scalar(
        select(Run).where(Run.tenant_id == tenant_id).order_by(Run.id.desc()).limit(1)
    )
    if run is not None:
        run.steps  # noqa: B018 - loaded now, before the tenant
    return run, db.session.get(Tenant, tenant_id, populate_existing=True)


def fingerprint(tenant_id: int) -> str:
    run, tenant = latest(tenant_id)
    return token(tenant.status, run)


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
