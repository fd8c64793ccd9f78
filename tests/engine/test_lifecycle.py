"""Life after day one against the strict local Cognito: plan/apply, rotations, retry, cancel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import (
    AuditEvent,
    CognitoCall,
    Run,
    RunStatus,
    Tenant,
    TenantStatus,
)
from portal.services.engine import lifecycle
from portal.services.engine.execution import execute_run
from portal.services.tenants.handover import reveal_credentials
from portal.services.tenants.records import set_idp
from tests.support import factories as f
from tests.support.crash import Killed, expire_lease, kill_after
from tests.support.factories import fresh, ready_tenant, run_latest


def test_plan_shows_the_exact_changes_and_apply_makes_them(db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(tenant).changes == 0
        lifecycle.update_tenant(
            tenant, callback_urls=["https://new.example.com/cb"], roles_claim="roles"
        )
        cognito_emulator.clear_calls()
        plan = lifecycle.plan_tenant(fresh(db, tenant))

    changed = {(c["resource"], c["field"]) for r in plan.resources for c in r.changes}
    assert ("app client", "CallbackURLs") in changed
    assert ("identity provider", "AttributeMapping") in changed
    assert ("custom attribute", None) in changed  # custom:roles must be added to the pool
    callback = next(c for r in plan.resources for c in r.changes if c["field"] == "CallbackURLs")
    assert "https://app.example.com/callback" in callback["before"]
    assert "https://new.example.com/cb" in callback["after"]
    # Planning only read.
    assert all(c.operation.startswith(("Describe", "List")) for c in cognito_emulator.calls())

    with f.acting_as(f.TEST_ACTOR):
        lifecycle.apply_tenant(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(fresh(db, tenant)).changes == 0
    assert fresh(db, tenant).pending_changes_since is None


def test_a_new_idp_secret_is_applied_in_full_then_purged(db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    with f.acting_as(f.TEST_ACTOR):
        set_idp(
            fresh(db, tenant),
            issuer=oidc_idp,
            client_id="acme-idp-client",
            client_secret="rotated-idp-secret-9f8e7d",
            groups_claim="app_groups",
        )
        assert fresh(db, tenant).idp_client_secret_encrypted is not None
        lifecycle.apply_tenant(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED

    provider = f.cognito_client().describe_identity_provider(
        UserPoolId=tenant.pool.user_pool_id, ProviderName="acme"
    )["IdentityProvider"]
    details = provider["ProviderDetails"]
    assert details["client_secret"] == "rotated-idp-secret-9f8e7d"
    assert details["client_id"] == "acme-idp-client" and details["oidc_issuer"] == oidc_idp
    assert details["authorize_scopes"] == "openid email"  # the full details were sent
    assert fresh(db, tenant).idp_client_secret_encrypted is None


def secret_ids(tenant: Tenant) -> list[str]:
    listed = f.cognito_client().list_user_pool_client_secrets(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["ClientSecrets"]
    return [s["ClientSecretId"] for s in listed]


def test_client_secret_rotation_never_leaves_the_client_without_a_working_secret(
    db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    with f.acting_as(f.TEST_ACTOR):
        original = reveal_credentials(fresh(db, tenant))["client_secret"]
    [old_id] = secret_ids(tenant)

    with f.acting_as(f.TEST_ACTOR):
        lifecycle.start_secret_rotation(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    tenant = fresh(db, tenant)
    assert tenant.secret_rotation_state == "both_active"
    assert old_id in secret_ids(tenant) and len(secret_ids(tenant)) == 2  # both work now
    with f.acting_as(f.TEST_ACTOR):
        during = reveal_credentials(tenant)
    assert during["client_secret"] != original and during["client_secret_rotation"] == "both_active"

    with f.acting_as(f.TEST_ACTOR):
        lifecycle.retire_old_secret(tenant)
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    tenant = fresh(db, tenant)
    assert secret_ids(tenant) == [tenant.new_client_secret_id or secret_ids(tenant)[0]]
    assert old_id not in secret_ids(tenant)
    assert tenant.new_client_secret_encrypted is None and tenant.secret_rotation_state is None
    live = f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert live["ClientSecret"] == during["client_secret"]  # the secret handed over is the one
    with f.acting_as(f.TEST_ACTOR):
        assert reveal_credentials(tenant)["client_secret"] == during["client_secret"]
    actions = set(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant.id))
    )
    assert {
        "client_secret.rotation_started",
        "client_secret.retiring",
        "secret.revealed",
    } <= actions


@pytest.mark.dialect
def test_rotation_survives_a_crash_after_the_secret_was_added(
    db, cognito_emulator, oidc_idp, monkeypatch
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    with f.acting_as(f.TEST_ACTOR):
        run = lifecycle.start_secret_rotation(fresh(db, tenant))
    with monkeypatch.context() as patch:
        kill_after(patch, "AddUserPoolClientSecret")
        with pytest.raises(Killed):
            execute_run(run.id, "worker-a")
    expire_lease(db, run.id)
    assert execute_run(run.id, "worker-b").status == RunStatus.SUCCEEDED
    tenant = fresh(db, tenant)
    assert len(secret_ids(tenant)) == 2 and tenant.new_client_secret_id in secret_ids(tenant)


def test_cancelling_a_rotation_withdraws_the_new_secret(db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    [old_id] = secret_ids(tenant)
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.start_secret_rotation(fresh(db, tenant))
    run_latest(db, tenant)
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.cancel_secret_rotation(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    assert secret_ids(fresh(db, tenant)) == [old_id]


@pytest.mark.dialect
def test_cancel_then_retry_continues_where_the_run_stopped(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.cancel(fresh(db, tenant))
    assert db.session.get(Run, run.id).status == RunStatus.CANCELLED
    assert fresh(db, tenant).status == TenantStatus.FAILED
    assert "cancelled by tester@example.com" in fresh(db, tenant).last_error
    assert execute_run(run.id, "worker-a").status == "not-claimed"  # a late message is ignored

    with f.acting_as(f.TEST_ACTOR):
        again = lifecycle.retry(fresh(db, tenant))
    assert execute_run(again.id, "worker-b").status == RunStatus.SUCCEEDED
    assert fresh(db, tenant).status == TenantStatus.READY


@pytest.mark.dialect
def test_cancelling_a_running_run_stops_its_worker_before_the_next_call(
    app, db, cognito_emulator, oidc_idp, monkeypatch
):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    from portal.services.engine import execution

    original = execution.LedgerRecorder.record

    def record(self, attempt):
        original(self, attempt)
        if attempt.operation == "CreateIdentityProvider":
            with app.app_context(), f.acting_as(f.TEST_ACTOR):  # staff click "cancel" now
                lifecycle.cancel(db.session.get(Tenant, tenant.id))

    monkeypatch.setattr(execution.LedgerRecorder, "record", record)
    assert execute_run(run.id, "worker-a").status == "lost"
    operations = [
        c.operation
        for c in db.session.scalars(
            select(CognitoCall).where(CognitoCall.run_id == run.id).order_by(CognitoCall.id)
        )
    ]
    assert operations == ["AddCustomAttributes", "CreateIdentityProvider"]
    assert db.session.get(Run, run.id).status == RunStatus.CANCELLED
