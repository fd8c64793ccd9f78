"""Offboarding, drift, secret-expiry reminders, pool management and moves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import (
    AuditEvent,
    CognitoCall,
    DriftFinding,
    DriftStatus,
    Run,
    RunStatus,
    TenantStatus,
    utcnow,
)
from portal.services.engine import drift, lifecycle
from portal.services.engine.reminders import remind_expiring_secrets
from portal.services.pools.registry import NoPoolHasRoom, find_pool, list_usage, set_closed
from portal.services.tenants.handover import reveal_credentials
from tests.support import factories as f
from tests.support.factories import fresh, ready_tenant, run_latest
from tests.support.settings import set_settings

pytestmark = [pytest.mark.dialect]


def live(pool_id: str) -> dict:
    cognito = f.cognito_client()
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    providers = cognito.list_identity_providers(UserPoolId=pool_id, MaxResults=60)["Providers"]
    return {
        "clients": [c["ClientName"] for c in clients],
        "providers": [p["ProviderName"] for p in providers],
    }


def test_offboarding_removes_style_client_provider_in_order_and_keeps_history(
    db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    pool_id = tenant.pool.user_pool_id
    with f.acting_as(f.TEST_ACTOR):
        run = lifecycle.offboard(fresh(db, tenant))
    assert fresh(db, tenant).status == TenantStatus.OFFBOARDING
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED

    tenant = fresh(db, tenant)
    assert tenant.status == TenantStatus.OFFBOARDED and tenant.offboarded_at
    assert live(pool_id) == {"clients": [], "providers": []}
    writes = [
        c.operation
        for c in db.session.scalars(
            select(CognitoCall).where(CognitoCall.run_id == run.id).order_by(CognitoCall.id)
        )
        if c.operation.startswith("Delete")
    ]
    assert writes == [
        "DeleteManagedLoginBranding",
        "DeleteUserPoolClient",
        "DeleteIdentityProvider",
    ]  # never a client pointing at a missing provider
    schema = f.cognito_client().describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert "custom:groups" in {a["Name"] for a in schema["SchemaAttributes"]}  # attributes stay
    # The history stays complete for auditors.
    runs = db.session.scalars(select(Run).where(Run.tenant_id == tenant.id).order_by(Run.id)).all()
    assert [r.kind for r in runs] == ["onboard", "offboard"]
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant.id).order_by(AuditEvent.id)
        )
    ]
    assert "tenant.created" in actions and "tenant.offboarding" in actions
    assert actions[-1] == "run.succeeded"
    # Offboarding twice is safe and changes nothing.
    calls = len(cognito_emulator.calls())
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.offboard(tenant) is None
    assert len(cognito_emulator.calls()) == calls


def test_offboarding_can_remove_the_federated_users(db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    cognito = f.cognito_client()
    pool_id = tenant.pool.user_pool_id
    for user in ("acme_sub-1", "acme_sub-2", "other_sub-3"):
        cognito.admin_create_user(UserPoolId=pool_id, Username=user)
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.offboard(fresh(db, tenant), remove_users=True)
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    left = [u["Username"] for u in cognito.list_users(UserPoolId=pool_id)["Users"]]
    assert left == ["other_sub-3"]


def test_a_draft_tenant_is_offboarded_without_any_cognito_call(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    cognito_emulator.clear_calls()
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.offboard(tenant) is None
    assert fresh(db, tenant).status == TenantStatus.OFFBOARDED
    assert cognito_emulator.calls() == []


def test_drift_behind_the_portals_back_is_found_and_repaired(db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    cognito = f.cognito_client()
    pool_id = tenant.pool.user_pool_id
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=tenant.client_id)[
        "UserPoolClient"
    ]
    keep = {
        k: v
        for k, v in client.items()
        if k not in ("ClientSecret", "CreationDate", "LastModifiedDate", "UserPoolId")
    }
    keep["CallbackURLs"] = ["https://evil.example.com/cb"]
    cognito.update_user_pool_client(UserPoolId=pool_id, **keep)

    with f.acting_as(f.TEST_ACTOR):
        findings = drift.check_drift(fresh(db, tenant))
    assert [(x.resource, x.field) for x in findings] == [("app client", "CallbackURLs")]
    assert fresh(db, tenant).drift_detected_at is not None
    assert "drift.found" in db.session.scalars(select(AuditEvent.action)).all()
    with f.acting_as(f.TEST_ACTOR):  # checking again does not duplicate findings
        assert [x.id for x in drift.check_drift(fresh(db, tenant))] == [findings[0].id]
        drift.repair(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    repaired = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=tenant.client_id)
    assert "https://evil.example.com/cb" not in repaired["UserPoolClient"]["CallbackURLs"]
    assert db.session.get(DriftFinding, findings[0].id).status == DriftStatus.REPAIRED
    with f.acting_as(f.TEST_ACTOR):
        assert drift.check_drift(fresh(db, tenant)) == []


def test_a_live_value_can_be_accepted_as_the_new_setting(db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    cognito = f.cognito_client()
    pool_id = tenant.pool.user_pool_id
    provider = cognito.describe_identity_provider(UserPoolId=pool_id, ProviderName="acme")[
        "IdentityProvider"
    ]
    mapping = dict(provider["AttributeMapping"], **{"custom:groups": "memberOf"})
    cognito.update_identity_provider(
        UserPoolId=pool_id,
        ProviderName="acme",
        ProviderDetails=provider["ProviderDetails"],
        AttributeMapping=mapping,
    )
    with f.acting_as(f.TEST_ACTOR):
        [finding] = drift.check_drift(fresh(db, tenant))
        drift.accept(fresh(db, tenant))
    tenant = fresh(db, tenant)
    assert tenant.groups_claim == "memberOf"
    assert db.session.get(DriftFinding, finding.id).status == DriftStatus.ACCEPTED
    with f.acting_as(f.TEST_ACTOR):
        assert drift.check_drift(tenant) == []


@pytest.mark.slow
def test_the_drift_sweep_stays_under_the_read_quotas(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(6)]
    assert all(f.run_now(r) == RunStatus.SUCCEEDED for r in f.onboard(*tenants))
    cognito_emulator.configure(rate_limits=True)
    cognito_emulator.clear_calls()
    with f.acting_as(f.TEST_ACTOR):
        assert drift.sweep(limit=10, pace=0) == 6  # unpaced: only the shared limiter holds it
    assert [c for c in cognito_emulator.calls() if c.error_code] == []
    assert all(fresh(db, t).drift_checked_at for t in tenants)
    with f.acting_as(f.TEST_ACTOR):
        assert drift.sweep(limit=10, pace=0) == 0  # nobody is due again yet


def test_secret_expiry_reminders_fire_once_per_threshold(db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.update_tenant(
            fresh(db, tenant), idp_secret_expires_at=utcnow() + timedelta(days=10, hours=1)
        )
        assert remind_expiring_secrets() == ["acme"]
        assert remind_expiring_secrets() == []  # not twice at the same threshold
    assert fresh(db, tenant).idp_secret_reminded_days == 14
    tenant = fresh(db, tenant)
    tenant.idp_secret_expires_at = utcnow() + timedelta(hours=20)
    db.session.commit()
    with f.acting_as(f.TEST_ACTOR):
        assert remind_expiring_secrets() == ["acme"]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "idp_secret.expiring")
    ).all()
    assert [e.details["days_left"] for e in events] == [10, 0]


def test_a_closed_pool_gets_no_new_tenants_and_warnings_start_at_80_percent(
    db, cognito_emulator, oidc_idp
):
    first = f.pool(cognito_emulator)
    with f.acting_as(f.TEST_ACTOR):
        set_closed(first, True)
    tenant = f.tenant("acme", oidc_idp)
    with pytest.raises(NoPoolHasRoom):
        f.onboard(tenant)
    with f.acting_as(f.TEST_ACTOR):
        set_closed(find_pool(first.user_pool_id), False)
    pool = find_pool(first.user_pool_id)
    pool.max_clients = 5
    db.session.commit()
    for n in range(4):
        f.run_now(f.onboard(f.tenant(f"tenant-{n}", oidc_idp))[0])
    [usage] = list_usage()
    assert usage.warnings() == ["app clients 4/5 (80%)", "identity providers 4/300 (1%)"][:1]


def test_moving_a_tenant_provisions_the_new_pool_first_and_cleans_the_old_last(
    db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    old_pool = tenant.pool.user_pool_id
    target = f.pool(cognito_emulator)
    with f.acting_as(f.TEST_ACTOR):
        old = reveal_credentials(fresh(db, tenant))
        _run, token = lifecycle.start_move(fresh(db, tenant), find_pool(target.user_pool_id))
    from portal.services.selfservice.setup_links import resolve

    assert resolve(token).tenant_id == tenant.id  # a new link for the new redirect URI
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED

    tenant = fresh(db, tenant)
    assert tenant.status == TenantStatus.READY and tenant.pool.user_pool_id == target.user_pool_id
    assert live(old_pool)["providers"] == ["acme"]  # the old pool still signs users in
    assert live(target.user_pool_id)["providers"] == ["acme"]
    provider = f.cognito_client().describe_identity_provider(
        UserPoolId=target.user_pool_id, ProviderName="acme"
    )["IdentityProvider"]
    assert provider["ProviderDetails"]["client_secret"] == f.IDP_SECRET  # copied, never stored
    with f.acting_as(f.TEST_ACTOR):
        new = reveal_credentials(tenant)
    assert new["client_id"] != old["client_id"] and new["user_pool_id"] == target.user_pool_id

    with f.acting_as(f.TEST_ACTOR):
        lifecycle.finish_move(tenant)
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    assert live(old_pool) == {"clients": [], "providers": []}
    assert live(target.user_pool_id)["providers"] == ["acme"]
    usage = {u.pool.user_pool_id: u.clients for u in list_usage()}
    assert usage == {old_pool: 0, target.user_pool_id: 1}


def test_expiry_reminders_are_emailed_to_staff_when_smtp_is_set(
    app, db, cognito_emulator, oidc_idp, monkeypatch
):
    from aiosmtpd.controller import Controller

    from portal.models import Role
    from portal.services.access.users import create_user
    from tests.support.mail import Inbox
    from tests.support.net import free_port

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    set_settings(monkeypatch, app, smtp_url=f"smtp://127.0.0.1:{port}")
    try:
        tenant = ready_tenant(cognito_emulator, oidc_idp)
        with f.acting_as(f.TEST_ACTOR):
            create_user("ops@example.com", Role.STAFF, "long-password-123")
            create_user("read@example.com", Role.AUDITOR, "long-password-123")
            lifecycle.update_tenant(
                fresh(db, tenant), idp_secret_expires_at=utcnow() + timedelta(days=6)
            )
            assert remind_expiring_secrets() == ["acme"]
    finally:
        controller.stop()
    [(recipients, message)] = inbox.messages
    assert recipients == ["ops@example.com"]  # staff and admins; not auditors
    assert "Acme (acme): expires" in message and "new setup link" in message
