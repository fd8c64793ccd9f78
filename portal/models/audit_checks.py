"""What the audit chain's checks leave behind: verification results and retention checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.ledger import CognitoCall
from portal.models.types import UTCDateTime, utcnow

BIGINT = BigInteger().with_variant(db.Integer, "sqlite")


class AuditVerification(db.Model):
    """One walk of the chain: asked for by someone, run by a worker, its result kept for pages."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(
        String(16), default="queued"
    )  # queued|running|intact|broken|failed
    requested_by: Mapped[str] = mapped_column(String(300))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    events_checked: Mapped[int] = mapped_column(BIGINT, default=0)
    head_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    head_event_id: Mapped[int | None] = mapped_column(BIGINT, default=None)
    problem_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    problem_event_id: Mapped[int | None] = mapped_column(BIGINT, default=None)
    problem_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    problem: Mapped[str | None] = mapped_column(Text, default=None)


class AuditCheckpoint(db.Model):
    """Where retention cut the chain: the last removed event's hash lets the rest still verify."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retention_days: Mapped[int]
    last_removed_id: Mapped[int] = mapped_column(BIGINT, unique=True)
    last_removed_hash: Mapped[str] = mapped_column(String(64))
    last_removed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed: Mapped[int] = mapped_column(BIGINT)
    removed_total: Mapped[int] = mapped_column(BIGINT)


# The per-tenant timeline reads a tenant's Cognito calls in time order; the run page by step.
Index("ix_cognito_calls_tenant_id_started_at", CognitoCall.tenant_id, CognitoCall.started_at)
Index("ix_cognito_calls_step_id", CognitoCall.step_id)
