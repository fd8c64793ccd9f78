"""The tenants list: search, filters, sorting and pages that stay fast at 10,000+ tenants."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import lazyload

from portal.extensions import db
from portal.models import AuditEvent, LinkState, SetupLink, Tenant, TenantStatus, UserPool

PER_PAGE = 50
# Every sort column has an index ending in id (see the migration), so ORDER BY col, id LIMIT n
# OFFSET m walks an index instead of sorting the table.
SORTS = {
    "name": Tenant.name,
    "slug": Tenant.slug,
    "status": Tenant.status,
    "created": Tenant.created_at,
    "updated": Tenant.updated_at,
}


@dataclass(frozen=True)
class TenantFilter:
    q: str = ""
    status: str = ""
    pool: str = ""
    sort: str = "name"
    desc: bool = False
    page: int = 1


@dataclass
class TenantPage:
    filter: TenantFilter
    tenants: list[Tenant]
    total: int
    per_page: int = PER_PAGE
    pools: list[UserPool] = field(default_factory=list)
    links: dict[int, SetupLink] = field(default_factory=dict)  # tenant id -> unrevoked link

    def customer(self, tenant: Tenant) -> tuple[str, str] | None:
        """Where the customer's setup link stands: (state, words), or None without a link."""
        link = self.links.get(tenant.id)
        if link is None or tenant.status not in (TenantStatus.DRAFT, TenantStatus.FAILED):
            return None
        state = link.state()
        if state == LinkState.EXPIRED:
            return "expired", f"link expired {link.expires_at:%Y-%m-%d}"
        if state == LinkState.USED or link.submitted_at is not None:
            return "used", "customer submitted"
        return "active", f"waiting for customer (link until {link.expires_at:%Y-%m-%d})"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.filter.page > 1

    @property
    def has_next(self) -> bool:
        return self.filter.page < self.pages


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: Select, wanted: TenantFilter) -> Select:
    if wanted.q:
        needle = _escape_like(wanted.q.strip().lower())
        query = query.where(
            or_(
                func.lower(Tenant.name).like(f"%{needle}%", escape="\\"),
                Tenant.slug.like(f"{needle}%", escape="\\"),
            )
        )
    if wanted.status:
        query = query.where(Tenant.status == wanted.status)
    if wanted.pool == "none":
        query = query.where(Tenant.pool_id.is_(None))
    elif wanted.pool:
        query = query.join(UserPool, UserPool.id == Tenant.pool_id).where(
            UserPool.user_pool_id == wanted.pool
        )
    return query


def list_tenants(wanted: TenantFilter, per_page: int = PER_PAGE) -> TenantPage:
    """One page of tenants matching WANTED, and how many match in all."""
    column = SORTS.get(wanted.sort, Tenant.name)
    order = (column.desc(), Tenant.id.desc()) if wanted.desc else (column.asc(), Tenant.id.asc())
    total = db.session.scalar(_filtered(select(func.count(Tenant.id)), wanted)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, wanted.page), pages)
    if page != wanted.page:
        wanted = TenantFilter(wanted.q, wanted.status, wanted.pool, wanted.sort, wanted.desc, page)
    rows = db.session.scalars(
        _filtered(select(Tenant), wanted)
        .options(lazyload(Tenant.domains))  # the list shows none: skip their query
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    pools = list(db.session.scalars(select(UserPool).order_by(UserPool.user_pool_id)))
    links = {
        link.tenant_id: link
        for link in db.session.scalars(
            select(SetupLink).where(
                SetupLink.tenant_id.in_([t.id for t in rows]), SetupLink.revoked_at.is_(None)
            )
        )
    }
    return TenantPage(wanted, list(rows), total, per_page, pools, links)


def audit_trail(
    tenant: Tenant, before_id: int | None = None, limit: int = 25
) -> tuple[list[AuditEvent], int | None]:
    """A tenant's audit events, newest first, keyset-paged by id; and the next page's cursor."""
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    events = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(events) > limit
    events = events[:limit]
    return events, (events[-1].id if more else None)
