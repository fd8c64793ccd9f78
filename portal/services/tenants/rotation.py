"""What staff must know before a risky step of a client-secret rotation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Tenant

NEW_MARK = "new"  # secret.revealed records which="new (...)" while two secrets exist


@dataclass(frozen=True)
class Handover:
    """One reveal or download of the new secret."""

    at: datetime
    by: str
    purpose: str


def new_secret_handovers(tenant: Tenant) -> list[Handover]:
    """Reveals and downloads of the new secret since this rotation started, oldest first."""
    if tenant.secret_rotation_started_at is None:
        return []
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.tenant_id == tenant.id,
            AuditEvent.action == "secret.revealed",
            AuditEvent.at >= tenant.secret_rotation_started_at,
        )
        .order_by(AuditEvent.id)
    )
    return [
        Handover(e.at, e.actor_label, str(e.details.get("purpose") or "revealed"))
        for e in events
        if str(e.details.get("which") or "").startswith(NEW_MARK)
    ]
