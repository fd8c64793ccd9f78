"""Onboarding end to end against the strict local Cognito, in this process."""

from __future__ import annotations

from portal.models import CognitoCall, Tenant, TenantStatus
from tests import factories as f


def test_fresh_onboarding_creates_exactly_the_five_resources(db, cognito_emulator, oidc_idp):
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp, roles_claim="roles")
    [run] = f.onboard(tenant)

    assert f.run_now(run) == "succeeded"

    tenant = db.session.get(Tenant, tenant.id)
    assert tenant.status == TenantStatus.READY
    cognito = f.cognito_client()
    client = cognito.describe_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["acme"]
    assert client["AllowedOAuthScopes"] == ["openid"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert (
        "custom:groups" in client["WriteAttributes"] and "custom:roles" in client["WriteAttributes"]
    )
    assert client["ClientSecret"]
    provider = cognito.describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="acme"
    )["IdentityProvider"]
    assert provider["AttributeMapping"]["custom:groups"] == "app_groups"
    assert provider["AttributeMapping"]["custom:roles"] == "roles"
    style = cognito.describe_managed_login_branding_by_client(
        UserPoolId=pool.user_pool_id, ClientId=tenant.client_id
    )["ManagedLoginBranding"]
    assert style["ManagedLoginBrandingId"] == tenant.branding_id
    # The customer's secret is purged once Cognito holds it.
    assert tenant.idp_client_secret_encrypted is None and tenant.idp_secret_in_cognito
    ops = [
        c.operation
        for c in db.session.query(CognitoCall).filter_by(run_id=run.id).order_by(CognitoCall.id)
    ]
    assert ops == [
        "CreateUserPoolClient",
        "DescribeUserPool",
        "AddCustomAttributes",
        "CreateIdentityProvider",
        "UpdateUserPoolClient",
        "CreateManagedLoginBranding",
    ]
