"""Turning rows into the API's response models (never a secret, except the OIDC config)."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from portal.extensions import db
from portal.models import ApiToken, AuditEvent, Run, Tenant, TokenKind
from portal.services.tenants.envfile import flagged_urls
from portal.services.tenants.handover import hosted_urls
from portal.web.api import schemas


def run_summary(run: Run | None) -> schemas.RunSummary | None:
    if run is None:
        return None
    return schemas.RunSummary(
        id=run.id,
        kind=run.kind,
        status=run.status,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def tenant_view(tenant: Tenant, run: Run | None) -> schemas.TenantView:
    urls = hosted_urls(tenant)
    kept_at = "none"
    if tenant.idp_secret_in_cognito:
        kept_at = "in_cognito"
    elif tenant.idp_client_secret_encrypted is not None:
        kept_at = "stored"
    return schemas.TenantView(
        slug=tenant.slug,
        name=tenant.name,
        status=tenant.status,
        contact_email=tenant.contact_email,
        user_pool_id=tenant.pool.user_pool_id if tenant.pool else None,
        region=tenant.pool.region if tenant.pool else None,
        provider_name=tenant.provider_name,
        client_id=tenant.client_id,
        callback_urls=list(tenant.callback_urls),
        logout_urls=list(tenant.logout_urls),
        flagged_urls=[schemas.FlaggedUrl(**flag) for flag in flagged_urls(tenant)],
        idp=schemas.IdpView(
            issuer=tenant.issuer,
            client_id=tenant.idp_client_id,
            scopes=tenant.authorize_scopes,
            groups_claim=tenant.groups_claim,
            roles_claim=tenant.roles_claim,
            email_verified_claim=tenant.email_verified_claim,
            attributes_request_method=tenant.attributes_request_method,
            secret=kept_at,
        ),
        domains=[
            schemas.DomainView(domain=d.domain, state=d.state, in_cognito=d.in_cognito)
            for d in tenant.domains
        ],
        provider_type=tenant.provider_type,
        saml=saml_view(tenant) if tenant.is_saml else None,
        cognito_domain=urls["cognito_domain"],
        login_url=urls["login_url"] if tenant.client_id else None,
        idp_redirect_uri=None if tenant.is_saml else urls["idp_redirect_uri"],
        last_error=tenant.last_error,
        verified_at=tenant.verified_at,
        ready_at=tenant.ready_at,
        created_at=tenant.created_at,
        updated_at=tenant.updated_at,
        latest_run=run_summary(run),
    )


def saml_view(tenant: Tenant) -> schemas.SamlView:
    return schemas.SamlView(
        entity_id=tenant.saml_entity_id_sp,
        acs_url=tenant.saml_acs_url,
        logout_url=tenant.saml_logout_url if tenant.saml_idp_signout else None,
        idp_entity_id=tenant.saml_entity_id,
        metadata_url=tenant.saml_metadata_url,
        metadata_sha256=tenant.saml_metadata_sha256,
        certificate_expires_at=tenant.saml_cert_expires_at,
        email_attribute=tenant.email_attribute,
        groups_attribute=tenant.groups_claim,
        roles_attribute=tenant.roles_claim,
        sign_requests=tenant.saml_sign_requests,
        encrypted_responses=tenant.saml_encrypted_responses,
        idp_signout=tenant.saml_idp_signout,
        idp_initiated=tenant.saml_idp_initiated,
    )


def run_view(run: Run, slug: str) -> schemas.RunView:
    return schemas.RunView(
        id=run.id,
        tenant=slug,
        kind=run.kind,
        status=run.status,
        actor=run.actor,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
        steps=[
            schemas.StepView(
                name=s.name,
                position=s.position,
                status=s.status,
                attempts=s.attempts,
                outcome=s.outcome,
                error_code=s.error_code,
                error_message=s.error_message,
                started_at=s.started_at,
                finished_at=s.finished_at,
            )
            for s in run.steps
        ],
    )


def audit_view(event: AuditEvent, slug: str | None) -> schemas.AuditEventView:
    return schemas.AuditEventView(
        id=event.id,
        at=event.at,
        actor_type=event.actor_type,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        tenant=slug,
        request_id=event.request_id,
        source_ip=event.source_ip,
        details=event.details or {},
        hash=event.hash,
        prev_hash=event.prev_hash,
    )


def token_info(token: ApiToken) -> schemas.TokenInfo:
    tenants = None
    if token.kind == TokenKind.APPLICATION and not token.all_tenants:
        tenants = sorted(t.slug for t in token.tenants)
    return schemas.TokenInfo(
        token_id=token.prefix,
        name=token.name,
        kind=token.kind,
        role=token.role,
        owner=token.user.email if token.user else None,
        tenants=tenants,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
    )


def paginate(query: Select, page: int, per_page: int) -> tuple[list, int, int | None]:
    """One page of QUERY's rows, the total, and the next page's number (None on the last)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all())
    next_page = page + 1 if page * per_page < total else None
    return rows, int(total or 0), next_page
