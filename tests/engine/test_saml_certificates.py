"""SAML signing certificates over time: daily metadata re-reads, rollovers, reminders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.models import AuditEvent, Run, WebhookDelivery, utcnow
from portal.services import events
from portal.services.engine.saml_certificates import (
    refresh_metadata,
    remind_expiring_certificates,
)
from portal.services.webhooks import endpoints as webhooks
from tests.support import factories as f
from tests.support.idp import StubIdP
from tests.support.saml import idp_metadata, signing_key


def test_reminders_fire_once_per_threshold_with_an_audit_record_and_a_webhook(db, cognito_emulator):
    f.pool(cognito_emulator)
    with f.acting_as(f.TEST_ACTOR):
        webhooks.create_endpoint("https://hooks.example.com/x", [events.IDP_CERTIFICATE_EXPIRING])
    tenant = f.saml_tenant("acme", idp_metadata("expiring"))  # 10 days left: the 14-day reminder
    with f.acting_as(f.TEST_ACTOR):
        assert remind_expiring_certificates() == ["acme"]
        assert remind_expiring_certificates() == []  # run twice: not twice at the same threshold
    tenant = f.fresh(db, tenant)
    assert tenant.saml_cert_reminded_days == 14
    tenant.saml_cert_expires_at = utcnow() + timedelta(hours=20)
    db.session.commit()
    with f.acting_as(f.TEST_ACTOR):
        assert remind_expiring_certificates() == ["acme"]
    audited = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "saml_certificate.expiring")
    ).all()
    assert [e.details["days_left"] for e in audited] == [10, 0]
    deliveries = db.session.scalars(select(WebhookDelivery)).all()
    assert [d.event_type for d in deliveries] == [events.IDP_CERTIFICATE_EXPIRING] * 2


def test_a_rolled_over_certificate_is_picked_up_and_the_document_sent_again(
    db, cognito_emulator, idp: StubIdP
):
    pool = f.pool(cognito_emulator)
    idp.serve("/md", idp_metadata("expiring").encode(), content_type="application/xml")
    tenant = f.saml_tenant("acme", f"{idp.issuer}/md")
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    tenant = f.fresh(db, tenant)
    assert tenant.saml_cert_reminded_days is None
    with f.acting_as(f.TEST_ACTOR):
        assert remind_expiring_certificates() == ["acme"]
        assert refresh_metadata() == []  # checked less than a day ago: not due
    # The IdP adds its next certificate; a day later the portal reads the metadata again.
    rolled = idp_metadata("expiring", "renewed")
    idp.serve("/md", rolled.encode(), content_type="application/xml")
    tenant = f.fresh(db, tenant)
    tenant.saml_metadata_checked_at = utcnow() - timedelta(days=1, minutes=1)
    db.session.commit()
    with f.acting_as(f.TEST_ACTOR):
        assert refresh_metadata() == ["acme"]
        assert refresh_metadata() == []  # idempotent: checked now
    tenant = f.fresh(db, tenant)
    renewed = signing_key("renewed").certificate.not_valid_after_utc
    assert tenant.saml_cert_expires_at == renewed and tenant.saml_cert_reminded_days is None
    changed = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "tenant.saml_metadata_changed")
    )
    assert changed.details["resent_to_cognito"] is True  # an http URL: the portal sends the file
    assert "<md:" not in str(changed.details)
    run = db.session.scalars(select(Run).order_by(Run.id.desc())).first()
    assert run.kind == "reconcile" and f.run_now(run) == "succeeded"
    live = f.cognito_client().describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="acme"
    )["IdentityProvider"]["ProviderDetails"]
    assert live["MetadataFile"] == rolled
    with f.acting_as(f.TEST_ACTOR):
        assert remind_expiring_certificates() == []  # the renewed one is far from expiry


def test_metadata_that_stops_passing_keeps_the_last_good_document(
    db, cognito_emulator, idp: StubIdP
):
    f.pool(cognito_emulator)
    idp.serve("/md", idp_metadata().encode(), content_type="application/xml")
    tenant = f.saml_tenant("acme", f"{idp.issuer}/md")
    good = f.fresh(db, tenant).saml_metadata_sha256
    idp.serve("/md", b"<html>maintenance</html>", content_type="text/html")
    tenant = f.fresh(db, tenant)
    tenant.saml_metadata_checked_at = None
    db.session.commit()
    with f.acting_as(f.TEST_ACTOR):
        assert refresh_metadata() == []
    assert f.fresh(db, tenant).saml_metadata_sha256 == good
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "tenant.saml_metadata_unusable")
    )
