"""Tenants: creation, IdP settings, and what is shown about them (never a secret)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portal.config import current_settings
from portal.crypto import encrypt
from portal.extensions import db
from portal.models import ProviderType, Tenant, TenantStatus, UserPool, utcnow
from portal.models.tenants import NO_GROUPS_CLAIM
from portal.oidc.discovery import IssuerCheck, check_issuer
from portal.saml.metadata import MetadataCheck, check_metadata_file, fetch_metadata
from portal.services import events
from portal.services.audit import trail
from portal.services.pools.registry import find_pool
from portal.validation import (
    ValidationError,
    check_claim,
    check_name,
    check_redirect_urls,
    check_request_method,
    check_scopes,
    check_slug,
    is_valid_provider_name,
)

EDITABLE_STATUSES = (TenantStatus.DRAFT, TenantStatus.FAILED, TenantStatus.READY)


class UnknownTenant(LookupError):
    pass


def get_tenant(slug: str) -> Tenant:
    return get_tenants([slug])[0]


def get_tenants(slugs: list[str]) -> list[Tenant]:
    """The tenants of SLUGS in their order, in one query (two with their domains); an unknown
    slug is refused as get_tenant refuses it."""
    wanted = [(slug or "").strip() for slug in slugs]
    found = {t.slug: t for t in db.session.scalars(select(Tenant).where(Tenant.slug.in_(wanted)))}
    for slug, given in zip(wanted, slugs, strict=True):
        if slug not in found:
            raise UnknownTenant(f"no tenant has the slug {given!r}")
    return [found[slug] for slug in wanted]


def unused_provider_name(slug: str, used: set[str] | None = None) -> str:
    """A provider name never used before: federated users keep `<name>_<sub>` forever.

    USED, when given, is the set of names taken so far (a bulk import passes it to avoid one
    query per row); the name returned is added to it.
    """
    if used is None:
        rows = db.session.execute(select(Tenant.provider_name, Tenant.former_provider_names))
        used = set()
        for name, former in rows:
            used.add(name)
            used.update(former or ())
    candidate, generation = slug, 1
    while candidate in used or not is_valid_provider_name(candidate):
        generation += 1
        suffix = f"-{generation}"
        candidate = slug[: 32 - len(suffix)] + suffix
    used.add(candidate)
    return candidate


@dataclass(frozen=True)
class NewTenant:
    """A tenant's settings that passed every check, ready to be added."""

    slug: str
    name: str
    callback_urls: list[str]
    logout_urls: list[str]
    pool: UserPool | None
    contact_email: str | None


def new_tenant_problems(
    slug: str,
    name: str,
    callback_urls: list[str],
    logout_urls: list[str] | None = None,
    pool_id: str | None = None,
    contact_email: str | None = None,
    *,
    check_contact: bool = False,
    existing_slugs: set[str] | None = None,
) -> tuple[NewTenant | None, list[ValidationError]]:
    """Check a new tenant's settings, collecting every problem (in create_tenant's order).

    EXISTING_SLUGS, when given, replaces the per-call query for a taken slug. CHECK_CONTACT also
    checks the contact e-mail address (the bulk import and the API do; create_tenant never has).
    """
    problems: list[ValidationError] = []

    def attempt(check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except ValidationError as exc:
            problems.append(exc)
            return None

    clean_slug = attempt(check_slug, slug)
    clean_name = attempt(check_name, name)
    callbacks = attempt(check_redirect_urls, callback_urls, "callback_urls", required=True)
    logouts = attempt(check_redirect_urls, logout_urls or [], "logout_urls", required=False)
    if clean_slug is not None:
        taken = (
            clean_slug in existing_slugs
            if existing_slugs is not None
            else db.session.scalar(select(Tenant.id).where(Tenant.slug == clean_slug)) is not None
        )
        if taken:
            problems.append(
                ValidationError("slug", f"a tenant with the slug {clean_slug!r} exists already")
            )
    pool: UserPool | None = None
    if pool_id:
        pool = find_pool(pool_id)
        if pool is None:
            problems.append(
                ValidationError(
                    "pool", f"user pool {pool_id} is not registered (see `portal pools list`)"
                )
            )
    contact = contact_email
    if check_contact and contact_email is not None and contact_email.strip():
        contact = attempt(_check_contact, contact_email)
    elif check_contact:
        contact = None
    if problems:
        return None, problems
    return NewTenant(clean_slug, clean_name, callbacks, logouts, pool, contact), []


def _check_contact(value: str) -> str:
    from portal.services.access.users import check_email

    try:
        return check_email(value)
    except ValidationError as exc:
        raise ValidationError("contact_email", exc.message) from exc


def validate_new_tenant(*args: Any, **kwargs: Any) -> NewTenant:
    """Check a new tenant's settings; raise the first problem, as create_tenant always has."""
    new, problems = new_tenant_problems(*args, **kwargs)
    if problems:
        raise problems[0]
    assert new is not None
    return new


def add_tenant(new: NewTenant, used_provider_names: set[str] | None = None) -> Tenant:
    """Add a checked tenant to the current transaction, audited and announced; no commit."""
    tenant = Tenant(
        slug=new.slug,
        name=new.name,
        callback_urls=new.callback_urls,
        logout_urls=new.logout_urls,
        pool=new.pool,
        pool_pinned=new.pool is not None,
        contact_email=new.contact_email,
        provider_name=unused_provider_name(new.slug, used_provider_names),
        client_name=f"portal-{new.slug}-{secrets.token_hex(4)}",
    )
    db.session.add(tenant)
    db.session.flush()
    trail.record("tenant.created", tenant, after=tenant_settings(tenant))
    events.publish(events.TENANT_CREATED, tenant)
    return tenant


def create_tenant(
    slug: str,
    name: str,
    callback_urls: list[str],
    logout_urls: list[str] | None = None,
    pool_id: str | None = None,
    contact_email: str | None = None,
) -> Tenant:
    """Record a new tenant in draft; nothing reaches Cognito until it is onboarded."""
    new = validate_new_tenant(slug, name, callback_urls, logout_urls, pool_id, contact_email)
    tenant = add_tenant(new)
    db.session.commit()
    return tenant


def tenant_settings(tenant: Tenant) -> dict[str, Any]:
    """The tenant's editable settings for audit before/after; never a secret."""
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "callback_urls": list(tenant.callback_urls),
        "logout_urls": list(tenant.logout_urls),
        "user_pool_id": tenant.pool.user_pool_id if tenant.pool else None,
        "issuer": tenant.issuer,
        "idp_client_id": tenant.idp_client_id,
        "authorize_scopes": tenant.authorize_scopes,
        "groups_claim": tenant.groups_claim,
        "roles_claim": tenant.roles_claim,
        "email_verified_claim": tenant.email_verified_claim,
        "attributes_request_method": tenant.attributes_request_method,
        "idp_identifiers": list(tenant.idp_identifiers or []),
        "provider_type": tenant.provider_type,
        "provider_name": tenant.provider_name,
        **(saml_settings(tenant) if tenant.is_saml else {}),
    }


def saml_settings(tenant: Tenant) -> dict[str, Any]:
    """A SAML tenant's settings: the metadata by its hash and entity ID, never the XML."""
    return {
        "email_attribute": tenant.email_attribute,
        "saml_metadata_url": tenant.saml_metadata_url,
        "saml_metadata_sha256": tenant.saml_metadata_sha256,
        "saml_idp_entity_id": tenant.saml_entity_id,
        "saml_sign_requests": tenant.saml_sign_requests,
        "saml_encrypted_responses": tenant.saml_encrypted_responses,
        "saml_idp_signout": tenant.saml_idp_signout,
        "saml_idp_initiated": tenant.saml_idp_initiated,
    }


def preflight(issuer: str, groups_claim: str | None, roles_claim: str | None) -> IssuerCheck:
    return check_issuer(
        issuer,
        allow_loopback=current_settings().allow_loopback_issuers,
        groups_claim=groups_claim,
        roles_claim=roles_claim,
        check_endpoints=True,
    )


def set_idp(
    tenant: Tenant,
    *,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    scopes: str | None = None,
    groups_claim: str | None = None,
    roles_claim: str | None = None,
    attributes_request_method: str | None = None,
    check: IssuerCheck | None = None,
    email_verified_claim: str | None = None,
) -> IssuerCheck:
    """Validate and store the customer's IdP settings; the secret is encrypted at rest."""
    if tenant.status not in EDITABLE_STATUSES:
        raise ValidationError(
            "status",
            f"the tenant is {tenant.status}; wait for the current "
            "run to finish before changing its identity provider",
        )
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 255:
        raise ValidationError("client_id", "the client ID is required (at most 255 characters)")
    if client_secret is not None and not client_secret.strip():
        raise ValidationError("client_secret", "the client secret is empty")
    if client_secret is None and not tenant.idp_secret_in_cognito:
        raise ValidationError("client_secret", "the client secret is required")
    scopes = check_scopes(scopes or tenant.authorize_scopes)
    # None keeps the tenant's claim; empty means the IdP sends no groups (Google Workspace).
    groups = check_claim(
        tenant.groups_claim if groups_claim is None else groups_claim,
        "groups_claim",
        required=False,
    )
    roles = check_claim(roles_claim, "roles_claim", required=False)
    verified = (
        check_claim(email_verified_claim, "email_verified_claim", required=False)
        if email_verified_claim is not None
        else tenant.email_verified_claim
    )
    method = check_request_method(attributes_request_method or tenant.attributes_request_method)
    result = check or preflight(issuer, groups, roles)
    if not result.ok:
        return result
    before = tenant_settings(tenant)
    if tenant.is_saml and tenant.status == TenantStatus.READY:  # a switch: a planned change
        tenant.pending_changes_since = tenant.pending_changes_since or utcnow()
    switch_provider_type(tenant, ProviderType.OIDC)
    tenant.issuer = result.issuer
    tenant.idp_client_id = client_id
    if client_secret is not None:
        tenant.idp_client_secret_encrypted = encrypt(client_secret.strip())
        tenant.idp_secret_in_cognito = False
    tenant.authorize_scopes = scopes
    tenant.groups_claim = groups or NO_GROUPS_CLAIM
    tenant.roles_claim = roles
    tenant.email_verified_claim = verified
    tenant.attributes_request_method = method
    trail.record(
        "tenant.idp_set",
        tenant,
        before=before,
        after=tenant_settings(tenant),
        secret_replaced=client_secret is not None,
        warnings=[w.message for w in result.warnings],
    )
    events.publish(events.IDP_SUBMITTED, tenant, issuer=tenant.issuer)
    db.session.commit()
    return result


def switch_provider_type(tenant: Tenant, provider_type: str) -> None:
    """Make TENANT's provider of PROVIDER_TYPE; a change of type is a new provider.

    Cognito cannot change a provider's type, and a name once used stays with its federated
    users: a tenant whose provider exists gets a new, never-used name, and the old provider is
    deleted once the app client lists the new one (the attach step). The client and its secret
    stay as they are.
    """
    if tenant.provider_type == provider_type:
        return
    if tenant.provider_created:
        if tenant.retired_provider_name is None:
            tenant.retired_provider_name = tenant.provider_name
        tenant.former_provider_names = [*(tenant.former_provider_names or []), tenant.provider_name]
        tenant.provider_name = unused_provider_name(tenant.slug)
        tenant.provider_created = False
    tenant.provider_type = provider_type
    if provider_type == ProviderType.SAML:  # the OIDC settings and secret are not needed now
        tenant.issuer = tenant.idp_client_id = None
        tenant.idp_client_secret_encrypted = None
        tenant.idp_secret_in_cognito = False
        tenant.idp_secret_expires_at = tenant.idp_secret_reminded_days = None
    else:
        tenant.saml_metadata_url = tenant.saml_metadata_xml = None
        tenant.saml_metadata_sha256 = tenant.saml_entity_id = None
        tenant.saml_cert_expires_at = tenant.saml_cert_reminded_days = None
        tenant.email_attribute = "email"
        for flag in ("sign_requests", "encrypted_responses", "idp_signout", "idp_initiated"):
            setattr(tenant, f"saml_{flag}", False)


def saml_preflight(
    metadata_url: str | None,
    metadata_file: str | bytes | None,
    *,
    sign_requests: bool = False,
    idp_signout: bool = False,
    tenant: Tenant | None = None,
) -> MetadataCheck:
    """Check a SAML IdP's metadata (fetched through the SSRF guard, or uploaded)."""
    allow_loopback = current_settings().allow_loopback_issuers
    options = {
        "sign_requests": sign_requests,
        "idp_signout": idp_signout,
        "allow_loopback": allow_loopback,
    }
    if metadata_url and metadata_file:
        result = MetadataCheck("metadata_url")
        result.error("metadata_url", "give a metadata URL or a metadata file, not both")
        return result
    if metadata_url or not metadata_file:
        result = fetch_metadata(metadata_url or "", **options)
    else:
        result = check_metadata_file(metadata_file, **options)
    if result.entity_id:
        others = db.session.scalars(
            select(Tenant.slug).where(
                Tenant.saml_entity_id == result.entity_id,
                Tenant.status != TenantStatus.OFFBOARDED,
                Tenant.id != (tenant.id if tenant is not None else -1),
            )
        ).all()
        if others:
            result.warn(
                result.field,
                f"The identity provider {result.entity_id} is already used by tenant(s) "
                f"{', '.join(sorted(others))}. That is right only when one customer has several "
                "tenants; otherwise the metadata may be the wrong one.",
            )
    return result


def set_saml_idp(
    tenant: Tenant,
    *,
    metadata_url: str | None = None,
    metadata_file: str | bytes | None = None,
    email_attribute: str | None = None,
    groups_attribute: str | None = None,
    roles_attribute: str | None = None,
    sign_requests: bool = False,
    encrypted_responses: bool = False,
    idp_signout: bool = False,
    idp_initiated: bool = False,
    check: MetadataCheck | None = None,
) -> MetadataCheck:
    """Check and store a SAML IdP; nothing is saved unless the metadata passes the pre-flight."""
    if tenant.status not in EDITABLE_STATUSES:
        raise ValidationError(
            "status",
            f"the tenant is {tenant.status}; wait for the current "
            "run to finish before changing its identity provider",
        )
    metadata_url = (metadata_url or "").strip() or None
    if not metadata_url and not metadata_file:
        raise ValidationError(
            "metadata_url", "a metadata URL or a metadata file is required for a SAML provider"
        )
    email = check_claim(email_attribute or "email", "email_attribute", required=True)
    groups = check_claim(groups_attribute or "groups", "groups_attribute", required=True)
    roles = check_claim(roles_attribute, "roles_attribute", required=False)
    result = check or saml_preflight(
        metadata_url,
        metadata_file,
        sign_requests=sign_requests,
        idp_signout=idp_signout,
        tenant=tenant,
    )
    if not result.ok:
        return result
    before = tenant_settings(tenant)
    switch_provider_type(tenant, ProviderType.SAML)
    store_metadata(tenant, result)
    tenant.saml_metadata_url = metadata_url
    tenant.email_attribute, tenant.groups_claim, tenant.roles_claim = email, groups, roles
    tenant.saml_sign_requests = sign_requests
    tenant.saml_encrypted_responses = encrypted_responses
    tenant.saml_idp_signout = idp_signout
    tenant.saml_idp_initiated = idp_initiated
    after = tenant_settings(tenant)
    if tenant.status == TenantStatus.READY and after != before:
        tenant.pending_changes_since = tenant.pending_changes_since or utcnow()
    trail.record(
        "tenant.idp_set",
        tenant,
        before=before,
        after=after,
        metadata=result.summary(),
        warnings=[w.message for w in result.warnings],
    )
    events.publish(events.IDP_SUBMITTED, tenant, issuer=result.entity_id)
    db.session.commit()
    return result


def store_metadata(tenant: Tenant, result: MetadataCheck) -> None:
    """Keep the checked document and what the certificate reminders watch."""
    expires = result.certificate_expires_at
    if expires != tenant.saml_cert_expires_at:
        tenant.saml_cert_reminded_days = None  # a new certificate: remind afresh
    tenant.saml_metadata_xml = result.document
    tenant.saml_metadata_sha256 = result.sha256
    tenant.saml_entity_id = result.entity_id
    tenant.saml_cert_expires_at = expires
    tenant.saml_metadata_checked_at = utcnow()
