"""Ledger recorders for Cognito calls made outside a run (reads and the audited reveal)."""

from __future__ import annotations

from portal.cognito.gateway import CallAttempt
from portal.extensions import db
from portal.models import CognitoCall


def ledger_row(
    attempt: CallAttempt,
    tenant_id: int | None,
    run_id: int | None = None,
    step_id: int | None = None,
) -> CognitoCall:
    """The ledger row of one attempt (what, where, how it ended; never a parameter)."""
    return CognitoCall(
        run_id=run_id,
        step_id=step_id,
        tenant_id=tenant_id,
        user_pool_id=attempt.user_pool_id,
        operation=attempt.operation,
        aws_request_id=attempt.aws_request_id,
        attempt=attempt.attempt,
        outcome=attempt.outcome,
        error_code=attempt.error_code,
        started_at=attempt.started_at,
        duration_ms=attempt.duration_ms,
    )


class TenantCallRecorder:
    """Records each attempt under the tenant it was made for."""

    def __init__(self, tenant_id: int | None) -> None:
        self.tenant_id = tenant_id

    def record(self, attempt: CallAttempt) -> None:
        db.session.add(ledger_row(attempt, self.tenant_id))
        db.session.commit()

    def before_write(self, operation: str) -> None:
        return None
