"""SAML metadata over time: re-read daily, and reminders before a signing certificate expires.

A tenant whose metadata came from a URL has it fetched again (through the SSRF guard): a
certificate rolled over at the IdP updates the dates watched here, and when the portal itself
sends the document to Cognito (MetadataFile: a URL Cognito could not fetch), the new document is
sent again by a reconcile run. With an https URL Cognito refreshes the metadata itself. A tenant
whose metadata was uploaded is watched through the dates stored from that file.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from portal.config import current_settings
from portal.extensions import db
from portal.models import Tenant, TenantStatus, utcnow
from portal.saml.metadata import fetch_metadata
from portal.services import events
from portal.services.audit import trail
from portal.services.engine.desired import cognito_metadata_url
from portal.services.engine.reminders import THRESHOLDS, due_threshold
from portal.services.tenants.records import store_metadata

log = logging.getLogger(__name__)

REFRESH_INTERVAL = timedelta(hours=24)
GONE = (TenantStatus.OFFBOARDED, TenantStatus.OFFBOARDING)


def refresh_metadata(limit: int = 200) -> list[str]:
    """Fetch again the metadata of SAML tenants checked more than a day ago; the changed slugs."""
    cutoff = utcnow() - REFRESH_INTERVAL
    tenants = db.session.scalars(
        select(Tenant)
        .where(
            Tenant.provider_type == "SAML",
            Tenant.saml_metadata_url.is_not(None),
            Tenant.status.not_in(GONE),
            or_(
                Tenant.saml_metadata_checked_at.is_(None),
                Tenant.saml_metadata_checked_at < cutoff,
            ),
        )
        .order_by(Tenant.saml_metadata_checked_at.asc().nulls_first(), Tenant.id)
        .limit(limit)
    ).all()
    changed = []
    for tenant in tenants:
        if _refresh(tenant):
            changed.append(tenant.slug)
    return changed


def _refresh(tenant: Tenant) -> bool:
    settings = current_settings()
    check = fetch_metadata(
        tenant.saml_metadata_url,
        allow_loopback=settings.allow_loopback_issuers,
        timeout=settings.preflight_timeout_seconds,
    )
    tenant.saml_metadata_checked_at = utcnow()
    if not check.ok:
        # Keep the last good document: Cognito (or the portal's copy) still works with it.
        trail.record(
            "tenant.saml_metadata_unusable",
            tenant,
            metadata_url=tenant.saml_metadata_url,
            findings=[f.to_dict() for f in check.errors],
        )
        db.session.commit()
        log.warning("SAML metadata of %s did not pass the checks", tenant.slug)
        return False
    if check.sha256 == tenant.saml_metadata_sha256:
        db.session.commit()
        return False
    before = {"sha256": tenant.saml_metadata_sha256, "entity_id": tenant.saml_entity_id}
    store_metadata(tenant, check)
    resend = cognito_metadata_url(tenant) is None and tenant.status == TenantStatus.READY
    trail.record(
        "tenant.saml_metadata_changed",
        tenant,
        before=before,
        after=check.summary(),
        resent_to_cognito=resend,
    )
    db.session.commit()
    if resend:  # the portal sends the document itself: send the new one
        from portal.services.engine.queue import queue_onboarding

        queue_onboarding([tenant])
    return True


def remind_expiring_certificates() -> list[str]:
    """One reminder per tenant and threshold (30/14/7/1/0 days) reached; the slugs reminded."""
    now = utcnow()
    horizon = now + timedelta(days=max(THRESHOLDS) + 1)
    tenants = db.session.scalars(
        select(Tenant).where(
            Tenant.provider_type == "SAML",
            Tenant.saml_cert_expires_at.is_not(None),
            Tenant.saml_cert_expires_at <= horizon,
            Tenant.status.not_in(GONE),
        )
    ).all()
    reminded: list[Tenant] = []
    for tenant in tenants:
        days_left = (tenant.saml_cert_expires_at - now).days
        threshold = due_threshold(days_left)
        last = tenant.saml_cert_reminded_days
        if threshold is None or (last is not None and last <= threshold):
            continue
        tenant.saml_cert_reminded_days = threshold
        details = {
            "days_left": days_left,
            "expired": days_left < 0,
            "expires_at": tenant.saml_cert_expires_at.isoformat(),
            "idp_entity_id": tenant.saml_entity_id,
        }
        trail.record("saml_certificate.expiring", tenant, **details)
        events.publish(events.IDP_CERTIFICATE_EXPIRING, tenant, **details)
        reminded.append(tenant)
    db.session.commit()
    if reminded:
        _mail(reminded)
    return [t.slug for t in reminded]


def _mail(tenants: list[Tenant]) -> None:
    """E-mail staff and admins, and each tenant's contact, when SMTP is configured."""
    from portal.models import Role, User
    from portal.services.mail import MailFailed, send_mail, smtp_configured

    if not smtp_configured():
        return
    lines = [f"- {t.name} ({t.slug}): expires {t.saml_cert_expires_at:%Y-%m-%d}" for t in tenants]
    staff_body = (
        "These customers' SAML signing certificates expire soon. Sign-in stops working then "
        "unless the customer adds a new certificate at their identity provider and, when the "
        "metadata was uploaded as a file, sends the new metadata through a new setup link:\n\n"
        + "\n".join(lines)
        + "\n"
    )
    messages = [
        (address, "Customer SAML certificates about to expire", staff_body)
        for address in db.session.scalars(
            select(User.email).where(
                User.role.in_((Role.ADMIN, Role.STAFF)), User.is_enabled.is_(True)
            )
        )
    ]
    for tenant in tenants:
        if tenant.contact_email:
            how = (
                "Add the new certificate to your identity provider before then; the metadata "
                "URL you gave lets us pick it up."
                if tenant.saml_metadata_url
                else "Add the new certificate before then and send us the new metadata file: "
                "ask your contact for a set-up link."
            )
            messages.append(
                (
                    tenant.contact_email,
                    "Your single sign-on certificate expires soon",
                    f"The signing certificate of your identity provider "
                    f"({tenant.saml_entity_id}) expires on "
                    f"{tenant.saml_cert_expires_at:%Y-%m-%d}. {how}\n",
                )
            )
    for address, subject, body in messages:
        try:
            send_mail(address, subject, body)
        except MailFailed as exc:  # the audit event and the webhook already went out
            log.warning("could not e-mail %s about expiring certificates: %s", address, exc)
