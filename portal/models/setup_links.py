"""Setup links that let a customer's IT admin enter and test their IdP, and the tests they run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.tenants import Tenant
from portal.models.types import JSONType, UTCDateTime, partial_unique_index, utcnow


class LinkState(StrEnum):
    """What a setup link can still do."""

    ACTIVE = "active"  # accepts IdP settings (or shows progress of the ones it took)
    USED = "used"  # its settings made the tenant ready: shows status and the test sign-in
    EXPIRED = "expired"
    REVOKED = "revoked"


class SetupLink(db.Model):
    """A link to the customer's setup page; only the SHA-256 of its token is kept."""

    __tablename__ = "setup_links"
    __table_args__ = (
        # At most one link per tenant that has not been revoked: a new link replaces the old.
        partial_unique_index(
            "uq_setup_links_one_active_per_tenant", "tenant_id", "revoked_at IS NULL"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(300), default=None)
    revoke_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    submissions: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sent_to: Mapped[str | None] = mapped_column(String(254), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    tenant: Mapped[Tenant] = relationship(lazy="joined")

    def state(self, now: datetime | None = None) -> LinkState:
        """Revoked, expired, used or active; a link revoked after it expired counts as expired."""
        now = now or utcnow()
        if self.revoked_at is not None and self.revoked_at < self.expires_at:
            return LinkState.REVOKED
        if now >= self.expires_at or self.revoked_at is not None:
            return LinkState.EXPIRED
        if self.used_at is not None:
            return LinkState.USED
        return LinkState.ACTIVE


class SignInOutcome(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"  # signed in and every expected claim arrived: the tenant is verified
    CLAIMS_MISSING = "claims_missing"  # signed in, but e-mail, groups or roles did not arrive
    FAILED = "failed"


class SignInTest(db.Model):
    """One test sign-in through Cognito to the tenant's IdP, and what came back."""

    __tablename__ = "signin_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    setup_link_id: Mapped[int | None] = mapped_column(ForeignKey("setup_links.id"), default=None)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64), default=None)
    actor_label: Mapped[str] = mapped_column(String(300))
    # state and nonce only need comparing: hashes. The PKCE verifier must be sent: encrypted.
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce_hash: Mapped[str] = mapped_column(String(64))
    code_verifier_encrypted: Mapped[bytes | None] = mapped_column(default=None)
    # The link's token, encrypted, only to offer a way back to the setup page; purged at the end.
    return_token_encrypted: Mapped[bytes | None] = mapped_column(default=None)
    client_id: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16), default=SignInOutcome.PENDING, index=True)
    claims: Mapped[dict | None] = mapped_column(JSONType, default=None)
    error_code: Mapped[str | None] = mapped_column(String(128), default=None)
    error_description: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    tenant: Mapped[Tenant] = relationship(lazy="joined")
