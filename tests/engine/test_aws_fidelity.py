"""Behaviour that differs between AWS and moto: offboarding where no style exists, lost users."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.cognito.desired import DesiredTenant
from portal.cognito.gateway import CognitoGateway
from portal.cognito.resources import Known, StepContext
from portal.cognito.resources.offboard import RemoveStyleStep
from portal.models import AuditEvent, CognitoCall, RunStatus, TenantStatus
from portal.services.engine import lifecycle
from portal.services.tenants.handover import reveal_credentials
from tests.support import factories as f
from tests.support.factories import fresh, run_latest

pytestmark = [pytest.mark.dialect]


def operations(db, tenant) -> list[str]:
    return list(
        db.session.scalars(
            select(CognitoCall.operation)
            .where(CognitoCall.tenant_id == tenant.id)
            .order_by(CognitoCall.id)
        )
    )


def test_offboarding_a_classic_pool_tenant_asks_for_no_style(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator, classic=True)
    tenant = f.tenant("acme", oidc_idp)
    assert f.run_now(f.onboard(tenant)[0]) == RunStatus.SUCCEEDED
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.offboard(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    assert fresh(db, tenant).status == TenantStatus.OFFBOARDED
    ops = operations(db, tenant)
    assert "DeleteUserPoolClient" in ops and "DeleteIdentityProvider" in ops
    assert not [op for op in ops if "ManagedLoginBranding" in op]


def test_a_style_that_managed_login_cannot_hold_counts_as_removed(cognito_emulator):
    seeded = cognito_emulator.seed(pools=1)[0]
    cognito = f.cognito_client()
    client_id = cognito.create_user_pool_client(
        UserPoolId=seeded.user_pool_id, ClientName="acme", GenerateSecret=True
    )["UserPoolClient"]["ClientId"]
    cognito.update_user_pool(UserPoolId=seeded.user_pool_id, UserPoolTier="LITE")
    desired = DesiredTenant(
        user_pool_id=seeded.user_pool_id,
        region=seeded.region,
        needs_style=True,
        client_name="acme",
        provider_name="acme",
        callback_urls=("https://app.example.com/cb",),
        logout_urls=(),
    )
    ctx = StepContext(
        CognitoGateway(seeded.region, client=cognito), desired, Known(client_id=client_id)
    )
    step = RemoveStyleStep()
    assert step.plan(ctx).outcome == "absent"
    assert step.apply(ctx).outcome == "absent"
    assert [c.error_code for c in cognito_emulator.calls()][-2:] == [
        "OperationNotEnabledException",
        "OperationNotEnabledException",
    ]


def test_a_user_deleted_meanwhile_does_not_fail_offboarding(
    db, cognito_emulator, oidc_idp, monkeypatch
):
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    cognito = f.cognito_client()
    pool_id = tenant.pool.user_pool_id
    cognito.admin_create_user(UserPoolId=pool_id, Username="acme_sub-1")
    # Listed, then deleted by someone else before the portal's AdminDeleteUser reaches it.
    monkeypatch.setattr(
        "portal.cognito.resources.offboard.federated_usernames",
        lambda ctx, name: ["acme_sub-1", "acme_sub-gone"],
    )
    cognito_emulator.clear_calls()
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.offboard(fresh(db, tenant), remove_users=True)
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    assert cognito.list_users(UserPoolId=pool_id)["Users"] == []
    codes = [c.error_code for c in cognito_emulator.calls() if c.operation == "AdminDeleteUser"]
    assert codes == [None, "UserNotFoundException"]


def rotate_and_retire(db, tenant):
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.start_secret_rotation(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    with f.acting_as(f.TEST_ACTOR):
        during = reveal_credentials(fresh(db, tenant))["client_secret"]
        lifecycle.retire_old_secret(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    return during


def test_a_supplied_secret_cognito_does_not_return_is_kept_encrypted(
    db, cognito_emulator, oidc_idp
):
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    cognito_emulator.configure(hide_supplied_secrets=True)
    during = rotate_and_retire(db, tenant)
    tenant = fresh(db, tenant)
    live = f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert "ClientSecret" not in live
    assert tenant.new_client_secret_encrypted is None and tenant.secret_rotation_state is None
    assert tenant.client_secret_kept_encrypted is not None
    assert during.encode() not in tenant.client_secret_kept_encrypted  # encrypted, not plain
    with f.acting_as(f.TEST_ACTOR):
        revealed = reveal_credentials(tenant)
    assert revealed["client_secret"] == during
    kept = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.action == "client_secret.kept"
        )
    ).all()
    assert len(kept) == 1
    # Offboarding forgets it with the client.
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.offboard(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    assert fresh(db, tenant).client_secret_kept_encrypted is None


def test_a_supplied_secret_cognito_returns_is_dropped(db, cognito_emulator, oidc_idp):
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    during = rotate_and_retire(db, tenant)
    tenant = fresh(db, tenant)
    assert tenant.client_secret_kept_encrypted is None
    with f.acting_as(f.TEST_ACTOR):
        assert reveal_credentials(tenant)["client_secret"] == during


def test_email_verified_can_be_mapped_and_is_writable_on_the_client(
    db, cli, cognito_emulator, oidc_idp
):
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    cognito = f.cognito_client()
    pool_id = tenant.pool.user_pool_id

    def live() -> tuple[dict, list[str]]:
        provider = cognito.describe_identity_provider(UserPoolId=pool_id, ProviderName="acme")
        client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=tenant.client_id)
        return (
            provider["IdentityProvider"]["AttributeMapping"],
            client["UserPoolClient"]["WriteAttributes"],
        )

    mapping, writes = live()
    assert "email_verified" not in mapping and "email_verified" not in writes  # the default
    mapped = cli("tenants", "update", "acme", "--email-verified-claim", "email_verified")
    assert mapped.exit_code == 0
    assert cli("tenants", "apply", "acme").exit_code == 0
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    mapping, writes = live()
    assert mapping["email_verified"] == "email_verified" and "email_verified" in writes
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(fresh(db, tenant)).changes == 0  # applied, nothing left
    assert cli("tenants", "update", "acme", "--no-email-verified").exit_code == 0
    assert cli("tenants", "apply", "acme").exit_code == 0
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    mapping, writes = live()
    assert "email_verified" not in mapping and "email_verified" not in writes


def test_email_verified_claim_through_set_idp_and_the_api_view(db, cli, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    result = cli(
        "tenants",
        "set-idp",
        "acme",
        "--issuer",
        oidc_idp,
        "--client-id",
        "acme-idp-client",
        "--client-secret-stdin",
        "--groups-claim",
        "app_groups",
        "--email-verified-claim",
        "email_verified",
        stdin="another-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert fresh(db, tenant).email_verified_claim == "email_verified"
    bad = cli("tenants", "update", "acme", "--email-verified-claim", "not a claim!")
    assert bad.exit_code == 2 and "email_verified_claim" in bad.stderr
