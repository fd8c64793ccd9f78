"""API tokens (personal and application) and the idempotency keys of API requests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.tenants import Tenant
from portal.models.types import JSONType, UTCDateTime, utcnow
from portal.models.users import User


class TokenKind(StrEnum):
    """A personal token acts with its owner's role; an application token reads OIDC settings."""

    PERSONAL = "personal"
    APPLICATION = "application"


APPLICATION_ROLE = "application"

api_token_tenants = Table(
    "api_token_tenants",
    db.metadata,
    Column("token_id", ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(db.Model):
    """A bearer token: only the SHA-256 hash of its secret part is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # the id people see
    secret_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default=TokenKind.PERSONAL)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    all_tenants: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(300))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(300), default=None)

    user: Mapped[User | None] = relationship(lazy="joined")
    tenants: Mapped[list[Tenant]] = relationship(secondary=api_token_tenants, lazy="selectin")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def role(self) -> str:
        """The role the token acts with now: its owner's current role, or 'application'."""
        if self.kind == TokenKind.APPLICATION:
            return APPLICATION_ROLE
        return self.user.role if self.user is not None else ""

    @property
    def label(self) -> str:
        """How audit events name whoever used the token."""
        if self.kind == TokenKind.APPLICATION:
            return f"application token {self.prefix} ({self.name})"
        owner = self.user.email if self.user is not None else "deleted user"
        return f"{owner} via API token {self.prefix} ({self.name})"

    def may_read_tenant(self, slug: str) -> bool:
        """Application tokens are limited to their tenants unless made for all of them."""
        if self.kind != TokenKind.APPLICATION or self.all_tenants:
            return True
        return any(t.slug == slug for t in self.tenants)


class IdempotencyKey(db.Model):
    """A POST's Idempotency-Key and the response it got, replayed for a repeat of the request."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (
        UniqueConstraint("token_id", "key", name="uq_api_idempotency_keys_token_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body, hashed
    status_code: Mapped[int | None] = mapped_column(default=None)  # None: still in progress
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    response_headers: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
