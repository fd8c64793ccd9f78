"""Reminders before a customer's IdP client secret expires (Entra ID secrets do)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Tenant, TenantStatus, utcnow
from portal.services import events
from portal.services.audit import trail

log = logging.getLogger(__name__)

THRESHOLDS = (30, 14, 7, 1, 0)  # days before expiry


def due_threshold(days_left: int) -> int | None:
    """The smallest threshold the remaining days have reached."""
    reached = [t for t in THRESHOLDS if days_left <= t]
    return min(reached) if reached else None


def remind_expiring_secrets() -> list[str]:
    """Record one reminder per tenant and threshold reached; return the slugs reminded."""
    now = utcnow()
    horizon = now + timedelta(days=max(THRESHOLDS) + 1)
    tenants = db.session.scalars(
        select(Tenant).where(
            Tenant.idp_secret_expires_at.is_not(None),
            Tenant.idp_secret_expires_at <= horizon,
            Tenant.status.not_in((TenantStatus.OFFBOARDED, TenantStatus.OFFBOARDING)),
        )
    ).all()
    reminded = []
    for tenant in tenants:
        days_left = (tenant.idp_secret_expires_at - now).days
        threshold = due_threshold(days_left)
        if threshold is None:
            continue
        last = tenant.idp_secret_reminded_days
        if last is not None and last <= threshold:
            continue  # reminded at this threshold (or a later one) already
        tenant.idp_secret_reminded_days = threshold
        expired = days_left < 0
        trail.record(
            "idp_secret.expiring",
            tenant,
            days_left=days_left,
            expired=expired,
            expires_at=tenant.idp_secret_expires_at,
        )
        events.publish(
            events.IDP_SECRET_EXPIRING,
            tenant,
            days_left=days_left,
            expired=expired,
            expires_at=tenant.idp_secret_expires_at.isoformat(),
        )
        reminded.append(tenant.slug)
    db.session.commit()
    if reminded:
        mail_staff(reminded)
    return reminded


def mail_staff(slugs: list[str]) -> None:
    """E-mail the staff and admins (when SMTP is configured) which secrets are about to expire."""
    from portal.models import Role, User
    from portal.services.mail import MailFailed, send_mail, smtp_configured

    if not smtp_configured():
        return
    tenants = db.session.scalars(select(Tenant).where(Tenant.slug.in_(slugs))).all()
    lines = [f"- {t.name} ({t.slug}): expires {t.idp_secret_expires_at:%Y-%m-%d}" for t in tenants]
    body = (
        "These customers' identity-provider client secrets expire soon. Ask each customer "
        "for a new secret through a new setup link (the tenant's page, Setup links), before "
        "their users can no longer sign in:\n\n" + "\n".join(lines) + "\n"
    )
    recipients = db.session.scalars(
        select(User.email).where(User.role.in_((Role.ADMIN, Role.STAFF)), User.is_enabled.is_(True))
    ).all()
    for address in recipients:
        try:
            send_mail(address, "Customer IdP secrets about to expire", body)
        except MailFailed as exc:  # the audit event and the webhook already went out
            log.warning("could not e-mail %s about expiring secrets: %s", address, exc)
