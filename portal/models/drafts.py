"""What the new-tenant wizard knows about a draft beyond the tenant row itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.tenants import Tenant
from portal.models.types import UTCDateTime, utcnow


class WizardDraft(db.Model):
    """The wizard's progress for one tenant: which steps validated and the choices made."""

    __tablename__ = "wizard_drafts"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    completed: Mapped[int] = mapped_column(default=0)  # steps 1..completed have validated
    include_roles: Mapped[bool] = mapped_column(default=False)
    idp_by_customer: Mapped[bool] = mapped_column(default=False)
    started_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    tenant: Mapped[Tenant] = relationship()
