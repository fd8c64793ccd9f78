"""The API's request and response bodies as pydantic models; the OpenAPI schemas come from these."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.models import RunKind, RunStatus, StepStatus, TenantStatus

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
Url = Annotated[
    str,
    Field(
        min_length=8,
        max_length=1024,
        pattern=r"^(?:https://[^\s#/?\x00-\x1f\x7f]+|http://(?:localhost|127\.0\.0\.1)(?::[0-9]{1,5})?)"
        r"(?:[/?][^\s#\x00-\x1f\x7f]*)?$",
        description="Absolute https URL (http only for localhost and 127.0.0.1), no fragment.",
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
    "callback_urls": "each URL must be absolute https (http only for localhost), without #fragment",
    "logout_urls": "each URL must be absolute https (http only for localhost), without #fragment",
    "issuer": "the issuer must be an absolute https URL",
    "contact_email": "this is not an e-mail address",
    "groups_claim": "use letters, digits and _ : . - / only",
    "roles_claim": "use letters, digits and _ : . - / only",
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
    groups_claim: Claim | None = None
    roles_claim: Claim | None = None
    attributes_request_method: Literal["GET", "POST"] | None = None


class IdpView(BaseModel):
    issuer: str | None
    client_id: str | None
    scopes: str
    groups_claim: str
    roles_claim: str | None
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
    idp: IdpView
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
    tenant: Slug | None = None
    action: Annotated[Text, Field(min_length=1, max_length=64)] | None = None


# --- lifecycle -------------------------------------------------------------------------------


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
