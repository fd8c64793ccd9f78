"""What stays of an offboarded tenant: when and by whom, and why it has no credentials any more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Tenant, TenantStatus

# The audit actions that start an offboarding (queued) or finish one outright (nothing provisioned).
OFFBOARD_ACTIONS = ("tenant.offboarding", "tenant.offboarded")


@dataclass(frozen=True)
class Offboarding:
    """Who offboarded a tenant and when; `done` is False while the removal is still running."""

    at: datetime
    by: str
    done: bool

    @property
    def when(self) -> str:
        return self.at.strftime("%Y-%m-%d %H:%M UTC")


class CredentialsGone(Exception):
    """The tenant is offboarded (or being offboarded): its app client no longer exists."""

    def __init__(self, tenant: Tenant, offboarding: Offboarding) -> None:
        self.tenant = tenant
        self.offboarding = offboarding
        if offboarding.done:
            self.reason = (
                f"Tenant {tenant.slug} was offboarded on {offboarding.when} by {offboarding.by}: "
                "its app client, identity provider and login style were removed from Cognito, "
                "so there are no credentials to hand over. Its history stays in the portal."
            )
        else:
            self.reason = (
                f"Tenant {tenant.slug} is being offboarded (started {offboarding.when} by "
                f"{offboarding.by}): its app client is being removed from Cognito, so there are "
                "no credentials to hand over."
            )
        super().__init__(self.reason)


def offboarding_of(tenant: Tenant) -> Offboarding | None:
    """When and by whom the tenant was offboarded, from its audit trail; None if it was not."""
    if tenant.status not in (TenantStatus.OFFBOARDING, TenantStatus.OFFBOARDED):
        return None
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant.id, AuditEvent.action.in_(OFFBOARD_ACTIONS))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    done = tenant.status == TenantStatus.OFFBOARDED
    at = (tenant.offboarded_at if done else None) or (event.at if event else tenant.updated_at)
    return Offboarding(at=at, by=event.actor_label if event else "unknown", done=done)


def refuse_if_offboarded(tenant: Tenant) -> None:
    """Raise CredentialsGone for an offboarded (or offboarding) tenant."""
    offboarding = offboarding_of(tenant)
    if offboarding is not None:
        raise CredentialsGone(tenant, offboarding)
