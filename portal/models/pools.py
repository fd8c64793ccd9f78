"""User pools registered with the portal, and their quotas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import JSONType, UTCDateTime, utcnow

DEFAULT_MAX_CLIENTS = 1000  # adjustable by AWS on request
DEFAULT_MAX_IDENTITY_PROVIDERS = 300  # adjustable by AWS on request
MAX_STYLES = 20  # managed-login styles per pool, fixed by AWS
MAX_CUSTOM_ATTRIBUTES = 50  # fixed by AWS


class UserPool(db.Model):
    """A Cognito user pool the portal may place tenants in."""

    __tablename__ = "user_pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_pool_id: Mapped[str] = mapped_column(String(55), unique=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    domain: Mapped[str] = mapped_column(String(255))
    custom_domain: Mapped[bool] = mapped_column(default=False)
    managed_login_version: Mapped[int] = mapped_column(default=1)
    feature_plan: Mapped[str] = mapped_column(String(16), default="ESSENTIALS")
    max_clients: Mapped[int] = mapped_column(default=DEFAULT_MAX_CLIENTS)
    max_identity_providers: Mapped[int] = mapped_column(default=DEFAULT_MAX_IDENTITY_PROVIDERS)
    # Resources the pool held when registered that no tenant of ours owns.
    baseline_clients: Mapped[int] = mapped_column(default=0)
    baseline_identity_providers: Mapped[int] = mapped_column(default=0)
    baseline_styles: Mapped[int] = mapped_column(default=0)
    custom_attributes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    closed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def needs_styles(self) -> bool:
        """Managed login (version 2) needs a style per client; the classic hosted UI does not."""
        return self.managed_login_version >= 2

    @property
    def cognito_domain_url(self) -> str:
        """The hosted domain's base URL handed to the vendor's application."""
        from portal.cognito.partitions import hosted_ui_host

        if self.custom_domain:
            return f"https://{self.domain}"
        return f"https://{hosted_ui_host(self.domain, self.region)}"

    @property
    def issuer(self) -> str:
        from portal.cognito.partitions import issuer_url

        return issuer_url(self.region, self.user_pool_id)
