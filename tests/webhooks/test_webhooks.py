"""Webhooks: deliveries made in the caller's transaction, signed, sent through the SSRF guard."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from portal.crypto import decrypt
from portal.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from portal.services import events
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant, get_tenant
from portal.services.webhooks import endpoints as webhooks
from portal.services.webhooks.delivery import deliver, sign, sweep_deliveries
from portal.validation import ValidationError
from tests.support.factories import TEST_ACTOR
from tests.support.settings import set_settings


def endpoint(url: str, chosen=(events.TENANT_CREATED,)):
    with acting_as(TEST_ACTOR):
        return webhooks.create_endpoint(url, list(chosen), "test receiver")


def make_tenant(slug: str = "acme"):
    with acting_as(TEST_ACTOR):
        return create_tenant(slug, slug.title(), ["https://app.example.com/cb"])


def test_an_event_creates_one_delivery_per_subscribed_endpoint(db, loopback_webhooks, receiver):
    wanted, secret = endpoint(receiver.url)
    endpoint("https://hooks.example.com/other", chosen=(events.PROVISIONING_FAILED,))
    make_tenant()
    deliveries = db.session.scalars(select(WebhookDelivery)).all()
    assert [(d.endpoint_id, d.event_type) for d in deliveries] == [(wanted.id, "tenant.created")]
    payload = deliveries[0].payload
    assert payload["type"] == "tenant.created"
    assert payload["data"]["tenant"]["slug"] == "acme"
    assert secret.startswith("whsec_")
    stored = db.session.get(WebhookEndpoint, wanted.id)
    assert secret.encode() not in stored.secret_encrypted
    assert decrypt(stored.secret_encrypted) == secret


def test_no_delivery_survives_a_rolled_back_change(db, loopback_webhooks, receiver, monkeypatch):
    endpoint(receiver.url)
    sent: list[int] = []
    monkeypatch.setattr(webhooks, "enqueue_delivery", lambda i, countdown=None: sent.append(i))
    tenant = make_tenant()
    assert len(sent) == 1  # handed to the workers after the commit
    events.publish(events.TENANT_CREATED, tenant)
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1
    assert len(sent) == 1


def test_delivery_is_signed_per_standard_webhooks_and_logged(db, loopback_webhooks, receiver):
    _, secret = endpoint(receiver.url)
    make_tenant()
    delivery = db.session.scalar(select(WebhookDelivery))
    assert deliver(delivery.id).status == DeliveryStatus.SUCCEEDED
    [got] = receiver.received
    verified = Webhook(secret).verify(got.body, got.headers)  # the reference implementation
    assert verified["type"] == "tenant.created"
    assert got.headers["webhook-id"] == delivery.message_id
    # Our own reading of the scheme: HMAC-SHA256 over "<id>.<timestamp>.<body>".
    key = webhooks.signing_key(db.session.get(WebhookEndpoint, delivery.endpoint_id))
    expected = sign(key, got.headers["webhook-id"], int(got.headers["webhook-timestamp"]), got.body)
    assert got.headers["webhook-signature"] == expected
    assert "secret" not in json.loads(got.body)["data"]["tenant"]
    [attempt] = db.session.scalars(select(WebhookAttempt)).all()
    assert attempt.status_code == 200 and attempt.duration_ms >= 0
    assert deliver(delivery.id).status == "not-claimed"  # running it twice sends once
    assert len(receiver.received) == 1


def test_a_tampered_body_fails_verification(db, loopback_webhooks, receiver):
    _, secret = endpoint(receiver.url)
    make_tenant()
    deliver(db.session.scalar(select(WebhookDelivery.id)))
    got = receiver.received[0]
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(got.body.replace(b"acme", b"evil"), got.headers)


def test_failures_are_retried_with_growing_delays_then_given_up(
    app, db, loopback_webhooks, receiver, monkeypatch
):
    set_settings(monkeypatch, app, webhook_max_attempts=3)
    monkeypatch.setattr(webhooks, "enqueue_delivery", lambda *a, **k: True)
    import portal.services.webhooks.delivery as delivery_module

    monkeypatch.setattr(delivery_module, "enqueue_delivery", lambda *a, **k: True)
    endpoint(receiver.url)
    make_tenant()
    delivery_id = db.session.scalar(select(WebhookDelivery.id))
    receiver.script = [500, 503, 502]
    delays = []
    for _ in range(3):
        outcome = deliver(delivery_id)
        if outcome.retry_in is not None:
            delays.append(outcome.retry_in)
            assert deliver(delivery_id).status == "not-claimed"  # not due yet
            row = db.session.get(WebhookDelivery, delivery_id)
            row.next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
    assert outcome.status == DeliveryStatus.FAILED
    assert len(delays) == 2 and delays[1] > delays[0] * 3
    codes = [a.status_code for a in db.session.scalars(select(WebhookAttempt).order_by("id"))]
    assert codes == [500, 503, 502]


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "http://127.0.0.1:9/hook",
        "https://user:pw@hooks.example.com/",
        "https://hooks.example.com/#frag",
        "https://[bad/",
    ],
)
def test_endpoints_that_point_inside_are_refused(db, url):
    with pytest.raises(ValidationError) as refused:
        endpoint(url)
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "localhost", "[::ffff:127.0.0.1]"]
)
def test_spellings_of_loopback_are_refused_when_saved_with_the_reason(db, host):
    with pytest.raises(ValidationError) as refused:
        endpoint(f"https://{host}/hook")
    assert refused.value.field == "url"
    assert "it is a loopback address" in refused.value.message


def test_the_guard_refuses_at_delivery_time_too(app, db, receiver):
    # Saved while its name did not resolve (or resolved elsewhere: DNS changes), the URL is
    # checked again at each delivery; here it now resolves to loopback, which is refused.
    hook, _secret = endpoint("https://hooks.example.com/x")
    hook.url = receiver.url.replace("http://127.0.0.1", "https://localhost")
    db.session.commit()
    make_tenant()
    delivery_id = db.session.scalar(select(WebhookDelivery.id))
    assert deliver(delivery_id).status == DeliveryStatus.PENDING
    assert receiver.received == []
    attempt = db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and "will not contact" in attempt.error


def test_the_sweep_sends_what_the_commit_hook_missed(db, loopback_webhooks, receiver, monkeypatch):
    endpoint(receiver.url)
    monkeypatch.setattr(webhooks, "enqueue_delivery", lambda *a, **k: False)  # broker down
    make_tenant()
    row = db.session.scalar(select(WebhookDelivery))
    row.next_attempt_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    sent: list[int] = []
    import portal.services.webhooks.delivery as delivery_module

    monkeypatch.setattr(
        delivery_module, "enqueue_delivery", lambda i, countdown=None: sent.append(i)
    )
    assert sweep_deliveries() == [row.id]
    assert sweep_deliveries() == []  # just sent: not again until it is stale
    assert sent == [row.id]


def test_disabling_an_endpoint_gives_up_its_pending_deliveries(db, loopback_webhooks, receiver):
    hook, _ = endpoint(receiver.url)
    make_tenant()
    with acting_as(TEST_ACTOR):
        webhooks.update_endpoint(
            hook, url=hook.url, chosen_events=hook.events, description="", enabled=False
        )
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status == DeliveryStatus.FAILED
    make_tenant("globex")
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1


def test_payloads_never_carry_secrets(db, loopback_webhooks, receiver):
    endpoint(receiver.url, chosen=events.EVENT_TYPES)
    tenant = make_tenant()
    events.publish(
        events.PROVISIONING_FAILED, get_tenant(tenant.slug), client_secret="s3cr3t", reason="x"
    )
    db.session.commit()
    payloads = [d.payload for d in db.session.scalars(select(WebhookDelivery))]
    assert "s3cr3t" not in json.dumps(payloads)
