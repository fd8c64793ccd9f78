"""Tenants: the vendor's customers, each with its own identity provider."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.domains import TenantDomain
from portal.models.pools import UserPool
from portal.models.types import JSONType, UTCDateTime, utcnow


class TenantStatus(StrEnum):
    """Where a tenant stands in its lifecycle."""

    DRAFT = "draft"
    QUEUED = "queued"
    PROVISIONING = "provisioning"
    READY = "ready"
    FAILED = "failed"
    OFFBOARDING = "offboarding"
    OFFBOARDED = "offboarded"


class RotationState(StrEnum):
    """Where a rotation of the Cognito client secret stands."""

    ADDING = "adding"  # the new secret is being added beside the old one
    BOTH_ACTIVE = "both_active"  # both work; the vendor's application switches now
    RETIRING = "retiring"  # the old secret is being deleted
    CANCELLING = "cancelling"  # the new secret is being withdrawn


DEFAULT_SCOPES = "openid email"
DEFAULT_GROUPS_CLAIM = "groups"
NO_GROUPS_CLAIM = ""  # the IdP sends no groups (Google Workspace): custom:groups is not mapped
DEFAULT_EMAIL_ATTRIBUTE = "email"


class ProviderType(StrEnum):
    """The kind of identity provider the customer runs (Cognito's ProviderType)."""

    OIDC = "OIDC"
    SAML = "SAML"


class Tenant(db.Model):
    """One customer of the vendor and the Cognito resources it owns."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=TenantStatus.DRAFT, index=True)
    contact_email: Mapped[str | None] = mapped_column(String(254), default=None)
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("user_pools.id"), index=True)
    pool_pinned: Mapped[bool] = mapped_column(default=False)
    callback_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    logout_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)

    # The customer's IdP. The secret is encrypted and purged once Cognito holds it.
    issuer: Mapped[str | None] = mapped_column(String(2048), default=None)
    idp_client_id: Mapped[str | None] = mapped_column(String(255), default=None)
    idp_client_secret_encrypted: Mapped[bytes | None] = mapped_column(default=None)
    idp_secret_in_cognito: Mapped[bool] = mapped_column(default=False)
    authorize_scopes: Mapped[str] = mapped_column(String(1024), default=DEFAULT_SCOPES)
    groups_claim: Mapped[str] = mapped_column(String(128), default=DEFAULT_GROUPS_CLAIM)
    roles_claim: Mapped[str | None] = mapped_column(String(128), default=None)
    # The IdP claim mapped to email_verified; None leaves federated users unverified.
    email_verified_claim: Mapped[str | None] = mapped_column(String(128), default=None)
    attributes_request_method: Mapped[str] = mapped_column(String(4), default="GET")
    # The TXT value that proves a claimed e-mail domain is the tenant's (portal/services/domains).
    domain_token: Mapped[str | None] = mapped_column(String(64), default=None)
    provider_type: Mapped[str] = mapped_column(
        String(8), default=ProviderType.OIDC, server_default=ProviderType.OIDC
    )
    # The attribute carrying the e-mail address (SAML IdPs often send a URI such as Entra's
    # http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress); OIDC sends `email`.
    email_attribute: Mapped[str] = mapped_column(
        String(128), default=DEFAULT_EMAIL_ATTRIBUTE, server_default=DEFAULT_EMAIL_ATTRIBUTE
    )

    # A SAML IdP: its metadata (the URL it came from, if any, and the document last checked),
    # the options Cognito offers, and the signing certificates' expiry watched over time.
    saml_metadata_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    saml_metadata_xml: Mapped[str | None] = mapped_column(Text, default=None)
    saml_metadata_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    saml_entity_id: Mapped[str | None] = mapped_column(String(1024), default=None, index=True)
    saml_sign_requests: Mapped[bool] = mapped_column(default=False, server_default=false())
    saml_encrypted_responses: Mapped[bool] = mapped_column(default=False, server_default=false())
    saml_idp_signout: Mapped[bool] = mapped_column(default=False, server_default=false())
    saml_idp_initiated: Mapped[bool] = mapped_column(default=False, server_default=false())
    saml_cert_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    saml_cert_reminded_days: Mapped[int | None] = mapped_column(default=None)
    saml_metadata_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The provider a switch between OIDC and SAML replaces: deleted once the client has moved.
    retired_provider_name: Mapped[str | None] = mapped_column(String(32), default=None)
    # Every name this tenant's provider had before: never given to a provider again.
    former_provider_names: Mapped[list[str]] = mapped_column(
        JSONType, default=list, server_default="[]"
    )
    # When the verified domains last changed: a run made before then must be followed by one.
    domains_changed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None, index=True
    )

    # Cognito resources this tenant owns. Names are chosen once and never reused.
    provider_name: Mapped[str] = mapped_column(String(32), unique=True)
    client_name: Mapped[str] = mapped_column(String(128), unique=True)
    client_id: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    client_create_started: Mapped[bool] = mapped_column(default=False)
    provider_created: Mapped[bool] = mapped_column(default=False)
    branding_id: Mapped[str | None] = mapped_column(String(64), default=None)

    # The customer's IdP secret may expire (Entra ID secrets do); staff are reminded before.
    idp_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    idp_secret_reminded_days: Mapped[int | None] = mapped_column(default=None)

    # Rotating the Cognito client secret: the portal supplies the new value and keeps it,
    # encrypted, only until the old secret is retired.
    secret_rotation_state: Mapped[str | None] = mapped_column(String(16), default=None)
    new_client_secret_encrypted: Mapped[bytes | None] = mapped_column(default=None)
    new_client_secret_id: Mapped[str | None] = mapped_column(String(128), default=None)
    old_client_secret_id: Mapped[str | None] = mapped_column(String(128), default=None)
    secret_rotation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The secret a rotation supplied, kept (encrypted) only if DescribeUserPoolClient does not
    # return it: what Cognito answers for a caller-supplied secret is undocumented.
    client_secret_kept_encrypted: Mapped[bytes | None] = mapped_column(default=None)

    remove_federated_users: Mapped[bool] = mapped_column(default=False, server_default=false())
    offboarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    drift_checked_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None, index=True
    )
    drift_detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # A tenant onboarded by hand before the portal: the configuration Cognito held when it was
    # adopted is its desired state (see portal.cognito.adopted) until brought to the standard.
    adopted_config: Mapped[dict | None] = mapped_column(JSONType, default=None)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Settings changed but not applied yet: shown as pending, not reported as drift.
    pending_changes_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    verified_by: Mapped[str | None] = mapped_column(String(254), default=None)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    pool: Mapped[UserPool | None] = relationship(lazy="joined")
    domains: Mapped[list[TenantDomain]] = relationship(
        back_populates="tenant",
        cascade="all, delete-orphan",
        order_by="TenantDomain.domain",
        lazy="selectin",  # one query for a whole page of tenants, not one per tenant
    )

    @property
    def idp_identifiers(self) -> list[str]:
        """The provider's IdpIdentifiers: verified domains, and those Cognito held before."""
        return [d.domain for d in self.domains if d.in_cognito]

    @property
    def is_saml(self) -> bool:
        return self.provider_type == ProviderType.SAML

    @property
    def has_idp_settings(self) -> bool:
        """The IdP is fully described, including a secret unless Cognito holds it already."""
        if self.is_saml:
            return bool(self.saml_metadata_xml)
        has_secret = self.idp_client_secret_encrypted is not None or self.idp_secret_in_cognito
        return bool(self.issuer and self.idp_client_id and has_secret)

    @property
    def idp_redirect_uri(self) -> str | None:
        """The redirect URI the customer registers at their IdP."""
        if self.pool is None:
            return None
        if self.is_saml:
            return self.saml_acs_url
        return f"{self.pool.cognito_domain_url}/oauth2/idpresponse"

    @property
    def saml_entity_id_sp(self) -> str | None:
        """The entity ID (audience) the customer registers for Cognito: one per user pool."""
        return f"urn:amazon:cognito:sp:{self.pool.user_pool_id}" if self.pool else None

    @property
    def saml_acs_url(self) -> str | None:
        """The assertion consumer service (reply) URL the customer registers."""
        return f"{self.pool.cognito_domain_url}/saml2/idpresponse" if self.pool else None

    @property
    def saml_logout_url(self) -> str | None:
        """Where the customer's IdP sends sign-out responses (IdP sign-out only)."""
        return f"{self.pool.cognito_domain_url}/saml2/logout" if self.pool else None
