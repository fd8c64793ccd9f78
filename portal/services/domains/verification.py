"""Proving a claim: the TXT record _cognito-portal.<domain> holds the tenant's token."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from portal.config import Settings, current_settings
from portal.extensions import db
from portal.models import DomainState, Tenant, TenantDomain, VerifyMethod, utcnow
from portal.services.domains import claims
from portal.validation import ValidationError

log = logging.getLogger(__name__)

SWEEP_BATCH = 100  # claims one beat tick looks at, the least recently checked first
# Lookups run side by side: a tenant's 50 domains whose DNS never answers take 4 timeouts
# (4 x PORTAL_DNS_TIMEOUT_SECONDS), not 50, on a "check now" page; a sweep of 100, 7.
LOOKUP_THREADS = 16
TAKEN_RESULT = "the record is there, but another organisation verified it first"


@dataclass(frozen=True)
class Lookup:
    """What DNS said: the TXT strings found, or why there are none."""

    values: tuple[str, ...] = ()
    problem: str | None = None  # None: DNS answered (maybe with no record)


def lookup_txt(name: str, settings: Settings) -> Lookup:
    """The TXT strings at NAME, through PORTAL_DNS_RESOLVERS (or the system's), time-limited."""
    import dns.exception
    import dns.nameserver
    import dns.resolver

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
        return Lookup(problem=f"DNS did not answer within {settings.dns_timeout_seconds:g} s")
    except dns.resolver.NoNameservers:
        return Lookup(problem="no DNS server could answer for this name")
    except dns.exception.DNSException as exc:
        return Lookup(problem=f"DNS lookup failed ({type(exc).__name__})")
    values = tuple(b"".join(record.strings).decode("utf-8", "replace").strip() for record in answer)
    return Lookup(values=values)


def lookup_all(names: list[str]) -> dict[str, Lookup]:
    """Look up NAMES side by side (network waits only; no database work in the threads)."""
    if not names:
        return {}
    settings = current_settings()
    with ThreadPoolExecutor(max_workers=min(LOOKUP_THREADS, len(names))) as pool:
        found = pool.map(lambda name: lookup_txt(name, settings), names)
        return dict(zip(names, found, strict=True))


def record_result(claim: TenantDomain, found: Lookup) -> bool:
    """Note what DNS said about CLAIM; verify it if the tenant's token is there. No commit."""
    if claim.state == DomainState.VERIFIED:
        return False
    name = claims.txt_name(claim.domain)
    claim.checked_at = utcnow()
    if found.problem:
        claim.check_result = f"{found.problem}; checked again later"[:300]
        return False
    if claims.token_of(claim.tenant) not in found.values:
        claim.check_result = (
            f"a TXT record is at {name}, but not with this token"
            if found.values
            else f"no TXT record at {name} yet"
        )[:300]
        return False
    if claims.held_elsewhere(claim.tenant, claim.domain):
        claim.check_result = TAKEN_RESULT
        return False
    claim.check_result = "TXT record found"
    claims.mark_verified(claim, VerifyMethod.DNS, by="DNS check")
    return True


def _check(claims_due: list[TenantDomain]) -> list[TenantDomain]:
    """Look up every claim's record at once, then record each in its own transaction."""
    found = lookup_all(sorted({claims.txt_name(c.domain) for c in claims_due}))
    verified = []
    for claim in claims_due:
        claim_id = claim.id
        try:
            if record_result(claim, found[claims.txt_name(claim.domain)]):
                verified.append(claim)
            db.session.commit()
        except (IntegrityError, claims.DomainTaken):  # another tenant verified it just now
            db.session.rollback()
            lost = db.session.get(TenantDomain, claim_id)
            if lost is not None:
                lost.checked_at, lost.check_result = utcnow(), TAKEN_RESULT
                db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("checking domain claim %s failed", claim_id)
    claims.apply_changes()
    return verified


def check_tenant(tenant: Tenant) -> list[TenantDomain]:
    """Check each unverified claim of TENANT now ("check now"); the ones verified."""
    if tenant.status in claims.CLOSED:
        raise ValidationError("domains", f"tenant {tenant.slug} is {tenant.status}")
    return _check([d for d in tenant.domains if d.state == DomainState.UNVERIFIED])


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
    return len(_check(due_claims(limit)))
