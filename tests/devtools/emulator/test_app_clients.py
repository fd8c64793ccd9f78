"""App clients: reset-on-update, providers, URLs, scopes, flows, attributes, quota."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.emulator import error_code, oidc_details

FULL_CONFIG = {
    "ClientName": "tenant-web",
    "CallbackURLs": ["https://app.example.com/callback/"],
    "LogoutURLs": ["https://app.example.com/logout"],
    "SupportedIdentityProviders": ["COGNITO"],
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "ReadAttributes": ["email"],
    "WriteAttributes": ["email"],
}


def test_update_resets_every_omitted_field(cognito, pool):
    created = cognito.create_user_pool_client(
        UserPoolId=pool.user_pool_id, GenerateSecret=True, **FULL_CONFIG
    )["UserPoolClient"]
    updated = cognito.update_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientId=created["ClientId"], RefreshTokenValidity=10
    )["UserPoolClient"]
    described = cognito.describe_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientId=created["ClientId"]
    )["UserPoolClient"]
    for client in (updated, described):
        for field in (
            "CallbackURLs",
            "LogoutURLs",
            "SupportedIdentityProviders",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "ReadAttributes",
            "WriteAttributes",
        ):
            assert field not in client, field
        assert client["AllowedOAuthFlowsUserPoolClient"] is False
        assert client["RefreshTokenValidity"] == 10
        assert client["ClientName"] == "tenant-web"  # kept when omitted
        assert client["ClientSecret"] == created["ClientSecret"]  # never reset


def test_update_with_the_full_configuration_keeps_it(cognito, pool):
    created = cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, **FULL_CONFIG)[
        "UserPoolClient"
    ]
    changed = {**FULL_CONFIG, "ClientName": "renamed"}
    updated = cognito.update_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientId=created["ClientId"], **changed
    )["UserPoolClient"]
    for key, value in changed.items():
        assert updated[key] == value
    assert updated["LastModifiedDate"] >= created["CreationDate"]


def test_plain_moto_merges_instead(plain_moto):
    with plain_moto() as moto:
        created = moto.client.create_user_pool_client(UserPoolId=moto.pool_id, **FULL_CONFIG)[
            "UserPoolClient"
        ]
        updated = moto.client.update_user_pool_client(
            UserPoolId=moto.pool_id, ClientId=created["ClientId"], RefreshTokenValidity=10
        )["UserPoolClient"]
        assert updated["CallbackURLs"] == FULL_CONFIG["CallbackURLs"]


def test_only_existing_identity_providers(cognito, pool):
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(
            UserPoolId=pool.user_pool_id, ClientName="c", SupportedIdentityProviders=["acme-okta"]
        )
    assert error_code(exc) == "InvalidParameterException"
    assert (
        f"The provider acme-okta does not exist for User Pool {pool.user_pool_id}"
        in exc.value.response["Error"]["Message"]
    )
    cognito.create_identity_provider(
        UserPoolId=pool.user_pool_id,
        ProviderName="acme-okta",
        ProviderType="OIDC",
        ProviderDetails=oidc_details(),
    )
    client = cognito.create_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientName="c", SupportedIdentityProviders=["acme-okta"]
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["acme-okta"]
    with pytest.raises(ClientError) as exc:
        cognito.update_user_pool_client(
            UserPoolId=pool.user_pool_id,
            ClientId=client["ClientId"],
            SupportedIdentityProviders=["acme-okta", "Google"],
        )
    assert error_code(exc) == "InvalidParameterException"


@pytest.mark.parametrize(
    "url",
    [
        "http://app.example.com/callback",  # http off localhost
        "https://app.example.com/callback#frag",  # fragment
        "/callback",  # relative
        "app.example.com/callback",  # no scheme
        "https:///callback",  # no host
        "javascript:alert(1)",
        "http://[::2]/cb",  # http only on localhost, 127.0.0.1 and [::1]
        "https://app.example.com/a b",  # RedirectUrlType's pattern has no whitespace
    ],
)
def test_bad_callback_and_logout_urls(cognito, pool, url):
    for field in ("CallbackURLs", "LogoutURLs"):
        with pytest.raises(ClientError) as exc:
            cognito.create_user_pool_client(
                UserPoolId=pool.user_pool_id, ClientName="c", **{field: [url]}
            )
        assert error_code(exc) == "InvalidParameterException", (field, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://yourapp.com/api/oidc/cognito/callback/",
        "http://localhost:8000/api/oidc/cognito/callback/",
        "http://127.0.0.1:5000/cb",
        "http://[::1]:5000/cb",  # listed in CreateUserPoolClientRequest.CallbackURLs' text
        "myapp://callback",
        "com.example.app:/oauth2redirect",
        "https://app.example.com/$(id)`x`",  # AWS's pattern allows \p{P} and \p{S}
    ],
)
def test_good_callback_urls(cognito, pool, url):
    client = cognito.create_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientName="c", CallbackURLs=[url], DefaultRedirectURI=url
    )["UserPoolClient"]
    assert client["CallbackURLs"] == [url]


def test_at_most_100_callback_urls_and_default_must_be_one_of_them(cognito, pool):
    urls = [f"https://app.example.com/cb/{n}" for n in range(101)]
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(
            UserPoolId=pool.user_pool_id, ClientName="c", CallbackURLs=urls
        )
    assert error_code(exc) == "InvalidParameterException"
    cognito.create_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientName="c", CallbackURLs=urls[:100]
    )
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(
            UserPoolId=pool.user_pool_id,
            ClientName="c",
            CallbackURLs=urls[:1],
            DefaultRedirectURI="https://elsewhere.example.com/",
        )
    assert error_code(exc) == "InvalidParameterException"


def test_plain_moto_accepts_any_url_and_unknown_provider(plain_moto):
    with plain_moto() as moto:
        client = moto.client.create_user_pool_client(
            UserPoolId=moto.pool_id,
            ClientName="c",
            CallbackURLs=["http://app.example.com/cb#frag"],
            SupportedIdentityProviders=["nobody"],
        )["UserPoolClient"]
        assert client["SupportedIdentityProviders"] == ["nobody"]


def test_scopes_must_be_standard_or_from_a_resource_server(cognito, pool):
    oauth = {
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": ["https://app.example.com/cb"],
    }
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(
            UserPoolId=pool.user_pool_id, ClientName="c", AllowedOAuthScopes=["groups"], **oauth
        )
    assert error_code(exc) == "ScopeDoesNotExistException"
    cognito.create_resource_server(
        UserPoolId=pool.user_pool_id,
        Identifier="https://api.example.com",
        Name="api",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}],
    )
    client = cognito.create_user_pool_client(
        UserPoolId=pool.user_pool_id,
        ClientName="c",
        AllowedOAuthScopes=["openid", "email", "profile", "https://api.example.com/read"],
        **oauth,
    )["UserPoolClient"]
    assert "https://api.example.com/read" in client["AllowedOAuthScopes"]


def test_plain_moto_accepts_unknown_scopes(plain_moto):
    with plain_moto() as moto:
        moto.client.create_user_pool_client(
            UserPoolId=moto.pool_id, ClientName="c", AllowedOAuthScopes=["groups"]
        )


@pytest.mark.parametrize(
    ("config", "code"),
    [
        (  # code flow without a callback URL
            {
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid"],
                "AllowedOAuthFlowsUserPoolClient": True,
            },
            "InvalidOAuthFlowException",
        ),
        (  # flows without switching OAuth on
            {
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid"],
                "CallbackURLs": ["https://app.example.com/cb"],
            },
            "InvalidParameterException",
        ),
        (  # OAuth on without flows
            {
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthScopes": ["openid"],
                "CallbackURLs": ["https://app.example.com/cb"],
            },
            "InvalidOAuthFlowException",
        ),
        (  # client_credentials with another flow
            {
                "AllowedOAuthFlows": ["code", "client_credentials"],
                "AllowedOAuthScopes": ["openid"],
                "AllowedOAuthFlowsUserPoolClient": True,
                "CallbackURLs": ["https://app.example.com/cb"],
            },
            "InvalidOAuthFlowException",
        ),
        (  # not an OAuth flow at all
            {
                "AllowedOAuthFlows": ["token"],
                "AllowedOAuthScopes": ["openid"],
                "AllowedOAuthFlowsUserPoolClient": True,
            },
            "InvalidParameterException",
        ),
    ],
)
def test_oauth_flow_rules(cognito, pool, config, code):
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(
            UserPoolId=pool.user_pool_id, ClientName="c", GenerateSecret=True, **config
        )
    assert error_code(exc) == code


def test_plain_moto_accepts_code_flow_without_callback(plain_moto):
    with plain_moto() as moto:
        moto.client.create_user_pool_client(
            UserPoolId=moto.pool_id,
            ClientName="c",
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid"],
            AllowedOAuthFlowsUserPoolClient=True,
        )


def test_read_write_attributes_must_exist_and_writes_be_mutable(cognito, pool):
    args = {"UserPoolId": pool.user_pool_id, "ClientName": "c"}
    for attributes in (
        {"ReadAttributes": ["custom:groups"]},
        {"WriteAttributes": ["custom:groups"]},
    ):
        with pytest.raises(ClientError) as exc:
            cognito.create_user_pool_client(**args, **attributes)
        assert error_code(exc) == "InvalidParameterException"
    cognito.add_custom_attributes(
        UserPoolId=pool.user_pool_id,
        CustomAttributes=[
            {"Name": "groups", "AttributeDataType": "String", "Mutable": True},
            {"Name": "tenant", "AttributeDataType": "String", "Mutable": False},
        ],
    )
    client = cognito.create_user_pool_client(
        **args,
        ReadAttributes=["email", "custom:groups", "custom:tenant"],
        WriteAttributes=["email", "custom:groups"],
    )["UserPoolClient"]
    assert client["WriteAttributes"] == ["email", "custom:groups"]
    with pytest.raises(ClientError) as exc:
        cognito.update_user_pool_client(
            UserPoolId=pool.user_pool_id,
            ClientId=client["ClientId"],
            WriteAttributes=["custom:tenant"],
        )
    assert error_code(exc) == "InvalidParameterException"


def test_plain_moto_accepts_attributes_the_pool_lacks(plain_moto):
    with plain_moto() as moto:
        moto.client.create_user_pool_client(
            UserPoolId=moto.pool_id, ClientName="c", WriteAttributes=["custom:groups"]
        )


def test_app_client_quota(emu, cognito, pool):
    emu.set_pool_quotas(pool.user_pool_id, max_clients=2)
    for n in range(2):
        cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName=f"c{n}")
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName="one-too-many")
    assert error_code(exc) == "LimitExceededException"
    listed = cognito.list_user_pool_clients(UserPoolId=pool.user_pool_id, MaxResults=60)
    assert len(listed["UserPoolClients"]) == 2


def test_unknown_pool_or_client_is_not_found(cognito, pool):
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(UserPoolId="us-east-1_nothere", ClientName="c")
    assert error_code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        cognito.update_user_pool_client(UserPoolId=pool.user_pool_id, ClientId="nothere")
    assert error_code(exc) == "ResourceNotFoundException"


def _pool_requiring_name(cognito) -> str:
    return cognito.create_user_pool(
        PoolName="requires-name",
        Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}],
    )["UserPool"]["Id"]


def test_a_required_attribute_must_be_writable(emu, cognito):
    pool_id = _pool_requiring_name(cognito)
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="c", WriteAttributes=["email"]
        )
    assert error_code(exc) == "InvalidParameterException"
    assert "name" in exc.value.response["Error"]["Message"]
    made = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="c", WriteAttributes=["email", "name"]
    )["UserPoolClient"]
    with pytest.raises(ClientError) as exc:
        cognito.update_user_pool_client(
            UserPoolId=pool_id, ClientId=made["ClientId"], WriteAttributes=["email"]
        )
    assert error_code(exc) == "InvalidParameterException"
    # Without a list every attribute is writable, so nothing is missing.
    cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="all")


def test_plain_moto_lets_a_client_leave_out_a_required_attribute(plain_moto):
    with plain_moto() as moto:
        pool_id = _pool_requiring_name(moto.client)
        moto.client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="c", WriteAttributes=["email"]
        )
