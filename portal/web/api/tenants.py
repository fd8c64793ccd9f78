"""API: tenants — create, read, list, set the IdP, onboard, and the OIDC config for the app."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import or_, select

from portal.models import Run, Tenant
from portal.services.access.users import check_email
from portal.services.engine.queue import latest_run, latest_runs, queue_onboarding
from portal.services.tenants import records as tenant_service
from portal.services.tenants.handover import hosted_urls, reveal_credentials
from portal.services.tenants.offboarded import CredentialsGone, offboarding_of
from portal.validation import ValidationError
from portal.web.api import schemas
from portal.web.api.problems import (
    ISSUER_CHECK_FAILED,
    METADATA_CHECK_FAILED,
    NOT_PROVISIONED,
    OFFBOARDED,
    ApiProblem,
    FieldError,
)
from portal.web.api.registry import APPLICATION, READERS, WRITERS, operation
from portal.web.api.views import paginate, run_view, tenant_view

TAG = "Tenants"


@operation(
    "GET",
    "/tenants",
    summary="List tenants",
    tag=TAG,
    allow=READERS,
    query=schemas.TenantQuery,
    response=schemas.TenantPage,
)
def list_tenants(query: schemas.TenantQuery) -> schemas.TenantPage:
    """Tenants sorted by slug, a page at a time; filter by status or by part of name or slug."""
    statement = select(Tenant).order_by(Tenant.slug)
    if query.status is not None:
        statement = statement.where(Tenant.status == query.status)
    if query.q:
        pattern = (
            "%"
            + query.q.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            + "%"
        )
        statement = statement.where(
            or_(Tenant.slug.like(pattern, escape="\\"), Tenant.name.ilike(pattern, escape="\\"))
        )
    rows, total, next_page = paginate(statement, query.page, query.per_page)
    runs = latest_runs([t.id for t in rows])
    return schemas.TenantPage(
        items=[tenant_view(t, runs.get(t.id)) for t in rows],
        page=query.page,
        per_page=query.per_page,
        total=total,
        next_page=next_page,
    )


@operation(
    "POST",
    "/tenants",
    summary="Create a tenant",
    tag=TAG,
    allow=WRITERS,
    body=schemas.TenantCreate,
    response=schemas.TenantView,
    status=201,
    response_headers={"Location": "The new tenant's URL."},
)
def create_tenant(body: schemas.TenantCreate):
    """Record a tenant in draft (nothing reaches Cognito until it is onboarded)."""
    contact = None
    if body.contact_email is not None:
        try:
            contact = check_email(body.contact_email)
        except ValidationError as exc:
            raise ValidationError("contact_email", exc.message) from exc
    tenant = tenant_service.create_tenant(
        body.slug,
        body.name,
        list(body.callback_urls),
        list(body.logout_urls),
        body.user_pool_id,
        contact,
    )
    location = url_for("api.get_tenant", slug=tenant.slug)
    return tenant_view(tenant, None), {"Location": location}


@operation(
    "GET",
    "/tenants/<slug>",
    summary="Read a tenant",
    tag=TAG,
    allow=READERS,
    response=schemas.TenantView,
)
def get_tenant(slug: str) -> schemas.TenantView:
    """A tenant, its IdP settings (never the secret), hosted URLs and latest run."""
    tenant = tenant_service.get_tenant(slug)
    return tenant_view(tenant, latest_run(tenant))


@operation(
    "PUT",
    "/tenants/<slug>/idp",
    summary="Set the tenant's identity provider",
    tag=TAG,
    allow=WRITERS,
    body=schemas.IdpSettingsIn,
    response=schemas.IdpResult,
    errors=(409,),
)
def set_idp(slug: str, body: schemas.IdpSettingsIn) -> schemas.IdpResult:
    """Pre-flight the issuer (discovery document, JWKS, code flow) and store the settings.

    The client secret is encrypted at rest and never returned. A failed pre-flight stores nothing
    and answers 422 with one error per finding.
    """
    tenant = tenant_service.get_tenant(slug)
    result = tenant_service.set_idp(
        tenant,
        issuer=body.issuer,
        client_id=body.client_id,
        client_secret=body.client_secret,
        scopes=body.scopes,
        groups_claim=body.groups_claim,
        roles_claim=body.roles_claim,
        email_verified_claim=body.email_verified_claim,
        attributes_request_method=body.attributes_request_method,
    )
    if not result.ok:
        raise ApiProblem(
            422,
            "The issuer did not pass the pre-flight checks; nothing was saved.",
            type_=ISSUER_CHECK_FAILED,
            title="Issuer check failed",
            errors=[FieldError(field=f.field, message=f.message) for f in result.errors],
        )
    return schemas.IdpResult(
        tenant=tenant_view(tenant, latest_run(tenant)),
        findings=[schemas.Finding(**f.to_dict()) for f in result.warnings],
    )


@operation(
    "PUT",
    "/tenants/<slug>/saml-idp",
    summary="Set the tenant's SAML 2.0 identity provider",
    tag=TAG,
    allow=WRITERS,
    body=schemas.SamlIdpSettingsIn,
    response=schemas.IdpResult,
    errors=(409,),
)
def set_saml_idp(slug: str, body: schemas.SamlIdpSettingsIn) -> schemas.IdpResult:
    """Pre-flight the SAML metadata (fetched through the SSRF guard, or given) and store it.

    Exactly one of metadata_url and metadata_xml. A failed pre-flight stores nothing and answers
    422 with one error per finding. A tenant whose OIDC provider exists switches on the next
    apply: a new provider, the client re-attached, the old provider removed.
    """
    tenant = tenant_service.get_tenant(slug)
    if bool(body.metadata_url) == bool(body.metadata_xml):
        raise ApiProblem(
            422,
            "Give exactly one of metadata_url and metadata_xml.",
            type_=METADATA_CHECK_FAILED,
            title="SAML metadata check failed",
            errors=[FieldError(field="metadata_url", message="give exactly one of the two")],
        )
    result = tenant_service.set_saml_idp(
        tenant,
        metadata_url=body.metadata_url,
        metadata_file=body.metadata_xml,
        email_attribute=body.email_attribute,
        groups_attribute=body.groups_attribute,
        roles_attribute=body.roles_attribute,
        sign_requests=body.sign_requests,
        encrypted_responses=body.encrypted_responses,
        idp_signout=body.idp_signout,
        idp_initiated=body.idp_initiated,
    )
    if not result.ok:
        raise ApiProblem(
            422,
            "The SAML metadata did not pass the pre-flight checks; nothing was saved.",
            type_=METADATA_CHECK_FAILED,
            title="SAML metadata check failed",
            errors=[
                FieldError(field=_api_field(f.field), message=f.message) for f in result.errors
            ],
        )
    return schemas.IdpResult(
        tenant=tenant_view(tenant, latest_run(tenant)),
        findings=[
            schemas.Finding(field=_api_field(f.field), level=f.level, message=f.message)
            for f in result.warnings
        ],
    )


def _api_field(name: str) -> str:
    return "metadata_xml" if name == "metadata_file" else name


@operation(
    "POST",
    "/tenants/<slug>/onboard",
    summary="Onboard (or reconcile) a tenant",
    tag=TAG,
    allow=WRITERS,
    response=schemas.RunView,
    status=202,
    errors=(409,),
    response_headers={"Location": "The run's URL."},
)
def onboard_tenant(slug: str):
    """Queue a run that brings the tenant's Cognito resources to their desired state.

    A tenant with a queued or running run gets that run back; a failed one resumes from its
    failed step; a ready one is reconciled. Follow the run at its Location.
    """
    tenant = tenant_service.get_tenant(slug)
    run = queue_onboarding([tenant])[0]
    return run_view(run, tenant.slug), {"Location": url_for("api.get_run", run_id=run.id)}


@operation(
    "GET",
    "/tenants/<slug>/runs",
    summary="List a tenant's runs",
    tag="Runs",
    allow=READERS,
    query=schemas.PageQuery,
    response=schemas.RunPage,
)
def list_tenant_runs(slug: str, query: schemas.PageQuery) -> schemas.RunPage:
    """The tenant's runs, newest first, each with its steps."""
    tenant = tenant_service.get_tenant(slug)
    statement = select(Run).where(Run.tenant_id == tenant.id).order_by(Run.id.desc())
    rows, total, next_page = paginate(statement, query.page, query.per_page)
    return schemas.RunPage(
        items=[run_view(r, tenant.slug) for r in rows],
        page=query.page,
        per_page=query.per_page,
        total=total,
        next_page=next_page,
    )


@operation(
    "GET",
    "/tenants/<slug>/oidc-config",
    summary="Read the tenant's OIDC client configuration",
    tag="Application",
    allow=WRITERS | {APPLICATION},
    response=schemas.OidcConfig,
    errors=(409, 410, 502),
    tenant_param="slug",
)
def get_oidc_config(slug: str) -> schemas.OidcConfig:
    """Client ID, client secret and Cognito domain with the hosted URLs, for the vendor's app.

    The secret is read from Cognito at the time of the call and every call is audited as a
    reveal by this token. Application tokens may read only the tenants they were made for.
    """
    tenant = tenant_service.get_tenant(slug)
    offboarding = offboarding_of(tenant)
    if offboarding is not None:
        raise ApiProblem(
            410, CredentialsGone(tenant, offboarding).reason, type_=OFFBOARDED, title="Offboarded"
        )
    if tenant.client_id is None or tenant.pool is None:
        raise ApiProblem(
            409,
            f"Tenant {tenant.slug} has no app client yet (status {tenant.status}); onboard it.",
            type_=NOT_PROVISIONED,
            title="Not provisioned yet",
        )
    bundle = reveal_credentials(tenant, purpose="api oidc-config")
    urls = hosted_urls(tenant)
    return schemas.OidcConfig(
        tenant=tenant.slug,
        client_id=bundle["client_id"],
        client_secret=bundle["client_secret"],
        cognito_domain=bundle["cognito_domain"],
        issuer=bundle["issuer"],
        user_pool_id=bundle["user_pool_id"],
        region=bundle["region"],
        jwks_uri=bundle["jwks_uri"],
        authorize_url=bundle["authorize_url"],
        token_url=bundle["token_url"],
        userinfo_url=urls["userinfo_url"],
        login_url=urls["login_url"],
        logout_url=bundle["logout_url"],
        redirect_uri=bundle["redirect_uri"],
        provider_name=bundle["provider_name"],
        scopes="openid",
    )
