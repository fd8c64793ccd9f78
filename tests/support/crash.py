"""Simulated worker deaths: a kill right after a Cognito call, and a lease that ran out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from portal.models import Run, utcnow
from portal.services.engine import execution


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, nothing catches it."""


def kill_after(monkeypatch, operation: str) -> None:
    """Kill the worker right after OPERATION succeeded in Cognito, before the step records it."""
    original = execution.LedgerRecorder.record

    def record(self, attempt):
        original(self, attempt)
        if attempt.operation == operation and attempt.outcome == "ok":
            raise Killed(operation)

    monkeypatch.setattr(execution.LedgerRecorder, "record", record)


def expire_lease(db, run_id: int) -> None:
    db.session.rollback()
    db.session.execute(
        update(Run).where(Run.id == run_id).values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
