"""The configuration a hand-made tenant was adopted with, and the portal's standard for it."""

from __future__ import annotations

from portal.cognito.adopted import AdoptedConfig, deviations
from portal.cognito.desired import DesiredTenant

ISSUER = "https://login.acme.example"
CLIENT = {
    "ClientId": "abc",
    "ClientName": "Acme web",
    "ClientSecret": "never-kept-secret",
    "RefreshTokenValidity": 5,
    "ReadAttributes": ["email", "name"],
    "SupportedIdentityProviders": ["COGNITO", "acme"],
    "CallbackURLs": ["https://acme.example/cb"],
    "AllowedOAuthFlows": ["code", "implicit"],
    "AllowedOAuthScopes": ["openid", "email", "profile"],
    "AllowedOAuthFlowsUserPoolClient": True,
}
PROVIDER = {
    "ProviderDetails": {
        "client_id": "acme",
        "client_secret": "never-kept-idp-secret",
        "authorize_scopes": "openid email",
        "oidc_issuer": ISSUER,
        "attributes_request_method": "GET",
        "authorize_url": "https://login.acme.example/authorize",
        "attributes_url_add_attributes": "false",
    },
    "AttributeMapping": {"email": "email", "username": "sub", "name": "name"},
}


def desired(adopted: AdoptedConfig, issuer: str = ISSUER) -> DesiredTenant:
    return DesiredTenant(
        user_pool_id="us-east-1_x",
        region="us-east-1",
        needs_style=adopted.style,
        client_name="Acme web",
        provider_name="acme",
        callback_urls=("https://acme.example/cb",),
        logout_urls=(),
        issuer=issuer,
        idp_client_id="acme",
        adopted=adopted,
    )


def test_the_configuration_found_is_kept_without_secrets_or_read_only_details():
    adopted = AdoptedConfig.from_live(CLIENT, PROVIDER, has_style=False)
    stored = str(adopted.to_json())
    assert "never-kept" not in stored and "ClientId" not in stored
    assert AdoptedConfig.from_json(adopted.to_json()) == adopted
    tenant = desired(adopted)
    assert tenant.client_config()["AllowedOAuthFlows"] == ["code", "implicit"]
    assert tenant.client_config()["CallbackURLs"] == ["https://acme.example/cb"]
    assert tenant.attribute_mapping() == {"email": "email", "username": "sub", "name": "name"}
    assert tenant.custom_attributes == ()  # custom:groups is not mapped: none is needed
    details = tenant.provider_details()
    assert details["authorize_url"] == "https://login.acme.example/authorize"
    assert "attributes_url_add_attributes" not in details
    # An explicit endpoint belongs to its issuer: a new issuer is discovered afresh.
    assert "authorize_url" not in desired(adopted, "https://new.example").provider_details()


def test_the_standard_changes_only_what_it_speaks_about():
    adopted = AdoptedConfig.from_live(CLIENT, PROVIDER, has_style=False)
    standard = desired(adopted.standardized("acme", ("custom:groups",), "groups"))
    config = standard.client_config()
    assert config["AllowedOAuthFlows"] == ["code"] and config["AllowedOAuthScopes"] == ["openid"]
    assert config["SupportedIdentityProviders"] == ["acme"]
    assert config["ReadAttributes"] == ["email", "name", "email_verified", "custom:groups"]
    assert "WriteAttributes" not in config  # absent means every attribute: nothing is lacking
    assert config["RefreshTokenValidity"] == 5 and config["ClientName"] == "Acme web"
    assert standard.attribute_mapping()["custom:groups"] == "groups"
    assert standard.attribute_mapping()["name"] == "name"
    assert standard.adopted.style and standard.adopted.standard


def test_deviations_name_each_difference_from_the_standard():
    found = deviations(CLIENT, PROVIDER["AttributeMapping"], has_style=False, needs_style=True)
    assert found == [
        "OAuth flows code, implicit (standard: code only)",
        "scopes openid email profile (standard: openid only)",
        "the pool's own user directory (COGNITO) is attached beside the provider",
        "no managed-login style (the client has no login pages)",
    ]  # no custom:groups mapping is standard too: the IdP may send no groups (Google)
    mapped = {"email": "email", "custom:groups": "groups"}
    assert "custom:groups not readable by the client" in deviations(
        CLIENT, mapped, has_style=True, needs_style=True
    )
    standard = AdoptedConfig.from_live(CLIENT, PROVIDER, has_style=True)
    clean = {**CLIENT, **standard.standardized("acme", ("custom:groups",), "groups").client}
    mapping = {"email": "email", "custom:groups": "groups"}
    assert deviations(clean, mapping, has_style=True, needs_style=True) == []
