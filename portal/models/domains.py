"""E-mail domains a tenant claims; verified ones become its provider's IdpIdentifiers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, partial_unique_index, utcnow

if TYPE_CHECKING:
    from portal.models.tenants import Tenant


class DomainState(StrEnum):
    """Whether the tenant has shown that it controls the domain."""

    UNVERIFIED = "unverified"
    VERIFIED = "verified"


class VerifyMethod(StrEnum):
    """How a domain was verified."""

    DNS = "dns"  # the TXT record held the tenant's token
    MANUAL = "manual"  # staff verified it by hand, with a reason


class TenantDomain(db.Model):
    """One claimed e-mail domain; at most one tenant holds a domain verified (first wins)."""

    __tablename__ = "tenant_domains"
    __table_args__ = (
        UniqueConstraint("tenant_id", "domain", name="uq_tenant_domains_tenant_domain"),
        # Cognito wants IdpIdentifiers unique in a pool; the portal keeps them unique everywhere,
        # so a tenant can move between pools. Unverified claims never block anybody.
        partial_unique_index("uq_tenant_domains_verified_domain", "domain", "state = 'verified'"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    domain: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), default=DomainState.UNVERIFIED)
    # An identifier Cognito held before claims were verified: kept there until staff decide.
    legacy: Mapped[bool] = mapped_column(default=False)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(300))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    check_result: Mapped[str | None] = mapped_column(String(300), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    verified_by: Mapped[str | None] = mapped_column(String(300), default=None)
    method: Mapped[str | None] = mapped_column(String(16), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)

    tenant: Mapped[Tenant] = relationship(back_populates="domains")

    @property
    def in_cognito(self) -> bool:
        """Whether the domain belongs in the provider's IdpIdentifiers."""
        return self.state == DomainState.VERIFIED or self.legacy

    @property
    def state_label(self) -> str:
        if self.state == DomainState.VERIFIED:
            return "verified"
        return "unverified (kept from before verification)" if self.legacy else "unverified"

    def to_dict(self) -> dict[str, object]:
        """What staff, the API and the CLI see; `state` is verified or unverified."""
        return {
            "domain": self.domain,
            "state": self.state,
            "in_cognito": self.in_cognito,
            "legacy": self.legacy,
            "method": self.method,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "check_result": self.check_result,
        }
