"""SAML tenants through the engine: create, update with full details, drift, and type switches."""

from __future__ import annotations

from portal.models import TenantStatus
from portal.services.audit.actors import acting_as
from portal.services.engine.drift import accept, check_drift
from portal.services.engine.lifecycle import apply_tenant, offboard, plan_tenant
from portal.services.tenants.records import set_idp, set_saml_idp
from tests.support import factories as f
from tests.support.saml import ENTITY_ID, idp_metadata

EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"


def provider(pool, name: str) -> dict:
    return f.cognito_client().describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName=name
    )["IdentityProvider"]


def test_a_saml_tenant_is_onboarded_with_its_metadata_options_and_mapping(db, cognito_emulator):
    pool = f.pool(cognito_emulator)
    tenant = f.saml_tenant("acme", idp_metadata(), roles_attribute="roles", idp_initiated=True)
    [run] = f.onboard(tenant)
    assert f.run_now(run) == "succeeded"

    tenant = f.fresh(db, tenant)
    assert tenant.status == TenantStatus.READY and tenant.provider_type == "SAML"
    live = provider(pool, "acme")
    assert live["ProviderType"] == "SAML"
    details = live["ProviderDetails"]
    assert details["MetadataFile"] == idp_metadata()
    assert "MetadataURL" not in details
    assert (details["IDPInit"], details["IDPSignout"], details["EncryptedResponses"]) == (
        "true",
        "false",
        "false",
    )
    assert live["AttributeMapping"] == {
        "email": EMAIL,
        "custom:groups": GROUPS,
        "custom:roles": "roles",
    }
    client = f.cognito_client().describe_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["acme"]
    assert tenant.saml_entity_id == ENTITY_ID
    assert tenant.saml_entity_id_sp == f"urn:amazon:cognito:sp:{pool.user_pool_id}"
    assert tenant.saml_acs_url.endswith("/saml2/idpresponse")
    # Idempotent: a second reconcile finds nothing to change.
    with acting_as(f.TEST_ACTOR):
        assert all(r.outcome == "unchanged" for r in plan_tenant(tenant).resources)


def test_new_metadata_and_options_are_applied_with_full_details(db, cognito_emulator):
    pool = f.pool(cognito_emulator)
    tenant = f.saml_tenant("acme", idp_metadata())
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    renewed = idp_metadata("valid", "renewed")
    with acting_as(f.TEST_ACTOR):
        result = set_saml_idp(
            f.fresh(db, tenant),
            metadata_file=renewed,
            email_attribute=EMAIL,
            groups_attribute=GROUPS,
            encrypted_responses=True,
        )
        assert result.ok
        tenant = f.fresh(db, tenant)
        assert tenant.pending_changes_since is not None
        plan = {r.step: r for r in plan_tenant(tenant).resources}
        fields = {c["field"] for c in plan["provider"].changes}
        assert fields == {"ProviderDetails.MetadataFile", "ProviderDetails.EncryptedResponses"}
        document_change = next(
            c for c in plan["provider"].changes if c["field"].endswith("MetadataFile")
        )
        assert document_change["after"].startswith("sha256:")  # never the XML in a plan
        run = apply_tenant(tenant)
    assert f.run_now(run) == "succeeded"
    details = provider(pool, "acme")["ProviderDetails"]
    assert details["MetadataFile"] == renewed and details["EncryptedResponses"] == "true"
    assert details["IDPInit"] == "false"  # every flag is sent on each update


def test_drift_in_saml_details_and_mapping_is_found_and_repaired(db, cognito_emulator):
    pool = f.pool(cognito_emulator)
    tenant = f.saml_tenant("acme", idp_metadata())
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    f.cognito_client().update_identity_provider(
        UserPoolId=pool.user_pool_id,
        ProviderName="acme",
        ProviderDetails={"MetadataFile": idp_metadata("renewed"), "IDPSignout": "false"},
        AttributeMapping={"email": "mail", "custom:groups": GROUPS},
    )
    with acting_as(f.TEST_ACTOR):
        findings = check_drift(f.fresh(db, tenant))
    assert {x.field for x in findings} == {"ProviderDetails.MetadataFile", "AttributeMapping"}
    with acting_as(f.TEST_ACTOR):
        run = apply_tenant(f.fresh(db, tenant))
    assert f.run_now(run) == "succeeded"
    assert provider(pool, "acme")["ProviderDetails"]["MetadataFile"] == idp_metadata()
    with acting_as(f.TEST_ACTOR):
        assert check_drift(f.fresh(db, tenant)) == []


def test_switching_oidc_to_saml_and_back_keeps_the_client_and_its_secret(
    db, cognito_emulator, oidc_idp
):
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    tenant = f.fresh(db, tenant)
    client_id = tenant.client_id
    cognito = f.cognito_client()
    secret = cognito.describe_user_pool_client(UserPoolId=pool.user_pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]["ClientSecret"]

    with acting_as(f.TEST_ACTOR):
        assert set_saml_idp(tenant, metadata_file=idp_metadata()).ok
        tenant = f.fresh(db, tenant)
        assert (tenant.provider_name, tenant.retired_provider_name) == ("acme-2", "acme")
        plan = {r.step: r for r in plan_tenant(tenant).resources}
        assert plan["provider"].outcome == "absent"
        assert {"action": "delete", "before": "acme"}.items() <= plan["attach"].changes[-1].items()
        run = apply_tenant(tenant)
    assert f.run_now(run) == "succeeded"
    tenant = f.fresh(db, tenant)
    assert tenant.retired_provider_name is None and tenant.status == TenantStatus.READY
    client = cognito.describe_user_pool_client(UserPoolId=pool.user_pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]
    assert client["SupportedIdentityProviders"] == ["acme-2"]
    assert client["ClientSecret"] == secret and tenant.client_id == client_id
    names = [
        p["ProviderName"]
        for p in cognito.list_identity_providers(UserPoolId=pool.user_pool_id)["Providers"]
    ]
    assert names == ["acme-2"]
    assert provider(pool, "acme-2")["ProviderType"] == "SAML"

    # And back to OIDC: a third name, never one used before (federated users keep theirs).
    with acting_as(f.TEST_ACTOR):
        result = set_idp(tenant, issuer=oidc_idp, client_id="c", client_secret=f.IDP_SECRET)
        assert result.ok
        tenant = f.fresh(db, tenant)
        assert tenant.pending_changes_since is not None  # shown as pending, not as drift
        assert tenant.provider_name == "acme-3" and tenant.former_provider_names == [
            "acme",
            "acme-2",
        ]
        run = apply_tenant(tenant)
    assert f.run_now(run) == "succeeded"
    assert provider(pool, "acme-3")["ProviderType"] == "OIDC"
    assert f.fresh(db, tenant).client_id == client_id


def test_offboarding_mid_switch_removes_both_providers_and_the_client(
    db, cognito_emulator, oidc_idp
):
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    with acting_as(f.TEST_ACTOR):
        assert set_saml_idp(f.fresh(db, tenant), metadata_file=idp_metadata()).ok
        run = offboard(f.fresh(db, tenant))  # the switch was never applied
    assert f.run_now(run) == "succeeded"
    cognito = f.cognito_client()
    assert cognito.list_identity_providers(UserPoolId=pool.user_pool_id)["Providers"] == []
    assert cognito.list_user_pool_clients(UserPoolId=pool.user_pool_id)["UserPoolClients"] == []
    assert f.fresh(db, tenant).retired_provider_name is None


def test_accepting_drift_in_a_saml_mapping_takes_the_live_attribute_names(db, cognito_emulator):
    pool = f.pool(cognito_emulator)
    tenant = f.saml_tenant("acme", idp_metadata())
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    f.cognito_client().update_identity_provider(
        UserPoolId=pool.user_pool_id,
        ProviderName="acme",
        AttributeMapping={"email": "mail", "custom:groups": "memberOf"},
    )
    with acting_as(f.TEST_ACTOR):
        [finding] = check_drift(f.fresh(db, tenant))
        accept(f.fresh(db, tenant), [finding.id])
    tenant = f.fresh(db, tenant)
    assert (tenant.email_attribute, tenant.groups_claim) == ("mail", "memberOf")
