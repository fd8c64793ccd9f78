"""An IdP that sends no groups (Google Workspace): no custom:groups mapping, and that is desired."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import RunStatus, Tenant
from portal.services.adoption.adopt import adopt
from portal.services.adoption.scan import registered_pool
from portal.services.engine import drift, lifecycle
from tests.support import factories as f
from tests.support import handmade
from tests.support.factories import fresh, ready_tenant, run_latest

pytestmark = [pytest.mark.dialect]


def live_provider(tenant: Tenant) -> dict:
    return f.cognito_client().describe_identity_provider(
        UserPoolId=tenant.pool.user_pool_id, ProviderName=tenant.provider_name
    )["IdentityProvider"]


def live_client(tenant: Tenant) -> dict:
    return f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]


def test_a_tenant_without_a_groups_claim_maps_no_groups_and_shows_no_drift(
    db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp, groups_claim="")

    tenant = fresh(db, tenant)
    assert tenant.groups_claim == ""
    mapping = live_provider(tenant)["AttributeMapping"]
    assert "custom:groups" not in mapping and mapping["email"] == "email"
    assert "custom:groups" not in live_client(tenant)["ReadAttributes"]
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(tenant).changes == 0
        assert drift.check_drift(fresh(db, tenant)) == []


def test_clearing_the_groups_claim_is_a_planned_change_then_converges(
    db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)  # groups arrive as app_groups
    assert live_provider(tenant)["AttributeMapping"]["custom:groups"] == "app_groups"
    with f.acting_as(f.TEST_ACTOR):
        lifecycle.update_tenant(fresh(db, tenant), groups_claim="")
        plan = lifecycle.plan_tenant(fresh(db, tenant))
    changed = {(c["resource"], c["field"]) for r in plan.resources for c in r.changes}
    assert ("identity provider", "AttributeMapping") in changed

    with f.acting_as(f.TEST_ACTOR):
        lifecycle.apply_tenant(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    tenant = fresh(db, tenant)
    assert "custom:groups" not in live_provider(tenant)["AttributeMapping"]
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(tenant).changes == 0
        assert drift.check_drift(fresh(db, tenant)) == []
    # The pool keeps custom:groups (attributes are never deleted; other tenants use it).
    schema = f.cognito_client().describe_user_pool(UserPoolId=tenant.pool.user_pool_id)
    names = {a["Name"] for a in schema["UserPool"]["SchemaAttributes"]}
    assert "custom:groups" in names


def test_a_groups_mapping_removed_by_hand_can_be_accepted_as_no_groups(
    db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    provider = live_provider(tenant)
    mapping = {k: v for k, v in provider["AttributeMapping"].items() if k != "custom:groups"}
    f.cognito_client().update_identity_provider(
        UserPoolId=tenant.pool.user_pool_id,
        ProviderName="acme",
        ProviderDetails=provider["ProviderDetails"],
        AttributeMapping=mapping,
    )
    with f.acting_as(f.TEST_ACTOR):
        [finding] = drift.check_drift(fresh(db, tenant))
        assert finding.field == "AttributeMapping"
        drift.accept(fresh(db, tenant))
        assert fresh(db, tenant).groups_claim == ""
        # The client no longer needs to read and write custom:groups: that is put right too.
        left = {x.field for x in drift.check_drift(fresh(db, tenant))}
        assert left == {"ReadAttributes", "WriteAttributes"}
        drift.repair(fresh(db, tenant))
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    with f.acting_as(f.TEST_ACTOR):
        assert drift.check_drift(fresh(db, tenant)) == []
    assert "custom:groups" not in live_provider(tenant)["AttributeMapping"]


def test_a_handmade_tenant_without_groups_is_adopted_as_such_and_stays_so(
    db, cognito_emulator, oidc_idp
):
    pool_id = handmade.seed_pool(cognito_emulator)
    handmade.provider(pool_id, "initech", oidc_idp, groups_claim=None)
    handmade.client(pool_id, "initech", ["initech"], groups_readable=False)
    handmade.register(pool_id)
    with f.acting_as(f.TEST_ACTOR):
        result = adopt(registered_pool(pool_id))
    [adopted] = result.adopted
    assert not any("custom:groups" in d for d in adopted.deviations)
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "initech"))
    assert tenant.groups_claim == ""
    with f.acting_as(f.TEST_ACTOR):
        assert lifecycle.plan_tenant(tenant).changes == 0
        standard = lifecycle.plan_tenant(fresh(db, tenant), standard=True)
    fields = {(c["resource"], c["field"]) for r in standard.resources for c in r.changes}
    assert ("identity provider", "AttributeMapping") not in fields
