"""Registered user pools: registration, usage against each quota, and tenant placement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.cognito.errors import NotFoundError
from portal.cognito.pool_check import PoolCheck, check_pool
from portal.extensions import db
from portal.models import Tenant, TenantStatus, UserPool
from portal.models.pools import (
    DEFAULT_MAX_CLIENTS,
    DEFAULT_MAX_IDENTITY_PROVIDERS,
    MAX_STYLES,
)
from portal.services.audit import trail
from portal.services.engine.gateways import gateway_for
from portal.services.engine.ledger import TenantCallRecorder
from portal.validation import ValidationError

# Tenants holding (or about to hold) resources in their pool.
HOLDING_STATUSES = (
    TenantStatus.QUEUED,
    TenantStatus.PROVISIONING,
    TenantStatus.READY,
    TenantStatus.FAILED,
    TenantStatus.OFFBOARDING,
)


class NoPoolHasRoom(Exception):
    """No registered pool has room; the message names the full quotas and what to do."""


@dataclass(frozen=True)
class PoolUsage:
    pool: UserPool
    clients: int
    identity_providers: int
    styles: int

    @property
    def max_styles(self) -> int:
        return MAX_STYLES if self.pool.needs_styles else 0

    def full_quotas(self) -> list[str]:
        full = []
        if self.clients >= self.pool.max_clients:
            full.append(f"app clients {self.clients}/{self.pool.max_clients}")
        if self.identity_providers >= self.pool.max_identity_providers:
            full.append(
                f"identity providers {self.identity_providers}/{self.pool.max_identity_providers}"
            )
        if self.pool.needs_styles and self.styles >= MAX_STYLES:
            full.append(f"managed-login styles {self.styles}/{MAX_STYLES} (fixed by AWS)")
        return full

    def warnings(self, threshold: float = 0.8) -> list[str]:
        """Quotas at or above 80% full, in words."""
        rows = [
            ("app clients", self.clients, self.pool.max_clients),
            ("identity providers", self.identity_providers, self.pool.max_identity_providers),
        ]
        if self.pool.needs_styles:
            rows.append(("managed-login styles", self.styles, MAX_STYLES))
        return [
            f"{name} {used}/{limit} ({used / limit:.0%})"
            for name, used, limit in rows
            if limit and used / limit >= threshold
        ]

    @property
    def has_room(self) -> bool:
        return not self.pool.closed and not self.full_quotas()

    @property
    def fill_ratio(self) -> float:
        ratios = [
            self.clients / self.pool.max_clients,
            self.identity_providers / self.pool.max_identity_providers,
        ]
        if self.pool.needs_styles:
            ratios.append(self.styles / MAX_STYLES)
        return max(ratios)

    def to_dict(self) -> dict:
        return {
            "user_pool_id": self.pool.user_pool_id,
            "region": self.pool.region,
            "name": self.pool.name,
            "domain": self.pool.cognito_domain_url,
            "managed_login_version": self.pool.managed_login_version,
            "feature_plan": self.pool.feature_plan,
            "closed": self.pool.closed,
            "app_clients": {"used": self.clients, "max": self.pool.max_clients},
            "identity_providers": {
                "used": self.identity_providers,
                "max": self.pool.max_identity_providers,
            },
            "managed_login_styles": {"used": self.styles, "max": self.max_styles},
            "has_room": self.has_room,
            "warnings": self.warnings(),
        }


def find_pool(user_pool_id: str) -> UserPool | None:
    return db.session.scalar(select(UserPool).where(UserPool.user_pool_id == user_pool_id))


def _holding(pool_ids: list[int]) -> dict[int, int]:
    """Per pool, the tenants holding resources there (two grouped counts for any number)."""
    from portal.models import MoveState, TenantMove

    counts: dict[int, int] = dict.fromkeys(pool_ids, 0)
    if not pool_ids:
        return counts
    rows = db.session.execute(
        select(Tenant.pool_id, func.count(Tenant.id))
        .where(Tenant.pool_id.in_(pool_ids), Tenant.status.in_(HOLDING_STATUSES))
        .group_by(Tenant.pool_id)
    )
    for pool_id, count in rows:
        counts[pool_id] += count
    # A tenant moving away keeps its old resources here until the move is finished.
    rows = db.session.execute(
        select(TenantMove.from_pool_id, func.count(TenantMove.id))
        .where(TenantMove.from_pool_id.in_(pool_ids), TenantMove.state != MoveState.DONE)
        .group_by(TenantMove.from_pool_id)
    )
    for pool_id, count in rows:
        counts[pool_id] += count
    return counts


def _usage(pool: UserPool, holding: int) -> PoolUsage:
    return PoolUsage(
        pool,
        pool.baseline_clients + holding,
        pool.baseline_identity_providers + holding,
        pool.baseline_styles + (holding if pool.needs_styles else 0),
    )


def usage(pool: UserPool) -> PoolUsage:
    return _usage(pool, _holding([pool.id])[pool.id])


def usages(pools: list[UserPool]) -> list[PoolUsage]:
    holding = _holding([p.id for p in pools])
    return [_usage(p, holding[p.id]) for p in pools]


def list_usage() -> list[PoolUsage]:
    return usages(list(db.session.scalars(select(UserPool).order_by(UserPool.id))))


def region_of(user_pool_id: str) -> str:
    region, sep, _ = user_pool_id.partition("_")
    if not sep or not region:
        raise ValidationError(
            "user_pool_id",
            f"{user_pool_id!r} is not a user pool id (they look like us-east-1_AbCdEf123)",
        )
    return region


def inspect_pool(
    user_pool_id: str,
    region: str | None = None,
    *,
    max_clients: int | None = None,
    max_identity_providers: int | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> PoolCheck:
    """`portal pools check`: every finding about a pool, registered or not (reads only)."""
    user_pool_id = user_pool_id.strip()
    region = region or region_of(user_pool_id)
    registered = find_pool(user_pool_id)
    if registered is not None:
        max_clients = max_clients or registered.max_clients
        max_identity_providers = max_identity_providers or registered.max_identity_providers
    try:
        return check_pool(
            gateway_for(region, TenantCallRecorder(None)),
            user_pool_id,
            max_clients=max_clients or DEFAULT_MAX_CLIENTS,
            max_identity_providers=max_identity_providers or DEFAULT_MAX_IDENTITY_PROVIDERS,
            progress=progress,
        )
    except NotFoundError as error:
        raise ValidationError("user_pool_id", error.message) from None


def register_pool(
    user_pool_id: str,
    region: str | None = None,
    *,
    max_clients: int | None = None,
    max_identity_providers: int | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> UserPool:
    """Check the pool (`portal pools check`) and register it unless a finding blocks it."""
    user_pool_id = user_pool_id.strip()
    region = region or region_of(user_pool_id)
    if find_pool(user_pool_id) is not None:
        raise ValidationError("user_pool_id", f"user pool {user_pool_id} is registered already")
    for name, value in (
        ("max_clients", max_clients),
        ("max_identity_providers", max_identity_providers),
    ):
        if value is not None and value < 1:
            raise ValidationError(name, f"{name} must be at least 1")
    check = inspect_pool(
        user_pool_id,
        region,
        max_clients=max_clients,
        max_identity_providers=max_identity_providers,
        progress=progress,
    )
    if check.blocking:
        raise ValidationError(
            "user_pool_id",
            f"user pool {user_pool_id} cannot take tenants: "
            + " ".join(f.message for f in check.blocking),
        )
    facts = check.facts
    assert facts is not None  # no blocking finding means the pool was read
    pool = UserPool(
        user_pool_id=user_pool_id,
        region=region,
        name=facts.name,
        domain=facts.domain,
        custom_domain=facts.custom_domain,
        managed_login_version=facts.managed_login_version,
        feature_plan=facts.feature_plan,
        custom_attributes=facts.custom_attributes,
        baseline_clients=facts.client_count,
        baseline_identity_providers=facts.identity_provider_count,
        baseline_styles=facts.style_count,
    )
    if max_clients:
        pool.max_clients = max_clients
    if max_identity_providers:
        pool.max_identity_providers = max_identity_providers
    db.session.add(pool)
    db.session.flush()
    trail.record(
        "pool.registered",
        after={
            "user_pool_id": user_pool_id,
            "region": region,
            "domain": facts.domain,
            "managed_login_version": facts.managed_login_version,
            "feature_plan": facts.feature_plan,
            "existing_clients": facts.client_count,
            "existing_identity_providers": facts.identity_provider_count,
            "existing_styles": facts.style_count,
        },
    )
    db.session.commit()
    return pool


def place_tenant(tenant: Tenant) -> UserPool:
    """Choose the open pool with the most room on the quotas that matter, locked while counting."""
    place_tenants([tenant])
    return tenant.pool


def place_tenants(tenants: list[Tenant]) -> None:
    """Place each tenant as `place_tenant` would, in order, the pools locked and counted once.

    Each placement counts in the next one's choice, as if they had been placed one by one (a
    tenant placed here holds room in its pool from its queueing on). A pinned draft is checked
    against its pool's room. The first tenant that finds no room raises NoPoolHasRoom.
    """
    loose = [t for t in tenants if t.pool is None]
    pinned = [t for t in tenants if t.pool is not None and t.status == TenantStatus.DRAFT]
    if not loose and not pinned:
        return
    pools: list[UserPool] = []
    if loose:
        # FOR NO KEY UPDATE: placements wait for each other, but a worker's transaction that
        # checks a tenant's foreign key to its pool (PostgreSQL takes FOR KEY SHARE for it, even
        # when the key is unchanged, on a row the transaction already updated) does not wait.
        pools = list(
            db.session.scalars(
                select(UserPool)
                .where(UserPool.closed.is_(False))
                .order_by(UserPool.id)
                .with_for_update(key_share=True)
            )
        )
    counted = {p.id: p for p in pools} | {t.pool.id: t.pool for t in pinned}
    holding = _holding(list(counted))
    for tenant in tenants:
        if tenant.pool is None:
            candidates = [_usage(p, holding[p.id]) for p in pools]
            roomy = [u for u in candidates if u.has_room]
            if not roomy:
                raise NoPoolHasRoom(_full_message(candidates))
            tenant.pool = min(roomy, key=lambda u: (u.fill_ratio, u.pool.id)).pool
        elif tenant.status == TenantStatus.DRAFT:  # pinned, and about to take room in it
            pinned_usage = _usage(tenant.pool, holding[tenant.pool.id])
            if not pinned_usage.has_room:
                full = ", ".join(pinned_usage.full_quotas() or ["closed to new tenants"])
                raise NoPoolHasRoom(
                    f"The pinned user pool {tenant.pool.user_pool_id} has no room ({full}). "
                    "Pin the tenant to another pool or let the portal place it."
                )
        else:
            continue
        holding[tenant.pool.id] += 1


def _full_message(candidates: list[PoolUsage]) -> str:
    if not candidates:
        return (
            "No open user pool is registered. Register one with `portal pools add "
            "USER_POOL_ID` (it needs a domain), then onboard again."
        )
    parts = [
        f"{u.pool.user_pool_id}: " + ", ".join(u.full_quotas() or ["closed"]) for u in candidates
    ]
    return (
        "Every open user pool is full: " + "; ".join(parts) + ". A pool holds at most 20 "
        "managed-login styles (fixed by AWS); register another user pool with `portal pools "
        "add`, or ask AWS to raise the adjustable quotas and update them with --max-clients / "
        "--max-idps."
    )


def set_closed(pool: UserPool, closed: bool) -> UserPool:
    """Close a pool to new tenants (existing ones stay), or open it again."""
    if pool.closed == closed:
        return pool
    pool.closed = closed
    trail.record("pool.closed" if closed else "pool.opened", user_pool_id=pool.user_pool_id)
    db.session.commit()
    return pool


def set_quotas(
    pool: UserPool, max_clients: int | None = None, max_identity_providers: int | None = None
) -> UserPool:
    """Record quota increases AWS granted for this pool (the style limit of 20 is fixed)."""
    before = {
        "max_clients": pool.max_clients,
        "max_identity_providers": pool.max_identity_providers,
    }
    for name, value in (
        ("max_clients", max_clients),
        ("max_identity_providers", max_identity_providers),
    ):
        if value is not None:
            if value < 1:
                raise ValidationError(name, f"{name} must be at least 1")
            setattr(pool, name, value)
    after = {"max_clients": pool.max_clients, "max_identity_providers": pool.max_identity_providers}
    if after != before:
        trail.record(
            "pool.quotas_changed", before=before, after=after, user_pool_id=pool.user_pool_id
        )
        db.session.commit()
    return pool
