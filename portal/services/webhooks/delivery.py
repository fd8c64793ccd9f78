"""Sending webhook deliveries: signed per Standard Webhooks, through the SSRF guard, with backoff.

Signature (https://www.standardwebhooks.com): headers `webhook-id` (the message id, the same on
every retry so receivers can drop repeats), `webhook-timestamp` (Unix seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256>` computed with the endpoint's secret over
`<webhook-id>.<webhook-timestamp>.<body>`. Signing the id as well as the timestamp and body means
neither the body nor the de-duplication key can be swapped; any Standard Webhooks library
verifies it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from portal.config import current_settings
from portal.crypto import SecretUnreadable
from portal.extensions import db
from portal.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, utcnow
from portal.oidc.ssrf import WEBHOOK_USER_AGENT, FetchFailed, FetchRefused, guarded_post
from portal.services.webhooks.endpoints import enqueue_delivery, signing_key

LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 10.0
DEFAULT_RETRY_BASE_SECONDS = 30.0
MAX_DELAY_SECONDS = 12 * 3600
# A retry due within this many seconds is sent with a countdown (well under the broker's
# one-hour visibility timeout); later ones are left to the sweep.
COUNTDOWN_LIMIT_SECONDS = 900
SWEEP_GRACE = timedelta(seconds=30)
RESEND_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: float | None = None


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for this message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: base, 4x base, 16x base, ... capped at 12 hours."""
    base = current_settings().webhook_retry_base_seconds
    delay = min(MAX_DELAY_SECONDS, base * 4 ** max(0, attempts - 1))
    return delay * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not security


def _claim(delivery_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .where(
            or_(
                and_(
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    or_(
                        WebhookDelivery.next_attempt_at.is_(None),
                        WebhookDelivery.next_attempt_at <= now,
                    ),
                ),
                and_(
                    WebhookDelivery.status == DeliveryStatus.DELIVERING,
                    WebhookDelivery.lease_until < now,
                ),
            )
        )
        .values(status=DeliveryStatus.DELIVERING, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver(delivery_id: int) -> DeliveryOutcome:
    """Make one attempt at a delivery; safe to call any number of times (it claims first)."""
    if not _claim(delivery_id):
        return DeliveryOutcome("not-claimed")
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    now = utcnow()
    if not endpoint.enabled:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, "the endpoint is disabled"
        delivery.finished_at, delivery.lease_until, delivery.next_attempt_at = now, None, None
        db.session.commit()
        return DeliveryOutcome(DeliveryStatus.FAILED)

    try:
        key = signing_key(endpoint)
    except SecretUnreadable:  # its encryption key was removed: retrying cannot help
        delivery.status, delivery.finished_at = DeliveryStatus.FAILED, now
        delivery.lease_until = delivery.next_attempt_at = None
        delivery.last_error = "the signing secret cannot be decrypted; rotate it"
        db.session.commit()
        return DeliveryOutcome(DeliveryStatus.FAILED)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, delivery.message_id, timestamp, body),
    }
    status_code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    started = time.monotonic()
    try:
        result = guarded_post(
            endpoint.url,
            body,
            headers={"User-Agent": WEBHOOK_USER_AGENT, **headers},
            allow_loopback=current_settings().allow_loopback_webhooks,
            timeout=TIMEOUT_SECONDS,
            max_bytes=64 * 1024,
            accept="*/*",
        )
        status_code = result.status
        excerpt = result.body[:500].decode("utf-8", "replace") or None
        if not 200 <= status_code < 300:
            error = f"the endpoint answered HTTP {status_code}"
    except (FetchFailed, FetchRefused) as exc:
        error = str(exc)
    duration_ms = int((time.monotonic() - started) * 1000)

    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = status_code, error
    delivery.lease_until = None
    delivery.attempt_log.append(
        WebhookAttempt(
            attempted_at=now,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
            response_excerpt=excerpt,
        )
    )
    if error is None:
        delivery.status, delivery.finished_at, delivery.next_attempt_at = (
            DeliveryStatus.SUCCEEDED,
            utcnow(),
            None,
        )
        db.session.commit()
        return DeliveryOutcome(DeliveryStatus.SUCCEEDED)
    max_attempts = current_settings().webhook_max_attempts
    if delivery.attempts >= max_attempts:
        delivery.status, delivery.finished_at, delivery.next_attempt_at = (
            DeliveryStatus.FAILED,
            utcnow(),
            None,
        )
        db.session.commit()
        return DeliveryOutcome(DeliveryStatus.FAILED)
    delay = retry_delay(delivery.attempts)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
    if delay <= COUNTDOWN_LIMIT_SECONDS:
        delivery.enqueued_at = delivery.next_attempt_at
    db.session.commit()
    if delay <= COUNTDOWN_LIMIT_SECONDS:
        enqueue_delivery(delivery.id, countdown=delay)
    return DeliveryOutcome(DeliveryStatus.PENDING, retry_in=delay)


def sweep_deliveries(limit: int = 500) -> list[int]:
    """Send deliveries that are due but whose message was lost, or whose worker died."""
    now = utcnow()
    rows = db.session.scalars(
        select(WebhookDelivery)
        .where(
            or_(
                and_(
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    WebhookDelivery.next_attempt_at <= now - SWEEP_GRACE,
                    or_(
                        WebhookDelivery.enqueued_at.is_(None),
                        WebhookDelivery.enqueued_at <= now - RESEND_AFTER,
                    ),
                ),
                and_(
                    WebhookDelivery.status == DeliveryStatus.DELIVERING,
                    WebhookDelivery.lease_until < now,
                ),
            )
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    ).all()
    ids = [row.id for row in rows]
    for row in rows:
        row.enqueued_at = now
    db.session.commit()
    for delivery_id in ids:
        enqueue_delivery(delivery_id)
    return ids
