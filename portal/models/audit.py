"""Append-only, hash-chained audit events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import db
from portal.models.types import JSONType, UTCDateTime, utcnow


class AuditEvent(db.Model):
    """Who did what to which tenant, when and from where; never edited, never deleted."""

    __tablename__ = "audit_events"
    # Keyset pagination (WHERE <filter> AND id < :cursor ORDER BY id DESC) reads one index range.
    __table_args__ = (
        Index("ix_audit_events_tenant_id_id", "tenant_id", "id"),
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_actor_label_id", "actor_label", "id"),
        Index("ix_audit_events_actor_type_id", "actor_type", "id"),
        Index("ix_audit_events_request_id", "request_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_label: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    request_id: Mapped[str | None] = mapped_column(String(64))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(db.Model):
    """The newest event's hash; its single row is also the lock that serialises appends."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    last_event_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(db.Integer, "sqlite")
    )
    events: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), default=0)


class AuditImmutableError(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    raise AuditImmutableError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise AuditImmutableError("audit events are append-only")


# Bulk statements (session.execute(update(AuditEvent)) / delete(AuditEvent)) bypass the mapper
# events above; only the retention job may delete, and it says so with this execution option.
RETENTION_OPTION = "audit_retention_cut"


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    if any(mapper.class_ is AuditEvent for mapper in state.all_mappers):
        if state.is_delete and state.execution_options.get(RETENTION_OPTION):
            return
        raise AuditImmutableError("audit events are append-only")
