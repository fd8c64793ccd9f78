"""Webhook endpoints and the deliveries owed to them.

Domain events (portal.services.events) reach `on_event` inside the transaction that caused them,
so a delivery row exists exactly when the change it reports was committed. Rows created in a
transaction are handed to the workers after its commit (an `after_commit` hook); the beat sweep
sends any the hook missed, so the database stays the source of truth. Payloads carry no secret.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, select

from portal.config import current_settings
from portal.crypto import decrypt, encrypt
from portal.extensions import db
from portal.models import (
    DeliveryStatus,
    Tenant,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from portal.oidc.ssrf import FetchFailed, FetchRefused, checked_destination
from portal.services import events
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.validation import ValidationError, is_loopback_host
from portal.workers import celery_of

DELIVER_TASK = "portal.webhook_deliver"
TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
EVENT_LABELS = {
    events.TENANT_CREATED: "Tenant created",
    events.IDP_SUBMITTED: "Identity provider submitted",
    events.PROVISIONING_SUCCEEDED: "Provisioning succeeded",
    events.PROVISIONING_FAILED: "Provisioning failed",
    events.TENANT_VERIFIED: "Test sign-in verified",
    events.DRIFT_FOUND: "Drift found",
    events.TENANT_OFFBOARDED: "Tenant offboarded",
    "tenant.idp_secret_expiring": "Customer's IdP secret expiring soon",
    events.IDP_CERTIFICATE_EXPIRING: "Customer's SAML signing certificate expiring soon",
}
_PENDING_KEY = "portal_webhook_deliveries"


def event_choices() -> list[tuple[str, str]]:
    """Every event type an endpoint may choose, with words for people."""
    return [(e, EVENT_LABELS.get(e, e)) for e in events.EVENT_TYPES]


# --- endpoints -------------------------------------------------------------------------------


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(endpoint: WebhookEndpoint) -> bytes:
    """The HMAC key: the secret's bytes after the `whsec_` prefix."""
    return base64.b64decode(decrypt(endpoint.secret_encrypted).removeprefix(SECRET_PREFIX))


def check_webhook_url(url: str) -> str:
    """https (http only to loopback when PORTAL_ALLOW_LOOPBACK_WEBHOOKS is on); no internal IPs."""
    value = (url or "").strip()
    allow_loopback = current_settings().allow_loopback_webhooks
    try:
        parts = urlsplit(value)
        _ = parts.hostname, parts.port
    except ValueError as exc:
        raise ValidationError("url", f"{value!r} is not a valid URL ({exc})") from exc
    if not value:
        raise ValidationError("url", "the endpoint URL is required")
    if len(value) > 2048:
        raise ValidationError("url", "the URL may be at most 2048 characters long")
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("url", "the URL contains spaces or control characters")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError("url", f"{value!r} is not an absolute https:// URL")
    if parts.username or parts.password:
        raise ValidationError("url", "put no user name or password in the URL")
    if parts.fragment:
        raise ValidationError("url", "the URL may not have a fragment (#...)")
    if parts.scheme == "http" and not (allow_loopback and is_loopback_host(parts.hostname)):
        raise ValidationError("url", "webhooks are sent over https only")
    try:  # the send-time guard, now: 2130706433, 0x7f000001, 0177.0.0.1, 127.1, localhost
        checked_destination(value, allow_loopback)
    except FetchRefused as exc:
        raise ValidationError("url", f"the portal will not send webhooks there: {exc}") from exc
    except FetchFailed:
        pass  # a name that does not resolve yet; every delivery is checked again when sent
    return value


def check_events(chosen: list[str]) -> list[str]:
    unknown = [e for e in chosen if e not in events.EVENT_TYPES]
    if unknown:
        raise ValidationError("events", "unknown event type " + ", ".join(unknown))
    if not chosen:
        raise ValidationError("events", "choose at least one event")
    return [e for e in events.EVENT_TYPES if e in chosen]


def _check_description(text: str | None) -> str:
    value = (text or "").strip()
    if len(value) > 200:
        raise ValidationError("description", "the description is longer than 200 characters")
    return value


def endpoint_settings(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
    }


def create_endpoint(
    url: str, chosen_events: list[str], description: str | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret, which is shown once."""
    secret = new_signing_secret()
    endpoint = WebhookEndpoint(
        url=check_webhook_url(url),
        events=check_events(chosen_events),
        description=_check_description(description),
        secret_encrypted=encrypt(secret),
        enabled=True,
        created_by=current_actor().label[:300],
    )
    db.session.add(endpoint)
    db.session.flush()
    trail.record("webhook.created", endpoint_id=endpoint.id, after=endpoint_settings(endpoint))
    db.session.commit()
    return endpoint, secret


def update_endpoint(
    endpoint: WebhookEndpoint,
    *,
    url: str,
    chosen_events: list[str],
    description: str | None,
    enabled: bool,
) -> WebhookEndpoint:
    """Change an endpoint; disabling it gives up its pending deliveries."""
    before = endpoint_settings(endpoint)
    endpoint.url = check_webhook_url(url)
    endpoint.events = check_events(chosen_events)
    endpoint.description = _check_description(description)
    if endpoint.enabled and not enabled:
        endpoint.disabled_at = utcnow()
        _give_up_pending(endpoint, "the endpoint was disabled")
    elif enabled:
        endpoint.disabled_at = None
    endpoint.enabled = enabled
    trail.record(
        "webhook.updated", endpoint_id=endpoint.id, before=before, after=endpoint_settings(endpoint)
    )
    db.session.commit()
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """Replace the signing secret at once; the new one is shown once."""
    secret = new_signing_secret()
    endpoint.secret_encrypted = encrypt(secret)
    trail.record("webhook.secret_rotated", endpoint_id=endpoint.id, url=endpoint.url)
    db.session.commit()
    return secret


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery log."""
    trail.record("webhook.deleted", endpoint_id=endpoint.id, before=endpoint_settings(endpoint))
    db.session.delete(endpoint)
    db.session.commit()


def _give_up_pending(endpoint: WebhookEndpoint, reason: str) -> None:
    for delivery in db.session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
    ):
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, reason
        delivery.finished_at, delivery.next_attempt_at = utcnow(), None


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all())


# --- deliveries ------------------------------------------------------------------------------


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def tenant_facts(tenant: Tenant | None) -> dict[str, Any] | None:
    """What a payload says about a tenant: identifiers and state, never a secret."""
    if tenant is None:
        return None
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "status": tenant.status,
        "user_pool_id": tenant.pool.user_pool_id if tenant.pool else None,
        "client_id": tenant.client_id,
        "provider_name": tenant.provider_name,
    }


def build_payload(event_type: str, tenant: Tenant | None, data: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks payload shape: type, timestamp and data."""
    body = trail.redact({k: v for k, v in data.items() if v is not None})
    return {
        "type": event_type,
        "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        "data": {"tenant": tenant_facts(tenant), **body},
    }


def on_event(event_type: str, tenant: Tenant | None, data: dict[str, Any]) -> None:
    """events listener: one delivery per enabled endpoint that chose EVENT_TYPE."""
    endpoints = [
        e
        for e in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled)).all()
        if event_type in (e.events or [])
    ]
    if not endpoints:
        return
    payload = build_payload(event_type, tenant, data)
    message_id = new_message_id()
    for endpoint in endpoints:
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                message_id=message_id,
                event_type=event_type,
                tenant_id=tenant.id if tenant is not None else None,
                payload=payload,
                status=DeliveryStatus.PENDING,
                next_attempt_at=utcnow(),
            )
        )


def send_test_event(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` delivery to ENDPOINT, whatever events it chose."""
    payload = build_payload(
        TEST_EVENT,
        None,
        {"message": "A test event from the tenant portal.", "endpoint_id": endpoint.id},
    )
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id=new_message_id(),
        event_type=TEST_EVENT,
        payload=payload,
        status=DeliveryStatus.PENDING,
        next_attempt_at=utcnow(),
    )
    db.session.add(delivery)
    db.session.flush()
    trail.record("webhook.test_sent", endpoint_id=endpoint.id, delivery_id=delivery.id)
    db.session.commit()
    return delivery


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a finished delivery again, as a new delivery with the same message id."""
    again = WebhookDelivery(
        endpoint_id=delivery.endpoint_id,
        message_id=delivery.message_id,
        event_type=delivery.event_type,
        tenant_id=delivery.tenant_id,
        payload=delivery.payload,
        status=DeliveryStatus.PENDING,
        next_attempt_at=utcnow(),
    )
    db.session.add(again)
    db.session.flush()
    trail.record(
        "webhook.redelivered",
        endpoint_id=delivery.endpoint_id,
        delivery_id=again.id,
        original_delivery_id=delivery.id,
    )
    db.session.commit()
    return again


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        ).all()
    )


# --- after-commit hand-over ------------------------------------------------------------------


def _collect_new_deliveries(session, _flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, WebhookDelivery)]
    if ids:
        session.info.setdefault(_PENDING_KEY, []).extend(ids)


def _enqueue_collected(session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids and has_app_context():
        for delivery_id in ids:
            enqueue_delivery(delivery_id)


def _forget_collected(session) -> None:
    session.info.pop(_PENDING_KEY, None)


def enqueue_delivery(delivery_id: int, countdown: float | None = None) -> bool:
    """Send the delivery's id to the broker; when that fails, the sweep sends it later."""
    celery = celery_of(current_app)
    try:
        celery.send_task(DELIVER_TASK, args=[delivery_id], countdown=countdown)
    except Exception as exc:
        current_app.logger.warning(
            "could not enqueue webhook delivery %s (%s); the sweep will retry",
            delivery_id,
            type(exc).__name__,
        )
        return False
    return True


# Deliveries made in a transaction go to the workers after its commit (events.LISTENERS brings
# on_event, and with it these hooks, into every process that publishes an event).
if not event.contains(FlaskSession, "after_flush", _collect_new_deliveries):
    event.listen(FlaskSession, "after_flush", _collect_new_deliveries)
    event.listen(FlaskSession, "after_commit", _enqueue_collected)
    event.listen(FlaskSession, "after_rollback", _forget_collected)
