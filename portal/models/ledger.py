"""The ledger of every Cognito call the portal made, throttled attempts included."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class CognitoCall(db.Model):
    """One HTTP call to Cognito and how it ended."""

    __tablename__ = "cognito_calls"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("run_steps.id"))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    user_pool_id: Mapped[str | None] = mapped_column(String(55))
    operation: Mapped[str] = mapped_column(String(64))
    aws_request_id: Mapped[str | None] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(default=1)
    outcome: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    duration_ms: Mapped[int] = mapped_column(default=0)
