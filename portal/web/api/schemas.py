"""The API's request and response bodies as pydantic models; the OpenAPI schemas come from these."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from portal.cognito.redirect_urls import MAX_URL_LENGTH
from portal.models import RunKind, RunStatus, StepStatus, TenantStatus
from portal.services.audit.query import ACTOR_TYPES
from portal.validation import REDIRECT_URL_RULE, check_redirect_url
from portal.validation import ValidationError as PortalValidationError

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$"
NO_CONTROLS = r"^[^\x00-\x1f\x7f]*$"

Slug = Annotated[
    str,
    Field(
        min_length=3,
        max_length=32,
        pattern=SLUG_PATTERN,
        description="3 to 32 lowercase letters, digits and single hyphens.",
        examples=["acme-corp"],
    ),
]
Text = Annotated[str, Field(pattern=NO_CONTROLS)]


def _redirect_url(value: str) -> str:
    try:
        return check_redirect_url(value)
    except PortalValidationError as error:
        raise ValueError(error.message) from None


Url = Annotated[
    str,
    AfterValidator(_redirect_url),
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description=f"A callback or logout URL: {REDIRECT_URL_RULE}.",
        examples=["https://app.example.com/oidc/callback"],
    ),
]
IssuerUrl = Annotated[
    str,
    Field(
        min_length=8,
        max_length=2048,
        pattern=r"^https?://[^\s#\x00-\x1f\x7f]+$",
        description="The customer's OIDC issuer; its discovery document is checked.",
        examples=["https://login.acme.example/oauth2/default"],
    ),
]
Email = Annotated[
    str,
    Field(
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$",
        examples=["it@acme.example"],
    ),
]
Claim = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_:.\-/]+$")]

# Friendlier words than "String should match pattern ..." for the fields with a pattern.
PATTERN_HINTS = {
    "slug": "use 3 to 32 lowercase letters, digits and single hyphens (for example acme-corp)",
    "issuer": "the issuer must be an absolute https URL",
    "contact_email": "this is not an e-mail address",
    "groups_claim": "use letters, digits and _ : . - / only",
    "roles_claim": "use letters, digits and _ : . - / only",
    "email_attribute": "use letters, digits and _ : . - / only",
    "groups_attribute": "use letters, digits and _ : . - / only",
    "roles_attribute": "use letters, digits and _ : . - / only",
    "metadata_url": "the metadata URL must be an absolute https URL",
}


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid")


# --- problems ----------------------------------------------------------------------------------


class FieldError(BaseModel):
    field: str = Field(description="The input the message is about (dotted for nested fields).")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "RFC 9457 problem details. `type` is `about:blank` for plain HTTP "
            "errors, otherwise a `urn:portal:problem:*` URN naming the kind of problem."
        }
    )

    type: str = "about:blank"
    title: str
    status: int = Field(ge=100, le=599)
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="Field-level details of a validation problem."
    )
    request_id: str | None = None


# --- tenants ---------------------------------------------------------------------------------


class TenantCreate(Strict):
    slug: Slug
    name: Annotated[Text, Field(min_length=1, max_length=128, examples=["Acme Corp"])]
    callback_urls: Annotated[list[Url], Field(min_length=1, max_length=99)]
    logout_urls: Annotated[list[Url], Field(max_length=99)] = []
    contact_email: Email | None = None
    user_pool_id: Annotated[Text, Field(min_length=1, max_length=55)] | None = Field(
        default=None, description="Pin the tenant to this registered user pool."
    )


class IdpSettingsIn(Strict):
    issuer: IssuerUrl
    client_id: Annotated[Text, Field(min_length=1, max_length=255)]
    client_secret: Annotated[Text, Field(min_length=1, max_length=2048)] | None = Field(
        default=None,
        description="Encrypted at rest, sent to Cognito, then purged; never returned. May be "
        "left out only when Cognito already holds the current secret.",
        json_schema_extra={"writeOnly": True},
    )
    scopes: Annotated[Text, Field(min_length=6, max_length=1024)] | None = Field(
        default=None, description='Authorize scopes, space separated (default "openid email").'
    )
    groups_claim: Claim | Literal[""] | None = Field(
        default=None,
        description='The groups claim (default "groups"); "" when the IdP sends no groups '
        "(Google Workspace): custom:groups is then not mapped. Left out: kept as it is.",
    )
    roles_claim: Claim | None = None
    email_verified_claim: Claim | None = Field(
        default=None,
        description="The IdP claim mapped to Cognito's email_verified (usually email_verified); "
        "unmapped, Cognito marks federated users unverified.",
    )
    attributes_request_method: Literal["GET", "POST"] | None = None


class SamlIdpSettingsIn(Strict):
    metadata_url: IssuerUrl | None = Field(
        default=None,
        description="The IdP's SAML metadata URL (https); fetched and checked, then given to "
        "Cognito, which refreshes it. Give this or metadata_xml.",
    )
    metadata_xml: Annotated[str, Field(min_length=1, max_length=131_072)] | None = Field(
        default=None, description="The IdP's SAML metadata document itself."
    )
    email_attribute: Claim | None = Field(
        default=None, description="The SAML attribute carrying the e-mail address."
    )
    groups_attribute: Claim | None = None
    roles_attribute: Claim | None = None
    sign_requests: bool = Field(default=False, description="Sign requests with rsa-sha256.")
    encrypted_responses: bool = Field(default=False, description="Require encrypted responses.")
    idp_signout: bool = Field(default=False, description="Sign users out of the IdP too.")
    idp_initiated: bool = Field(default=False, description="Accept IdP-initiated sign-in.")


class SamlView(BaseModel):
    entity_id: str | None = Field(
        description="The entity ID (audience) the customer registers: urn:amazon:cognito:sp:<pool>."
    )
    acs_url: str | None = Field(description="The ACS (reply) URL the customer registers.")
    logout_url: str | None = Field(description="The sign-out URL to register (IdP sign-out).")
    idp_entity_id: str | None
    metadata_url: str | None
    metadata_sha256: str | None
    certificate_expires_at: datetime | None
    email_attribute: str
    groups_attribute: str
    roles_attribute: str | None
    sign_requests: bool
    encrypted_responses: bool
    idp_signout: bool
    idp_initiated: bool


class IdpView(BaseModel):
    issuer: str | None
    client_id: str | None
    scopes: str
    groups_claim: str
    roles_claim: str | None
    email_verified_claim: str | None = None
    attributes_request_method: str
    secret: Literal["none", "stored", "in_cognito"] = Field(
        description="Where the IdP client secret is: nowhere yet, stored encrypted until "
        "provisioning, or held by Cognito only. The value itself is never returned."
    )


class RunSummary(BaseModel):
    id: int
    kind: RunKind
    status: RunStatus
    created_at: datetime
    finished_at: datetime | None


class DomainView(BaseModel):
    domain: str
    state: Literal["unverified", "verified"] = Field(
        description="verified: proven by the TXT record _cognito-portal.<domain>, or by staff."
    )
    in_cognito: bool = Field(
        description="In the provider's IdpIdentifiers: verified, or kept from before domains "
        "were verified until staff decide."
    )


class FlaggedUrl(BaseModel):
    field: Literal["callback_urls", "logout_urls"]
    url: str
    problem: str


class TenantView(BaseModel):
    slug: str
    name: str
    status: TenantStatus
    contact_email: str | None
    user_pool_id: str | None
    region: str | None
    provider_name: str
    client_id: str | None
    callback_urls: list[str]
    logout_urls: list[str]
    flagged_urls: list[FlaggedUrl] = Field(
        description="Stored URLs that today's input rules refuse (saved before them); change them."
    )
    idp: IdpView
    domains: list[DomainView] = Field(description="Claimed e-mail domains and their state.")
    provider_type: Literal["OIDC", "SAML"]
    saml: SamlView | None = Field(description="A SAML tenant's settings; null for OIDC.")
    cognito_domain: str | None
    login_url: str | None
    idp_redirect_uri: str | None = Field(
        description="The redirect URI the customer registers at their IdP."
    )
    last_error: str | None
    verified_at: datetime | None
    ready_at: datetime | None
    created_at: datetime
    updated_at: datetime
    latest_run: RunSummary | None


class Page(BaseModel):
    page: int
    per_page: int
    total: int
    next_page: int | None


class TenantPage(Page):
    items: list[TenantView]


class Finding(BaseModel):
    field: str
    level: Literal["error", "warning"]
    message: str


class IdpResult(BaseModel):
    tenant: TenantView
    findings: list[Finding] = Field(description="Warnings of the issuer pre-flight, if any.")


# --- runs ------------------------------------------------------------------------------------


class StepView(BaseModel):
    name: str
    position: int
    status: StepStatus
    attempts: int
    outcome: str | None
    error_code: str | None
    error_message: str | None
    started_at: datetime | None
    finished_at: datetime | None


class RunView(BaseModel):
    id: int
    tenant: str
    kind: RunKind
    status: RunStatus
    actor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    steps: list[StepView]


class RunPage(Page):
    items: list[RunView]


# --- audit, handover, tokens -----------------------------------------------------------------


class AuditEventView(BaseModel):
    id: int
    at: datetime
    actor_type: str
    actor_id: str | None
    actor_label: str
    action: str
    tenant: str | None
    request_id: str | None
    source_ip: str | None
    details: dict[str, Any]
    hash: str
    prev_hash: str


class AuditPage(Page):
    items: list[AuditEventView]


class OidcConfig(BaseModel):
    """What the vendor's application needs to sign a tenant's users in through Cognito."""

    tenant: str
    client_id: str
    client_secret: str = Field(description="Read from Cognito at the time of the call; audited.")
    cognito_domain: str
    issuer: str
    user_pool_id: str
    region: str
    jwks_uri: str
    authorize_url: str = Field(description="Includes identity_provider=<the tenant's provider>.")
    token_url: str
    userinfo_url: str
    login_url: str
    logout_url: str
    redirect_uri: str | None
    provider_name: str
    scopes: str = Field(description="The only scope the app client allows.")


class TokenInfo(BaseModel):
    token_id: str
    name: str
    kind: Literal["personal", "application"]
    role: str = Field(description="admin, staff or auditor (the owner's role now), or application")
    owner: str | None
    tenants: list[str] | None = Field(
        description="The tenants an application token may read; null means all."
    )
    created_at: datetime
    last_used_at: datetime | None


# --- query strings ---------------------------------------------------------------------------


class PageQuery(Strict):
    """Unknown query parameters are refused like unknown body fields: a typo is not ignored."""

    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


class TenantQuery(PageQuery):
    status: TenantStatus | None = None
    q: Annotated[Text, Field(min_length=1, max_length=128)] | None = Field(
        default=None, description="Part of the name or slug."
    )


class AuditQuery(PageQuery):
    """The audit log's filter; text fields match as the log page's do (MATCHING_RULE)."""

    tenant: (
        Annotated[
            Text,
            Field(
                min_length=1,
                max_length=128,
                description="Any part of a tenant's slug or name, ignoring case.",
            ),
        ]
        | None
    ) = None
    actor: (
        Annotated[Text, Field(min_length=1, max_length=300, description="Any part of the actor.")]
        | None
    ) = None
    actor_type: Literal[ACTOR_TYPES] | None = None  # type: ignore[valid-type]
    action: (
        Annotated[
            Text,
            Field(
                min_length=1,
                max_length=64,
                description="An action (secret.revealed), a family ending in a dot "
                "(client_secret.) or a word any listed action contains (secret).",
            ),
        ]
        | None
    ) = None


# --- lifecycle -------------------------------------------------------------------------------


class StandardQuery(Strict):
    standard: bool = Field(
        default=False,
        description="For a tenant adopted as found: the portal's standard instead (openid only, "
        "code flow, the provider alone, email and custom:groups mapped and readable, a style).",
    )


class PlanChange(BaseModel):
    resource: str
    action: str
    field: str | None = None
    before: Any = None
    after: Any = None
    lines: list[str] = Field(
        default_factory=list,
        description="The change in words: '+ item' added, '- item' removed, '~ a → b' changed.",
    )
    irreversible: str | None = Field(
        None, description="Set when the change can never be undone, saying why."
    )


class ResourcePlanView(BaseModel):
    step: str
    title: str
    outcome: str = Field(description="What applying would do to this resource.")
    changes: list[PlanChange]


class TenantPlanView(BaseModel):
    """The differences between what Cognito holds and the tenant's settings (secrets redacted)."""

    slug: str
    changes: int
    resources: list[ResourcePlanView]


class OffboardRequest(Strict):
    confirm: Slug = Field(description="The tenant's slug again, to confirm.")
    remove_federated_users: bool = Field(
        default=False,
        description="Also delete the tenant's federated users (<provider name>_<sub>) "
        "from the pool.",
    )


class OffboardResult(BaseModel):
    tenant: TenantView
    run: RunView | None = Field(
        description="The offboarding run; null when nothing had reached Cognito (or the "
        "tenant was offboarded already)."
    )


class AdoptionRequest(Strict):
    """Which hand-made clients to adopt, and how to name the tenants."""

    client_ids: list[Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\w+]+$")]] = (
        Field(
            default_factory=list,
            max_length=1000,
            description="Only these app clients (default: every adoptable one).",
        )
    )
    slug_from: Literal["provider", "client"] = Field(
        default="provider", description="Name each tenant after its provider or its app client."
    )
    dry_run: bool = Field(default=False, description="Show what would be adopted; record nothing.")


class AdoptedTenantView(BaseModel):
    slug: str
    name: str
    client_id: str
    client_name: str
    provider_name: str
    deviations: list[str] = Field(description="How far the tenant is from the portal's standard.")
    note: str | None = Field(description="E.g. the slug was taken, so a suffix was added.")


class AdoptionRefusalView(BaseModel):
    client_id: str
    client_name: str | None
    reasons: list[str]


class AdoptionView(BaseModel):
    """Tenants adopted (or, in a dry run, that would be) and clients refused, with why."""

    user_pool_id: str
    dry_run: bool
    adopted: list[AdoptedTenantView]
    refused: list[AdoptionRefusalView]
