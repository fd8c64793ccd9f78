"""Proving a claim: the TXT record _cognito-portal.<domain> holds the tenant's token."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from portal.config import current_settings
from portal.extensions import db
from portal.models import DomainState, Tenant, TenantDomain, VerifyMethod, utcnow
from portal.services.domains import claims
from portal.validation import ValidationError

log = logging.getLogger(__name__)

SWEEP_BATCH = 200  # claims one beat tick looks at, the least recently checked first


@dataclass(frozen=True)
class Lookup:
    """What DNS said: the TXT strings found, or why there are none."""

    values: tuple[str, ...] = ()
    problem: str | None = None  # None: DNS answered (maybe with no record)
    temporary: bool = False


def lookup_txt(name: str) -> Lookup:
    """The TXT strings at NAME, through PORTAL_DNS_RESOLVERS (or the system's), time-limited."""
    import dns.exception
    import dns.nameserver
    import dns.resolver

    settings = current_settings()
    if settings.dns_resolvers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(host, port) for host, port in settings.dns_resolvers
        ]
    else:
        resolver = dns.resolver.Resolver()
    resolver.lifetime = settings.dns_timeout_seconds
    resolver.timeout = settings.dns_timeout_seconds
    try:
        answer = resolver.resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return Lookup()
    except dns.resolver.LifetimeTimeout:
        return Lookup(
            problem=f"DNS did not answer within {settings.dns_timeout_seconds:g} s",
            temporary=True,
        )
    except dns.resolver.NoNameservers:
        return Lookup(problem="no DNS server could answer for this name", temporary=True)
    except dns.exception.DNSException as exc:
        return Lookup(problem=f"DNS lookup failed ({type(exc).__name__})", temporary=True)
    values = tuple(b"".join(record.strings).decode("utf-8", "replace").strip() for record in answer)
    return Lookup(values=values)


def check_claim(claim: TenantDomain) -> bool:
    """Look for the tenant's token once; verify the claim if it is there. No commit."""
    if claim.state == DomainState.VERIFIED:
        return True
    token = claims.token_of(claim.tenant)
    found = lookup_txt(claims.txt_name(claim.domain))
    claim.checked_at = utcnow()
    if found.problem:
        claim.check_result = f"{found.problem}; checked again later"[:300]
        return False
    if token not in found.values:
        claim.check_result = (
            f"a TXT record is at {claims.txt_name(claim.domain)}, but not with this token"
            if found.values
            else f"no TXT record at {claims.txt_name(claim.domain)} yet"
        )[:300]
        return False
    holder = claims.verified_holder(claim.domain)
    if holder is not None and holder.tenant_id != claim.tenant_id:
        claim.check_result = "the record is there, but another organisation verified it first"
        return False
    claim.check_result = "TXT record found"
    claims.mark_verified(claim, VerifyMethod.DNS, by="DNS check")
    return True


def check_tenant(tenant: Tenant) -> list[TenantDomain]:
    """Check each unverified claim of TENANT now ("check now"); commit; the ones verified."""
    if tenant.status in claims.CLOSED:
        raise ValidationError("domains", f"tenant {tenant.slug} is {tenant.status}")
    verified = []
    for claim in [d for d in tenant.domains if d.state == DomainState.UNVERIFIED]:
        if _check_and_commit(claim):
            verified.append(claim)
    claims.apply_changes()
    return verified


def _check_and_commit(claim: TenantDomain) -> bool:
    """One claim in its own transaction: a lost race on the unique index is a plain 'taken'."""
    claim_id = claim.id
    try:
        ok = check_claim(claim)
        db.session.commit()
        return ok
    except (IntegrityError, claims.DomainTaken):
        db.session.rollback()
        lost = db.session.get(TenantDomain, claim_id)
        if lost is not None:
            lost.checked_at = utcnow()
            lost.check_result = "the record is there, but another organisation verified it first"
            db.session.commit()
        return False


def due_claims(limit: int = SWEEP_BATCH) -> list[TenantDomain]:
    """Unverified claims of live tenants not checked for PORTAL_DNS_CHECK_MINUTES."""
    cutoff = utcnow() - timedelta(minutes=current_settings().dns_check_minutes)
    return list(
        db.session.scalars(
            select(TenantDomain)
            .join(Tenant, Tenant.id == TenantDomain.tenant_id)
            .where(
                TenantDomain.state == DomainState.UNVERIFIED,
                Tenant.status.not_in(claims.CLOSED),
                or_(TenantDomain.checked_at.is_(None), TenantDomain.checked_at < cutoff),
            )
            .order_by(TenantDomain.checked_at.asc().nulls_first(), TenantDomain.id)
            .limit(limit)
        )
    )


def sweep(limit: int = SWEEP_BATCH) -> int:
    """Beat: check the due claims once each; the number verified."""
    verified = 0
    for claim in due_claims(limit):
        try:
            verified += _check_and_commit(claim)
        except Exception:
            db.session.rollback()
            log.exception("checking domain claim %s failed", claim.id)
    claims.apply_changes()
    return verified
