"""Drift findings and pool moves: the records of a tenant's life after day one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.pools import UserPool
from portal.models.types import JSONType, UTCDateTime, utcnow


class DriftStatus(StrEnum):
    OPEN = "open"
    REPAIRED = "repaired"
    ACCEPTED = "accepted"
    GONE = "gone"  # no longer differs (someone put it back)


class DriftFinding(db.Model):
    """One difference between what Cognito holds and what the tenant needs."""

    __tablename__ = "drift_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    resource: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(String(128))
    live_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    desired_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=DriftStatus.OPEN, index=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(300), default=None)

    def describe(self) -> str:
        if self.field is None:
            return f"{self.resource}: {self.action} needed"
        return (
            f"{self.resource} {self.field}: Cognito has {self.live_value!r}, "
            f"wanted {self.desired_value!r}"
        )


class MoveState(StrEnum):
    PROVISIONING = "provisioning"  # resources being made in the new pool
    SWITCHING = "switching"  # new resources ready; the vendor and customer switch over
    CLEANING = "cleaning"  # old resources being removed
    DONE = "done"


class TenantMove(db.Model):
    """A tenant moving to another pool: new resources first, the old ones removed last."""

    __tablename__ = "tenant_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    from_pool_id: Mapped[int] = mapped_column(ForeignKey("user_pools.id"))
    to_pool_id: Mapped[int] = mapped_column(ForeignKey("user_pools.id"))
    old_client_id: Mapped[str | None] = mapped_column(String(128))
    old_client_name: Mapped[str] = mapped_column(String(128))
    old_branding_id: Mapped[str | None] = mapped_column(String(64))
    old_provider_name: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=MoveState.PROVISIONING)
    reason: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    from_pool: Mapped[UserPool] = relationship(foreign_keys=[from_pool_id], lazy="joined")
    to_pool: Mapped[UserPool] = relationship(foreign_keys=[to_pool_id], lazy="joined")
