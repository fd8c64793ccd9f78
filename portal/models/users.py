"""Portal users and their roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class Role(StrEnum):
    """What a portal user may do: admins manage, staff onboard, auditors read."""

    ADMIN = "admin"
    STAFF = "staff"
    AUDITOR = "auditor"


class User(db.Model):
    """A person who signs in to the portal (Flask-Login's user interface, without importing it
    where no page is served)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(default=None)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    is_anonymous = False

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled users
        return self.is_enabled

    @property
    def is_authenticated(self) -> bool:
        return self.is_active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles
