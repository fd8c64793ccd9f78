"""Setup links: staff create them, a customer's IT admin uses one to enter and test their IdP."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.config import current_settings
from portal.crypto import decrypt
from portal.extensions import db
from portal.models import LinkState, Run, SetupLink, Tenant, TenantStatus, utcnow
from portal.oidc.discovery import IssuerCheck, check_issuer
from portal.saml.metadata import MetadataCheck
from portal.services import events
from portal.services.audit import trail
from portal.services.audit.actors import Actor, current_actor
from portal.services.domains import claims, names
from portal.services.engine.queue import active_run, queue_onboarding
from portal.services.pools.registry import place_tenant
from portal.services.tenants.records import (
    EDITABLE_STATUSES,
    saml_preflight,
    set_idp,
    set_saml_idp,
)
from portal.validation import ValidationError, check_claim

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43,128}$")
DEFAULT_LIFETIME = timedelta(days=7)
MIN_LIFETIME = timedelta(minutes=5)
MAX_LIFETIME = timedelta(days=90)
DURATION_RE = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$", re.IGNORECASE)
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
CLOSED_TENANT_STATUSES = (TenantStatus.OFFBOARDING, TenantStatus.OFFBOARDED)


class LinkClosed(Exception):
    """The link cannot take IdP settings now; the message says why, for the customer."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_duration(text: str) -> timedelta:
    """'30m', '2h', '3d', '1w' -> a lifetime between 5 minutes and 90 days."""
    match = DURATION_RE.match(text or "")
    if not match:
        raise ValidationError(
            "expires",
            f"{text!r} is not a duration: write a number and a unit, e.g. 30m, 2h, 3d or 1w",
        )
    lifetime = timedelta(**{UNITS[match.group(2).lower()]: int(match.group(1))})
    if not MIN_LIFETIME <= lifetime <= MAX_LIFETIME:
        raise ValidationError("expires", "a setup link must last between 5 minutes and 90 days")
    return lifetime


def link_url(token: str) -> str:
    return f"{current_settings().public_url}/setup/{token}"


def vendor_name() -> str:
    return current_settings().vendor_name


def links_of(tenant: Tenant) -> list[SetupLink]:
    return list(
        db.session.scalars(
            select(SetupLink).where(SetupLink.tenant_id == tenant.id).order_by(SetupLink.id.desc())
        )
    )


def current_link(tenant: Tenant) -> SetupLink | None:
    """The tenant's one link that has not been revoked (it may have expired)."""
    return db.session.scalar(
        select(SetupLink).where(SetupLink.tenant_id == tenant.id, SetupLink.revoked_at.is_(None))
    )


def add_link(
    tenant: Tenant, lifetime: timedelta = DEFAULT_LIFETIME, replaced: SetupLink | None = None
) -> tuple[SetupLink, str]:
    """A new link in the caller's transaction (a bulk import uses it as is); audited."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = SetupLink(
        tenant=tenant,
        token_hash=hash_token(token),
        created_by=current_actor().label[:300],
        expires_at=utcnow() + lifetime,
    )
    db.session.add(link)
    db.session.flush()
    trail.record(
        "setup_link.created",
        tenant,
        link_id=link.id,
        expires_at=link.expires_at,
        replaced_link_id=replaced.id if replaced else None,
    )
    return link, token


def create_link(
    tenant: Tenant, lifetime: timedelta = DEFAULT_LIFETIME
) -> tuple[SetupLink, str, SetupLink | None]:
    """A new link for TENANT, replacing its current one; the token is returned once, never kept."""
    if tenant.status in CLOSED_TENANT_STATUSES:
        raise ValidationError("tenant", f"tenant {tenant.slug} is {tenant.status}")
    if not MIN_LIFETIME <= lifetime <= MAX_LIFETIME:
        raise ValidationError("expires", "a setup link must last between 5 minutes and 90 days")
    for attempt in range(2):
        replaced = current_link(tenant)
        if replaced is not None:
            _revoke(replaced, "replaced by a new link")
        try:
            link, token = add_link(tenant, lifetime, replaced)
        except IntegrityError:  # another person created one at the same moment: replace theirs
            db.session.rollback()
            if attempt:
                raise
            continue
        db.session.commit()
        return link, token, replaced
    raise AssertionError("unreachable")


def _revoke(link: SetupLink, reason: str) -> None:
    link.revoked_at = utcnow()
    link.revoked_by = current_actor().label[:300]
    link.revoke_reason = reason
    db.session.flush()
    trail.record("setup_link.revoked", link.tenant, link_id=link.id, reason=reason)


def revoke_link(link: SetupLink, reason: str = "revoked") -> bool:
    """Revoke LINK; False if it was revoked already."""
    if link.revoked_at is not None:
        return False
    _revoke(link, reason)
    db.session.commit()
    return True


def resolve(token: str) -> SetupLink | None:
    """The link whose token this is, whatever its state; looked up by hash, so timing-safe."""
    if not token or not TOKEN_RE.match(token):
        return None
    return db.session.scalar(select(SetupLink).where(SetupLink.token_hash == hash_token(token)))


def is_open(link: SetupLink | None) -> bool:
    """The link may be used at all (shown to its holder): not expired, revoked or offboarded."""
    return (
        link is not None
        and link.state() in (LinkState.ACTIVE, LinkState.USED)
        and link.tenant.status not in CLOSED_TENANT_STATUSES
    )


def closed_reason(link: SetupLink | None) -> str:
    """Why a link does not open: unknown, expired, replaced (or revoked) or closed."""
    if link is None:
        return "unknown"
    if link.tenant.status in CLOSED_TENANT_STATUSES:
        return "closed"
    state = link.state()
    if state == LinkState.REVOKED:
        return "replaced" if (link.revoke_reason or "").startswith("replaced") else "revoked"
    return "expired" if state == LinkState.EXPIRED else "closed"


def link_actor(link: SetupLink, ip: str | None, agent: str | None, request_id: str | None) -> Actor:
    """Everything the link holder does is attributed to the link."""
    return Actor(
        "setup_link", str(link.id), f"setup link for {link.tenant.slug}", ip, agent, request_id
    )


def mark_opened(link: SetupLink) -> None:
    """Record the first time the link is opened (staff see it); later views change nothing."""
    if link.opened_at is not None:
        return
    link.opened_at = utcnow()
    trail.record("setup_link.opened", link.tenant, link_id=link.id)
    db.session.commit()


def ensure_placed(link: SetupLink) -> str | None:
    """Place the tenant in a pool so its redirect URI is known; a reason for the page if not."""
    from portal.services.pools.registry import NoPoolHasRoom

    tenant = link.tenant
    if tenant.pool is not None:
        return None
    try:
        pool = place_tenant(tenant)
    except NoPoolHasRoom:
        db.session.rollback()
        return "no-room"
    trail.record("tenant.placed", tenant, user_pool_id=pool.user_pool_id, why="setup link opened")
    db.session.commit()
    return None


def accepts_submissions(link: SetupLink) -> bool:
    """Until the link expires, as long as no test sign-in has verified the tenant.

    A connection whose test sign-in failed or lacked claims can be corrected, checked, applied
    and tested again from the same link; once a test verifies it, changes need a new link.
    """
    tenant = link.tenant
    state = link.state()
    return (
        is_open(link)
        and (state == LinkState.ACTIVE or (state == LinkState.USED and tenant.verified_at is None))
        and tenant.status in EDITABLE_STATUSES
        and active_run(tenant) is None
    )


def check_domains(text: str | None, tenant: Tenant) -> list[str]:
    """The e-mail domains the customer listed: checked, none verified by another organisation."""
    found = names.parse(text)
    taken = [d for d in found if claims.held_elsewhere(tenant, d)]
    if taken:
        raise ValidationError("domains", " ".join(claims.taken_message(d) for d in taken))
    return found


@dataclass
class Submission:
    """What the customer typed (the secret kept only for the call that stores it encrypted)."""

    issuer: str
    client_id: str
    client_secret: str
    groups_claim: str
    roles_claim: str
    domains: str


def _record_submission(link: SetupLink, tenant: Tenant, warnings: list[Any]) -> None:
    """A submission passed its pre-flight: count it, and clear the tenant's verification (new
    settings must be tested again), audited."""
    before = {"verified_at": tenant.verified_at, "verified_by": tenant.verified_by}
    link.submitted_at = utcnow()
    link.submissions += 1
    tenant.verified_at = tenant.verified_by = None
    trail.record(
        "setup_link.submitted",
        tenant,
        before=before,
        after={"verified_at": None, "verified_by": None},
        link_id=link.id,
        submission=link.submissions,
        warnings=[f.to_dict() for f in warnings],
    )


def submit(link: SetupLink, entry: Submission) -> IssuerCheck:
    """Pre-flight the IdP; if it passes, store the settings and queue the onboarding."""
    tenant = link.tenant
    if not accepts_submissions(link):
        raise LinkClosed(_closed_reason(link))
    identifiers = check_domains(entry.domains, tenant)
    groups = check_claim(entry.groups_claim, "groups_claim", required=False) or ""
    roles = check_claim(entry.roles_claim, "roles_claim", required=False)
    if not (entry.client_id or "").strip():
        raise ValidationError("client_id", "Enter the client ID your identity provider shows.")
    secret = entry.client_secret.strip() or None
    if secret is None and tenant.idp_client_secret_encrypted is not None:
        secret = decrypt(tenant.idp_client_secret_encrypted)  # "keep the one entered before"
    elif secret is None and not tenant.idp_secret_in_cognito:
        raise ValidationError(
            "client_secret", "Enter the client secret your identity provider shows."
        )
    check = check_issuer(
        entry.issuer,
        allow_loopback=current_settings().allow_loopback_issuers,
        groups_claim=groups,
        roles_claim=roles,
        check_endpoints=True,
        timeout=current_settings().preflight_timeout_seconds,
    )
    if not check.ok:
        trail.record(
            "setup_link.preflight_failed",
            tenant,
            link_id=link.id,
            issuer=check.issuer,
            findings=[f.to_dict() for f in check.findings],
        )
        db.session.commit()
        return check
    _record_submission(link, tenant, check.warnings)
    try:
        claims.set_claims(tenant, identifiers)
        set_idp(
            tenant,
            issuer=check.issuer,
            client_id=entry.client_id,
            client_secret=secret,
            groups_claim=groups,
            roles_claim=roles,
            check=check,
        )  # commits the settings, the claims, the audit records above and the IdP-submitted event
    except Exception:
        db.session.rollback()
        raise
    queue_onboarding([tenant])
    claims.apply_changes()
    return check


@dataclass(frozen=True)
class SamlSubmission:
    """What the customer gave for a SAML IdP; blank attribute names take the preset's."""

    preset: str
    metadata_url: str
    metadata_file: bytes | None
    email_attribute: str
    groups_attribute: str
    roles_attribute: str


def submit_saml(link: SetupLink, entry: SamlSubmission) -> MetadataCheck:
    """Pre-flight the SAML metadata; if it passes, store it and queue the onboarding."""
    from portal.saml.presets import preset

    tenant = link.tenant
    if not accepts_submissions(link):
        raise LinkClosed(_closed_reason(link))
    defaults = preset(entry.preset)
    roles = entry.roles_attribute.strip() or defaults.roles_attribute
    check = saml_preflight(entry.metadata_url.strip() or None, entry.metadata_file, tenant=tenant)
    if not check.ok:
        trail.record(
            "setup_link.preflight_failed",
            tenant,
            link_id=link.id,
            metadata_url=entry.metadata_url or None,
            findings=[f.to_dict() for f in check.findings],
        )
        db.session.commit()
        return check
    _record_submission(link, tenant, check.warnings)
    try:
        result = set_saml_idp(
            tenant,
            metadata_url=entry.metadata_url.strip() or None,
            metadata_file=None if entry.metadata_url.strip() else entry.metadata_file,
            email_attribute=entry.email_attribute.strip() or defaults.email_attribute,
            groups_attribute=entry.groups_attribute.strip() or defaults.groups_attribute,
            roles_attribute=roles if tenant.roles_claim or entry.roles_attribute.strip() else None,
            sign_requests=tenant.saml_sign_requests,
            encrypted_responses=tenant.saml_encrypted_responses,
            idp_signout=tenant.saml_idp_signout,
            idp_initiated=tenant.saml_idp_initiated,
            check=check,
        )  # commits the settings and the audit records above
    except Exception:
        db.session.rollback()
        raise
    queue_onboarding([tenant])
    return result


def _closed_reason(link: SetupLink) -> str:
    tenant = link.tenant
    if link.state() == LinkState.USED and tenant.verified_at is not None:
        return (
            "Your single sign-on is connected and a test sign-in verified it. To change its "
            f"settings, ask {vendor_name()} for a new set-up link."
        )
    if tenant.status in (TenantStatus.QUEUED, TenantStatus.PROVISIONING):
        return "Your settings are being applied. Wait for the result before changing them."
    return "This link cannot take new settings."


# Customer-facing names of the five steps: an IT admin need not know Cognito's vocabulary.
STEP_LABELS = {
    "app_client": "Create the application connection",
    "attributes": "Prepare the group and role fields",
    "provider": "Register your identity provider",
    "attach": "Connect your identity provider to the application",
    "managed_login": "Set up the sign-in page",
}
# Failures the customer can fix by changing what they entered (anything else is on our side).
CUSTOMER_ERROR_CODES = {"InvalidParameterException", "ValidationException"}


@dataclass(frozen=True)
class Advice:
    customer_can_fix: bool
    message: str


def failure_advice(tenant: Tenant, run: Run | None) -> Advice | None:
    """What a failed run means for the customer, without the vendor's internals."""
    if tenant.status != TenantStatus.FAILED or run is None:
        return None
    failed = next((s for s in run.steps if s.status == "failed"), None)
    if (
        failed is not None
        and failed.name == "provider"
        and failed.error_code in (CUSTOMER_ERROR_CODES)
    ):
        return Advice(
            True,
            "The sign-in service could not use your identity provider with these settings. "
            f"It said: {failed.error_message} Check the issuer URL, the client ID and the client "
            "secret below (they must belong to the application you registered), then submit "
            "again.",
        )
    return Advice(
        False,
        f"Something on {vendor_name()}'s side needs attention before your sign-in can be "
        f"connected. {vendor_name()} can see the details and has been notified; you do not need "
        "to change anything. If you want to correct your settings anyway, submit them again.",
    )


def mark_used(event_type: str, tenant: Tenant | None, data: dict[str, Any]) -> None:
    """When a run succeeds, the link whose settings it applied has done its job."""
    if event_type != events.PROVISIONING_SUCCEEDED or tenant is None:
        return
    link = current_link(tenant)
    if link is None or link.submitted_at is None or link.used_at is not None:
        return
    link.used_at = utcnow()
    trail.record("setup_link.used", tenant, link_id=link.id, run_id=data.get("run_id"))


def expires_label(moment: datetime) -> str:
    return moment.strftime("%d %b %Y, %H:%M UTC")


def check_email(address: str | None) -> str:
    value = (address or "").strip()
    if not re.match(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$", value) or len(value) > 254:
        raise ValidationError("send_to", f"{value!r} is not an e-mail address")
    return value


def send_link(link: SetupLink, token: str, to: str) -> None:
    """E-mail the link to the customer's IT admin (SMTP must be configured)."""
    from portal.services.mail import send_mail

    to = check_email(to)
    tenant, vendor = link.tenant, vendor_name()
    body = (
        f"Hello,\n\n{vendor} invites you to connect {tenant.name}'s identity provider (Okta, "
        "Microsoft Entra ID, Google Workspace, Auth0, Keycloak or any OpenID Connect provider) "
        f"so that your users can sign in to {vendor} with their usual account.\n\n"
        f"Open this link to start; it takes about ten minutes:\n\n{link_url(token)}\n\n"
        f"The link works until {expires_label(link.expires_at)} and only for "
        f"{tenant.name}. Keep it to yourself: whoever has it can set up your sign-in.\n\n"
        "You will need an administrator account at your identity provider.\n"
    )
    send_mail(to, f"Set up single sign-on to {vendor} for {tenant.name}", body)
    link.sent_to, link.sent_at = to, utcnow()
    trail.record("setup_link.sent", tenant, link_id=link.id, sent_to=to)
    db.session.commit()
