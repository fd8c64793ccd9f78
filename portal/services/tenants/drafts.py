"""The new-tenant wizard's drafts: each step is saved as soon as it validates."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from sqlalchemy import select

from portal.crypto import decrypt
from portal.extensions import db
from portal.models import Run, Tenant, TenantStatus, WizardDraft, utcnow
from portal.oidc.discovery import IssuerCheck
from portal.saml.metadata import MetadataCheck
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.services.engine.queue import queue_onboarding
from portal.services.pools.registry import NoPoolHasRoom, find_pool, place_tenant, usage
from portal.services.tenants.records import (
    create_tenant,
    set_idp,
    set_saml_idp,
    switch_provider_type,
    tenant_settings,
)
from portal.validation import (
    ValidationError,
    check_name,
    check_redirect_urls,
    check_slug,
    is_valid_provider_name,
)

P = ParamSpec("P")
R = TypeVar("R")
STEPS = ("app_client", "attributes", "provider", "attach", "managed_login")


@dataclass(frozen=True)
class IdpInput:
    """What staff typed on the external-provider step (the secret only in memory)."""

    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str
    groups_claim: str
    roles_claim: str | None
    attributes_request_method: str


def _atomic(service: Callable[P, R]) -> Callable[P, R]:
    """Nothing half-changed stays in the session when a step does not validate."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise

    return wrapper


def draft_of(tenant: Tenant) -> WizardDraft:
    """The tenant's wizard draft, made on first use (e.g. for a tenant created elsewhere)."""
    draft = db.session.get(WizardDraft, tenant.id)
    if draft is None:
        draft = WizardDraft(
            tenant_id=tenant.id, completed=0, started_by=current_actor().label[:300]
        )
        db.session.add(draft)
        db.session.flush()
    return draft


def open_drafts(limit: int = 20) -> list[WizardDraft]:
    return list(
        db.session.scalars(
            select(WizardDraft)
            .join(Tenant, Tenant.id == WizardDraft.tenant_id)
            .where(Tenant.status == TenantStatus.DRAFT, WizardDraft.submitted_at.is_(None))
            .order_by(WizardDraft.updated_at.desc())
            .limit(limit)
        )
    )


def _require_draft(tenant: Tenant) -> None:
    if tenant.status != TenantStatus.DRAFT:
        raise ValidationError(
            "status", f"tenant {tenant.slug} is {tenant.status}; only drafts change in the wizard"
        )


def _complete(draft: WizardDraft, step: int) -> None:
    draft.completed = max(draft.completed, step)
    draft.updated_at = utcnow()


def start(name: str, slug: str, callback_urls: list[str], logout_urls: list[str]) -> Tenant:
    """Step 1 for a new tenant: record it as a draft."""
    tenant = create_tenant(slug, name, callback_urls, logout_urls)
    _complete(draft_of(tenant), 1)
    db.session.commit()
    return tenant


@_atomic
def save_app_client(
    tenant: Tenant, name: str, slug: str, callback_urls: list[str], logout_urls: list[str]
) -> Tenant:
    """Step 1 again for an existing draft: the slug may still change, nothing is in Cognito."""
    _require_draft(tenant)
    before = tenant_settings(tenant)
    slug = check_slug(slug)
    tenant.name = check_name(name)
    tenant.callback_urls = check_redirect_urls(callback_urls, "callback_urls", required=True)
    tenant.logout_urls = check_redirect_urls(logout_urls, "logout_urls", required=False)
    if slug != tenant.slug:
        taken = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        if taken is not None:
            raise ValidationError("slug", f"a tenant with the slug {slug!r} exists already")
        tenant.slug = slug
        tenant.provider_name = _fresh_provider_name(tenant, slug)
        tenant.client_name = f"portal-{slug}-{secrets.token_hex(4)}"
    _complete(draft_of(tenant), 1)
    trail.record(
        "tenant.draft_saved",
        tenant,
        step="app_client",
        before=before,
        after=tenant_settings(tenant),
    )
    db.session.commit()
    return tenant


def _fresh_provider_name(tenant: Tenant, slug: str) -> str:
    """Like unused_provider_name, but the draft's own current name does not count as used."""
    used = set(db.session.scalars(select(Tenant.provider_name).where(Tenant.id != tenant.id)))
    candidate, generation = slug, 1
    while candidate in used or not is_valid_provider_name(candidate):
        generation += 1
        suffix = f"-{generation}"
        candidate = slug[: 32 - len(suffix)] + suffix
    return candidate


@_atomic
def save_attributes(tenant: Tenant, user_pool_id: str | None, include_roles: bool) -> Tenant:
    """Step 2: choose the pool (or place automatically now) and whether roles are mapped."""
    _require_draft(tenant)
    draft = draft_of(tenant)
    before = {**tenant_settings(tenant), "include_roles": draft.include_roles}
    if user_pool_id:
        pool = find_pool(user_pool_id)
        if pool is None:
            raise ValidationError("pool", f"user pool {user_pool_id} is not registered")
        room = usage(pool)
        if not room.has_room:
            full = ", ".join(room.full_quotas() or ["closed to new tenants"])
            raise ValidationError("pool", f"user pool {user_pool_id} has no room ({full})")
        tenant.pool, tenant.pool_pinned = pool, True
    else:
        tenant.pool, tenant.pool_pinned = None, False
        try:
            place_tenant(tenant)
        except NoPoolHasRoom as error:
            db.session.rollback()
            raise ValidationError("pool", str(error)) from None
    draft.include_roles = include_roles
    if not include_roles:
        tenant.roles_claim = None
    _complete(draft, 2)
    trail.record(
        "tenant.draft_saved",
        tenant,
        step="attributes",
        before=before,
        after={**tenant_settings(tenant), "include_roles": include_roles},
    )
    db.session.commit()
    return tenant


@dataclass(frozen=True)
class SamlInput:
    """What staff chose on the external-provider step for a SAML IdP."""

    metadata_url: str | None
    metadata_file: bytes | None
    email_attribute: str
    groups_attribute: str
    roles_attribute: str | None
    sign_requests: bool
    encrypted_responses: bool
    idp_signout: bool
    idp_initiated: bool


@_atomic
def save_saml_idp(tenant: Tenant, given: SamlInput, check: MetadataCheck) -> MetadataCheck:
    """Step 3: store the SAML IdP once its metadata passed the pre-flight."""
    _require_draft(tenant)
    draft = draft_of(tenant)
    draft.idp_by_customer = False
    _complete(draft, 3)
    result = set_saml_idp(
        tenant,
        metadata_url=given.metadata_url,
        metadata_file=None if given.metadata_url else given.metadata_file,
        email_attribute=given.email_attribute,
        groups_attribute=given.groups_attribute,
        roles_attribute=given.roles_attribute if draft.include_roles else None,
        sign_requests=given.sign_requests,
        encrypted_responses=given.encrypted_responses,
        idp_signout=given.idp_signout,
        idp_initiated=given.idp_initiated,
        check=check,
    )
    if not result.ok:
        db.session.rollback()
    return result


@_atomic
def save_customer_idp(tenant: Tenant, provider_type: str = "OIDC") -> None:
    """Step 3, the other way: the customer will enter their IdP settings through a setup link."""
    _require_draft(tenant)
    switch_provider_type(tenant, provider_type)
    draft = draft_of(tenant)
    if not draft.idp_by_customer:
        draft.idp_by_customer = True
        trail.record("tenant.draft_saved", tenant, step="provider", idp_by_customer=True)
    _complete(draft, 3)
    db.session.commit()


@_atomic
def save_idp(tenant: Tenant, given: IdpInput, check: IssuerCheck) -> IssuerCheck:
    """Step 3: store the IdP settings once the discovery pre-flight passed."""
    _require_draft(tenant)
    secret = given.client_secret
    if not secret and tenant.idp_client_secret_encrypted is not None:
        secret = decrypt(tenant.idp_client_secret_encrypted)  # blank means "keep the stored one"
    if not secret:
        raise ValidationError("client_secret", "the client secret is required")
    draft = draft_of(tenant)
    draft.idp_by_customer = False
    _complete(draft, 3)
    result = set_idp(
        tenant,
        issuer=given.issuer,
        client_id=given.client_id,
        client_secret=secret,
        scopes=given.scopes,
        groups_claim=given.groups_claim,
        roles_claim=given.roles_claim if draft.include_roles else None,
        attributes_request_method=given.attributes_request_method,
        check=check,
    )
    if not result.ok:
        db.session.rollback()
    return result


@_atomic
def confirm_step(tenant: Tenant, step: int) -> None:
    """Steps 4 and 5 only show what will happen; confirming them moves the draft on."""
    _require_draft(tenant)
    draft = draft_of(tenant)
    if draft.completed < step:
        _complete(draft, step)
        trail.record("tenant.draft_saved", tenant, step=STEPS[step - 1])
    db.session.commit()


@_atomic
def finish_for_customer(tenant: Tenant) -> None:
    """Review, when the customer enters the IdP: the draft is complete and waits for them."""
    _require_draft(tenant)
    draft = draft_of(tenant)
    draft.submitted_at = utcnow()
    trail.record("tenant.draft_completed", tenant, waiting_for="customer identity provider")
    db.session.commit()


def submit(tenant: Tenant) -> Run:
    """Review: queue the onboarding run (committed before the id goes to the broker)."""
    _require_draft(tenant)
    draft = draft_of(tenant)
    if draft.completed < len(STEPS):
        raise ValidationError("review", "finish every step before starting onboarding")
    draft.submitted_at = utcnow()
    [run] = queue_onboarding([tenant])
    return run
