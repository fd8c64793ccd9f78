"""Thin tasks for webhooks and API housekeeping: take ids, call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy.exc import DBAPIError, OperationalError

from portal.extensions import db
from portal.services.access.idempotency import purge_expired
from portal.services.audit.actors import SYSTEM, acting_as
from portal.services.webhooks.delivery import deliver, sweep_deliveries

log = logging.getLogger(__name__)


@shared_task(
    name="portal.webhook_deliver",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=10,
)
def deliver_webhook(self, delivery_id: int) -> str:
    """Make one attempt at a webhook delivery (it re-queues itself on failure, with backoff)."""
    try:
        with acting_as(SYSTEM):
            return deliver(delivery_id).status
    except (OperationalError, DBAPIError) as exc:
        db.session.rollback()
        log.warning("delivery %s: database error %s; retrying", delivery_id, type(exc).__name__)
        raise self.retry(countdown=min(60, 2**self.request.retries), exc=exc) from exc


@shared_task(name="portal.webhook_sweep", ignore_result=True)
def sweep_webhooks() -> int:
    """Send deliveries whose message was lost or whose worker died."""
    with acting_as(SYSTEM):
        return len(sweep_deliveries())


@shared_task(name="portal.api_purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Forget API idempotency keys older than a day."""
    return purge_expired()
