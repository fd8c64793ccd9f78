"""A real worker process delivers webhooks to a receiver on 127.0.0.1, retrying after failures."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from portal.extensions import db as _db
from portal.models import DeliveryStatus, WebhookDelivery
from portal.services import events
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from portal.services.webhooks import endpoints as webhooks
from tests.support.factories import TEST_ACTOR
from tests.support.workers import wait_until

pytestmark = [pytest.mark.slow]

WORKER_ENV = {"PORTAL_ALLOW_LOOPBACK_WEBHOOKS": "1", "PORTAL_WEBHOOK_RETRY_BASE_SECONDS": "1"}


def delivery_status(delivery_id: int) -> str:
    _db.session.expire_all()
    return _db.session.get(WebhookDelivery, delivery_id).status


def test_a_worker_delivers_a_signed_event_that_the_receiver_verifies(
    db, loopback_webhooks, receiver, start_worker
):
    with acting_as(TEST_ACTOR):
        _, secret = webhooks.create_endpoint(receiver.url, [events.TENANT_CREATED])
    start_worker("webhooks", **WORKER_ENV)
    receiver.script = [503]  # the first attempt fails; the retry (about a second later) lands
    with acting_as(TEST_ACTOR):
        create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    delivery_id = db.session.scalar(select(WebhookDelivery.id))
    assert wait_until(lambda: delivery_status(delivery_id) == DeliveryStatus.SUCCEEDED, 30)

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # same message, retried
    payload = Webhook(secret).verify(second.body, second.headers)
    assert payload["type"] == "tenant.created"
    assert payload["data"]["tenant"]["slug"] == "acme"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert [a.status_code for a in delivery.attempt_log] == [503, 200]
    assert delivery.attempts == 2


def test_the_send_test_event_button_reaches_the_receiver(
    db, loopback_webhooks, receiver, start_worker, signed_in
):
    with acting_as(TEST_ACTOR):
        hook, secret = webhooks.create_endpoint(receiver.url, [events.TENANT_OFFBOARDED])
    hook_id = hook.id
    start_worker("webhooks", **WORKER_ENV)
    admin = signed_in("admin")
    page = f"/admin/webhooks/{hook_id}"
    sent = admin.post_form(page, {}, post_url=f"{page}/test", follow_redirects=True)
    assert sent.status_code == 200 and b"Test event" in sent.data
    assert receiver.arrived.wait(30)
    payload = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert payload["type"] == "webhook.test"
    assert wait_until(lambda: b"HTTP 200" in admin.get(page).data, 10)
