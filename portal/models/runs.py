"""Provisioning runs and their per-step records."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, partial_unique_index, utcnow


class RunKind(StrEnum):
    """Why a run exists: every kind is a reconcile towards some desired state."""

    ONBOARD = "onboard"
    RECONCILE = "reconcile"
    OFFBOARD = "offboard"
    ROTATE_SECRET = "rotate_secret"  # noqa: S105 - a run kind, not a password
    RETIRE_SECRET = "retire_secret"  # noqa: S105
    CANCEL_ROTATION = "cancel_rotation"
    MOVE = "move"
    FINISH_MOVE = "finish_move"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class Run(db.Model):
    """One attempt to bring a tenant's Cognito resources to the desired state."""

    __tablename__ = "runs"
    __table_args__ = (
        # At most one queued or running run per tenant: two staff clicking at once make one run.
        partial_unique_index(
            "uq_runs_one_active_per_tenant", "tenant_id", "status IN ('queued', 'running')"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=RunKind.ONBOARD)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED, index=True)
    actor: Mapped[str] = mapped_column(String(300))
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    worker: Mapped[str | None] = mapped_column(String(128), default=None)
    claims: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    steps: Mapped[list[Step]] = relationship(
        back_populates="run", order_by="Step.position", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES


class Step(db.Model):
    """One of a run's steps, with what it did and, on failure, why."""

    __tablename__ = "run_steps"
    __table_args__ = (UniqueConstraint("run_id", "name", name="uq_run_steps_run_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=StepStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)

    run: Mapped[Run] = relationship(back_populates="steps")
