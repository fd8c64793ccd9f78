"""Claiming, releasing and deciding e-mail domains; only verified ones reach Cognito."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy import select

from portal.config import current_settings
from portal.extensions import db
from portal.models import (
    DomainState,
    Run,
    Tenant,
    TenantDomain,
    TenantStatus,
    VerifyMethod,
    utcnow,
)
from portal.services import events
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.services.domains.names import MAX_IDENTIFIERS, normalise
from portal.validation import ValidationError

log = logging.getLogger(__name__)

TXT_LABEL = "_cognito-portal"  # the record is _cognito-portal.<domain>, its value the token
TOKEN_BYTES = 16
MAX_REASON = 500
CLOSED = (TenantStatus.OFFBOARDING, TenantStatus.OFFBOARDED)
PENDING_KEY = "portal.domains.pending"


class DomainTaken(ValidationError):
    """Another tenant verified the domain first; which one is not said."""


def token_of(tenant: Tenant) -> str:
    """The tenant's TXT value, the same for all its domains; made at its first claim."""
    if not tenant.domain_token:
        tenant.domain_token = secrets.token_hex(TOKEN_BYTES)
    return tenant.domain_token


def txt_name(domain: str) -> str:
    return f"{TXT_LABEL}.{domain}"


def find(tenant: Tenant, domain: str) -> TenantDomain | None:
    return next((d for d in tenant.domains if d.domain == domain), None)


def verified_holder(domain: str) -> TenantDomain | None:
    """The verified claim on DOMAIN, whoever holds it."""
    return db.session.scalar(
        select(TenantDomain).where(
            TenantDomain.domain == domain, TenantDomain.state == DomainState.VERIFIED
        )
    )


def taken_message(domain: str) -> str:
    vendor = current_settings().vendor_name
    return (
        f"{domain} is already verified by another organisation, so it cannot be yours here. "
        f"If your organisation owns it, ask {vendor} to look into it."
    )


def _check_open(tenant: Tenant) -> None:
    if tenant.status in CLOSED:
        raise ValidationError("domains", f"tenant {tenant.slug} is {tenant.status}")


def _require_free(tenant: Tenant, domain: str) -> None:
    if held_elsewhere(tenant, domain):
        raise DomainTaken("domains", taken_message(domain))


def add_claim(tenant: Tenant, domain: str) -> TenantDomain:
    """Claim DOMAIN for TENANT (unverified); nothing reaches Cognito until it is verified."""
    _check_open(tenant)
    domain = normalise(domain)
    existing = find(tenant, domain)
    if existing is not None:
        return existing
    if len(tenant.domains) >= MAX_IDENTIFIERS:
        raise ValidationError("domains", f"a tenant claims at most {MAX_IDENTIFIERS} domains")
    _require_free(tenant, domain)
    token_of(tenant)
    claim = TenantDomain(
        domain=domain,
        state=DomainState.UNVERIFIED,
        legacy=False,
        claimed_by=current_actor().label[:300],
    )
    tenant.domains.append(claim)
    db.session.flush()
    trail.record("domain.claimed", tenant, domain=domain, record=txt_name(domain))
    return claim


def kept_from_cognito(identifiers: list[str]) -> list[TenantDomain]:
    """Claims for the IdpIdentifiers Cognito already holds (a tenant adopted as made by hand):
    unverified, kept in Cognito as they are until staff verify or remove them. Not added to a
    session."""
    actor = current_actor().label[:300]
    return [
        TenantDomain(domain=domain, state=DomainState.UNVERIFIED, legacy=True, claimed_by=actor)
        for domain in dict.fromkeys(d.strip().lower() for d in identifiers if d and d.strip())
    ]


def remove_claim(tenant: Tenant, domain: str, reason: str | None = None) -> bool:
    """Drop TENANT's claim on DOMAIN (verified or not); False if it had none."""
    claim = find(tenant, domain.strip().lower())
    if claim is None:
        return False
    before = identifiers(tenant)
    tenant.domains.remove(claim)
    db.session.flush()
    trail.record(
        "domain.removed",
        tenant,
        domain=claim.domain,
        state=claim.state,
        legacy=claim.legacy,
        reason=reason,
    )
    _identifiers_changed(tenant, before)
    return True


def set_claims(tenant: Tenant, domains: list[str]) -> None:
    """TENANT now claims exactly DOMAINS (the setup form's list); checked first, no commit."""
    _check_open(tenant)
    taken = [d for d in domains if held_elsewhere(tenant, d)]
    if taken:
        raise DomainTaken("domains", " ".join(taken_message(d) for d in taken))
    for claim in list(tenant.domains):
        if claim.domain not in domains:
            remove_claim(tenant, claim.domain, "removed from the list by the customer")
    for domain in domains:
        add_claim(tenant, domain)


def held_elsewhere(tenant: Tenant, domain: str) -> bool:
    holder = verified_holder(domain)
    return holder is not None and holder.tenant_id != tenant.id


def identifiers(tenant: Tenant) -> list[str]:
    return list(tenant.idp_identifiers)


def mark_verified(
    claim: TenantDomain, method: str, reason: str | None = None, by: str | None = None
) -> None:
    """Verify CLAIM; the first verification wins. Other tenants' claims on it are released."""
    tenant = claim.tenant
    if claim.state == DomainState.VERIFIED:
        return
    _require_free(tenant, claim.domain)
    before = identifiers(tenant)
    now = utcnow()
    claim.state = DomainState.VERIFIED
    claim.legacy = False
    claim.verified_at = now
    claim.verified_by = (by or current_actor().label)[:300]
    claim.method = method
    claim.reason = reason
    db.session.flush()  # the unique index decides a race: the second verification fails here
    trail.record(
        "domain.verified",
        tenant,
        domain=claim.domain,
        method=method,
        reason=reason,
    )
    for other in db.session.scalars(
        select(TenantDomain).where(
            TenantDomain.domain == claim.domain, TenantDomain.tenant_id != tenant.id
        )
    ).all():
        _release_lost(other)
    _identifiers_changed(tenant, before)


def _release_lost(claim: TenantDomain) -> None:
    """Another tenant verified the domain: this unverified claim (and identifier) goes."""
    tenant = claim.tenant
    before = identifiers(tenant)
    tenant.domains.remove(claim)
    db.session.flush()
    trail.record(
        "domain.lost",
        tenant,
        domain=claim.domain,
        legacy=claim.legacy,
        reason="another organisation verified this domain",
    )
    _identifiers_changed(tenant, before)


def verify_by_hand(tenant: Tenant, domain: str, reason: str) -> TenantDomain:
    """Staff vouch for the tenant's control of DOMAIN; audited with their reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("reason", "Say why you verify this domain by hand.")
    if len(reason) > MAX_REASON:
        raise ValidationError("reason", f"Keep the reason under {MAX_REASON} characters.")
    claim = find(tenant, domain.strip().lower())
    if claim is None:
        raise ValidationError("domain", f"tenant {tenant.slug} does not claim {domain}")
    if claim.state == DomainState.VERIFIED:
        raise ValidationError("domain", f"{claim.domain} is verified already")
    mark_verified(claim, VerifyMethod.MANUAL, reason)
    commit()
    return claim


def claim_domain(tenant: Tenant, domain: str) -> TenantDomain:
    """Staff (or the API/CLI) add a claim for TENANT; committed."""
    claim = add_claim(tenant, domain)
    commit()
    return claim


def remove_domain(tenant: Tenant, domain: str, reason: str) -> None:
    """Staff withdraw a claim (a kept identifier too: then Cognito drops it); committed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("reason", "Say why you remove this domain.")
    if not remove_claim(tenant, domain, reason[:MAX_REASON]):
        raise ValidationError("domain", f"tenant {tenant.slug} does not claim {domain}")
    commit()


def commit() -> None:
    """Commit, then queue the runs that apply changed identifiers."""
    db.session.commit()
    apply_changes()


def _identifiers_changed(tenant: Tenant, before: list[str]) -> None:
    """The provider's IdpIdentifiers changed: a ready tenant gets them applied by a run.

    Not when staff have other changes waiting for review: the identifiers join those.
    """
    after = identifiers(tenant)
    if after == before:
        return
    tenant.domains_changed_at = utcnow()
    trail.record(
        "domain.identifiers_changed",
        tenant,
        before={"idp_identifiers": before},
        after={"idp_identifiers": after},
    )
    if tenant.status == TenantStatus.READY and tenant.pending_changes_since is None:
        _pending().add(tenant.id)


def _pending() -> set[int]:
    """Tenants whose identifiers changed in this session, for `apply_changes` after the commit."""
    return db.session.info.setdefault(PENDING_KEY, set())


def apply_changes() -> list[int]:
    """Queue a run for each ready tenant whose identifiers changed; call after committing.

    A run is queued only once what it applies is committed; it changes only what differs.
    """
    from portal.services.engine.queue import active_run, queue_onboarding

    queued = []
    pending = _pending()
    while pending:
        tenant_id = pending.pop()
        tenant = db.session.get(Tenant, tenant_id)
        if tenant is None or tenant.status != TenantStatus.READY or active_run(tenant):
            continue
        try:
            queue_onboarding([tenant])
            queued.append(tenant_id)
        except Exception:  # the identifiers wait for the next run or drift repair
            db.session.rollback()
            log.exception("could not queue a run for tenant %s", tenant.slug)
    return queued


def catch_up(limit: int = 100) -> list[int]:
    """Beat: queue a run for ready tenants whose identifiers changed after their last run was
    made (say, verified while a run was under way), so Cognito gets them without waiting for drift.
    """
    from portal.services.engine.queue import queue_onboarding

    later_run = (
        select(Run.id)
        .where(Run.tenant_id == Tenant.id, Run.created_at >= Tenant.domains_changed_at)
        .exists()
    )
    due = db.session.scalars(
        select(Tenant)
        .where(
            Tenant.status == TenantStatus.READY,
            Tenant.domains_changed_at.is_not(None),
            Tenant.pending_changes_since.is_(None),
            ~later_run,
        )
        .order_by(Tenant.domains_changed_at)
        .limit(limit)
    ).all()
    queued = []
    for tenant in due:
        try:
            queue_onboarding([tenant])
            queued.append(tenant.id)
        except Exception:
            db.session.rollback()
            log.exception("could not queue a run for tenant %s", tenant.slug)
    return queued


def summary(tenant: Tenant) -> list[dict[str, Any]]:
    return [d.to_dict() for d in tenant.domains]


def on_event(event_type: str, tenant: Tenant | None, _data: dict[str, Any]) -> None:
    """An offboarded tenant's domains are free again for anybody to verify."""
    if event_type == events.TENANT_OFFBOARDED and tenant is not None:
        release_all(tenant)


def release_all(tenant: Tenant) -> None:
    """Drop every claim of TENANT (its provider is gone), audited; no commit."""
    for claim in list(tenant.domains):
        tenant.domains.remove(claim)
        trail.record("domain.released", tenant, domain=claim.domain, reason="tenant offboarded")
    db.session.flush()
