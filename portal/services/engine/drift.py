"""Drift: differences between a ready tenant's live Cognito configuration and its desired state."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from portal.config import current_settings
from portal.extensions import db
from portal.models import DriftFinding, DriftStatus, Tenant, TenantStatus, utcnow
from portal.models.tenants import NO_GROUPS_CLAIM
from portal.services import events
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.services.engine.desired import desired_state, test_callback_url
from portal.services.engine.gateways import background_work
from portal.services.engine.lifecycle import apply_tenant, plan_tenant
from portal.services.tenants.records import tenant_settings
from portal.validation import ValidationError, check_redirect_urls

log = logging.getLogger(__name__)


def open_findings(tenant: Tenant) -> list[DriftFinding]:
    return list(
        db.session.scalars(
            select(DriftFinding)
            .where(DriftFinding.tenant_id == tenant.id, DriftFinding.status == DriftStatus.OPEN)
            .order_by(DriftFinding.id)
        )
    )


def check_drift(tenant: Tenant) -> list[DriftFinding]:
    """Compare live with desired (reads only) and record what differs; return the open findings."""
    if tenant.status != TenantStatus.READY or tenant.pending_changes_since is not None:
        return open_findings(tenant)  # pending changes are not drift: they await "apply"
    plan = plan_tenant(tenant)
    seen: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for resource in plan.resources:
        for change in resource.changes:
            seen[(change["resource"], change["action"], change["field"])] = change
    existing = {(f.resource, f.action, f.field): f for f in open_findings(tenant)}
    new = []
    for key, change in seen.items():
        finding = existing.pop(key, None)
        if finding is None:
            finding = DriftFinding(
                tenant_id=tenant.id, resource=key[0], action=key[1], field=key[2]
            )
            db.session.add(finding)
            new.append(finding)
        finding.live_value, finding.desired_value = change["before"], change["after"]
    for gone in existing.values():
        gone.status, gone.resolved_at, gone.resolved_by = DriftStatus.GONE, utcnow(), "drift check"
    now = utcnow()
    tenant.drift_checked_at = now
    tenant.drift_detected_at = (tenant.drift_detected_at or now) if seen else None
    if new:
        db.session.flush()
        trail.record(
            "drift.found",
            tenant,
            findings=[{"resource": f.resource, "action": f.action, "field": f.field} for f in new],
        )
        events.publish(
            events.DRIFT_FOUND,
            tenant,
            findings=[{"resource": f.resource, "field": f.field} for f in new],
        )
    db.session.commit()
    return open_findings(tenant)


def fields_compared(tenant: Tenant) -> int:
    """How many values a drift check compares: the client's configuration, the provider's
    details and attribute mapping, the pool's custom attributes and the login style."""
    desired = desired_state(tenant)
    return (
        len(desired.client_config())
        + len(desired.provider_details())
        + len(desired.attribute_mapping())
        + len(desired.custom_attributes)
        + (1 if desired.needs_style else 0)
    )


def repair(tenant: Tenant):
    """Reconcile: put back every drifted value (the run marks the findings repaired)."""
    if not open_findings(tenant):
        raise ValidationError("drift", f"tenant {tenant.slug} has no open drift findings")
    return apply_tenant(tenant)


# Live values that map back onto a tenant setting, and how.
def _accept_callback_urls(tenant: Tenant, live: Any) -> None:
    own = test_callback_url()
    mine = [u for u in (live or []) if u != own]
    tenant.callback_urls = _acceptable_urls(mine, "callback_urls", required=True)


def _accept_logout_urls(tenant: Tenant, live: Any) -> None:
    tenant.logout_urls = _acceptable_urls(list(live or []), "logout_urls", required=False)


def _acceptable_urls(urls: list[str], field: str, required: bool) -> list[str]:
    """Live URLs pass the same rule as typed ones (Cognito takes some the .env file cannot)."""
    try:
        return check_redirect_urls(urls, field, required=required)
    except ValidationError as error:
        raise ValidationError(
            "drift", f"the live {field} cannot become the setting: {error.message}; repair it"
        ) from error


ACCEPTABLE = {
    ("app client", "CallbackURLs"): _accept_callback_urls,
    ("app client", "LogoutURLs"): _accept_logout_urls,
    ("identity provider", "ProviderDetails.authorize_scopes"): lambda t, v: setattr(
        t, "authorize_scopes", v
    ),
    ("identity provider", "ProviderDetails.oidc_issuer"): lambda t, v: setattr(t, "issuer", v),
    ("identity provider", "ProviderDetails.client_id"): lambda t, v: setattr(t, "idp_client_id", v),
    ("identity provider", "ProviderDetails.attributes_request_method"): lambda t, v: setattr(
        t, "attributes_request_method", v
    ),
    # IdpIdentifiers are not here: only verified e-mail domains may become identifiers.
    ("identity provider", "AttributeMapping"): lambda t, v: _accept_mapping(t, v),
}


def _accept_mapping(tenant: Tenant, live: dict[str, str]) -> None:
    # No custom:groups mapping is a setting too: the IdP sends no groups (Google Workspace).
    if tenant.is_saml and live.get("email"):
        tenant.email_attribute = live["email"]  # a SAML IdP names its e-mail attribute itself
        tenant.groups_claim = live.get("custom:groups") or NO_GROUPS_CLAIM
        tenant.roles_claim = live.get("custom:roles")
        return
    if live.get("email") != "email":
        raise ValidationError(
            "drift", "the live attribute mapping no longer maps email; repair it instead"
        )
    tenant.groups_claim = live.get("custom:groups") or NO_GROUPS_CLAIM
    tenant.roles_claim = live.get("custom:roles")
    tenant.email_verified_claim = live.get("email_verified")


def accept(tenant: Tenant, finding_ids: list[int] | None = None) -> list[DriftFinding]:
    """Take the live value as the new desired one, where a tenant setting can express it."""
    findings = [f for f in open_findings(tenant) if finding_ids is None or f.id in finding_ids]
    if not findings:
        raise ValidationError("drift", "no open drift finding matches")

    before = tenant_settings(tenant)
    for finding in findings:
        handler = ACCEPTABLE.get((finding.resource, finding.field))
        if handler is None:
            raise ValidationError(
                "drift",
                f"{finding.resource} {finding.field or finding.action} cannot be "
                "accepted: the portal needs its own value there. Repair it instead.",
            )
        handler(tenant, finding.live_value)
        finding.status, finding.resolved_at = DriftStatus.ACCEPTED, utcnow()

        finding.resolved_by = current_actor().label
    if not open_findings(tenant):
        tenant.drift_detected_at = None
    trail.record(
        "drift.accepted",
        tenant,
        before=before,
        after=tenant_settings(tenant),
        findings=[f.id for f in findings],
    )
    db.session.commit()
    return findings


def tenants_due(limit: int) -> list[Tenant]:
    """Ready tenants whose last drift check is the oldest (never checked first)."""
    interval = timedelta(hours=current_settings().drift_interval_hours)
    cutoff = utcnow() - interval
    return list(
        db.session.scalars(
            select(Tenant)
            .where(
                Tenant.status == TenantStatus.READY,
                or_(Tenant.drift_checked_at.is_(None), Tenant.drift_checked_at < cutoff),
            )
            .order_by(Tenant.drift_checked_at.asc().nulls_first(), Tenant.id)
            .limit(limit)
        )
    )


def sweep(limit: int | None = None, pace: float | None = None) -> int:
    """Check a batch of due tenants, paced so drift checks use at most part of the read quotas.

    A check is three reads (DescribeUserPoolClient, DescribeIdentityProvider,
    DescribeManagedLoginBrandingByClient). At the default 5 tenants per second that is a third of
    UserPoolClientRead (15 RPS) and half of UserPoolResourceRead (20 RPS), leaving the rest to
    onboarding; the shared limiter keeps the total under the quotas whatever else runs. While
    runs are queued or running, the checks yield: at most PORTAL_BACKGROUND_QUOTA_SHARE of each
    quota category, so a batch loses no more than that share of its pace to the sweep.
    """
    settings = current_settings()
    limit = limit or settings.drift_batch
    pace = pace if pace is not None else settings.drift_max_per_second
    checked = 0
    with background_work():  # while runs are active, at most PORTAL_BACKGROUND_QUOTA_SHARE
        for tenant in tenants_due(limit):
            started = time.monotonic()
            try:
                check_drift(tenant)
                checked += 1
            except Exception as exc:
                db.session.rollback()
                log.warning("drift check of %s failed: %s", tenant.slug, type(exc).__name__)
            if pace > 0:
                time.sleep(max(0.0, 1.0 / pace - (time.monotonic() - started)))
    return checked
