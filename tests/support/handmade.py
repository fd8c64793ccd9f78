"""Tenants made by hand, the way the console and vendors' scripts make them (mistakes included).

Every call goes straight to the emulator through boto3, never through the portal.
"""

from __future__ import annotations

from typing import Any

from tests.support.factories import cognito_client

CONSOLE_SCOPES = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"]
HANDMADE_IDP_SECRET = "handmade-idp-secret-Vb71kq"


def ensure_groups_attribute(pool_id: str) -> None:
    """custom:groups, as step 2 of the console procedure adds it (once per pool)."""
    cognito = cognito_client()
    schema = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]
    if not any(a["Name"] == "custom:groups" for a in schema):
        cognito.add_custom_attributes(
            UserPoolId=pool_id,
            CustomAttributes=[
                {
                    "Name": "groups",
                    "AttributeDataType": "String",
                    "Mutable": True,
                    "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
                }
            ],
        )


def provider(
    pool_id: str,
    name: str,
    issuer: str,
    *,
    groups_claim: str | None = "groups",
    identifiers: list[str] | None = None,
) -> None:
    """An OIDC provider as the console's "Add identity provider" page makes it."""
    ensure_groups_attribute(pool_id)
    mapping = {"email": "email"}
    if groups_claim:
        mapping["custom:groups"] = groups_claim
    params: dict[str, Any] = {
        "UserPoolId": pool_id,
        "ProviderName": name,
        "ProviderType": "OIDC",
        "ProviderDetails": {
            "client_id": f"{name}-idp-client",
            "client_secret": HANDMADE_IDP_SECRET,
            "authorize_scopes": "openid email",
            "oidc_issuer": issuer,
            "attributes_request_method": "GET",
        },
        "AttributeMapping": mapping,
    }
    if identifiers:
        params["IdpIdentifiers"] = identifiers
    cognito_client().create_identity_provider(**params)


def client(
    pool_id: str,
    name: str,
    providers: list[str],
    *,
    scopes: list[str] | None = None,
    groups_readable: bool = True,
    style: bool = True,
    secret: bool = True,
    with_cognito_directory: bool = False,
    callback: str | None = None,
) -> str:
    """An app client as the console's "traditional web application" makes it; its id.

    style=False is a client made by the API or infrastructure as code: only the console adds a
    managed-login style for the client it creates.
    """
    ensure_groups_attribute(pool_id)
    read = ["email", "email_verified", "name"]
    if groups_readable:
        read.append("custom:groups")
    supported = (["COGNITO"] if with_cognito_directory else []) + providers
    host = name.lower().replace(" ", "-")
    made = cognito_client().create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=secret,
        RefreshTokenValidity=5,
        AccessTokenValidity=60,
        IdTokenValidity=60,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        ReadAttributes=read,
        WriteAttributes=["email", "name", "custom:groups"],
        ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        SupportedIdentityProviders=supported,
        CallbackURLs=[callback or f"https://{host}.example.com/api/oidc/cognito/callback/"],
        LogoutURLs=[f"https://{host}.example.com/"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=scopes or ["openid"],
        AllowedOAuthFlowsUserPoolClient=True,
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )["UserPoolClient"]
    if style:
        cognito_client().create_managed_login_branding(
            UserPoolId=pool_id, ClientId=made["ClientId"], UseCognitoProvidedValues=True
        )
    return made["ClientId"]


def console_tenant(pool_id: str, name: str, issuer: str, **client_options: Any) -> str:
    """The five console steps for one tenant named NAME (provider and client); the client id."""
    provider(pool_id, name, issuer, identifiers=client_options.pop("identifiers", None))
    return client(pool_id, name, [name], **client_options)


def seed_pool(emulator, classic: bool = False) -> str:
    """A pool with a domain, not registered with the portal yet: the vendor's existing pool."""
    return emulator.seed(pools=0 if classic else 1, classic_pools=1 if classic else 0)[
        0
    ].user_pool_id


def register(pool_id: str):
    """Register the pool with the portal (it counts what is there as nobody's)."""
    from portal.services.audit.actors import acting_as
    from portal.services.pools.registry import register_pool
    from tests.support.factories import TEST_ACTOR

    with acting_as(TEST_ACTOR):
        return register_pool(pool_id)


def vendor_pool(emulator, issuer: str) -> dict[str, str]:
    """A registered pool holding the usual hand-made tenants; their client ids by name.

    acme: the console, every scope ticked; globex: a script, custom:groups not readable, no
    style; initech-web and initech-mobile: one provider attached to two clients; vendor-admin:
    the pool's own users only; umbrella: two providers; hooli: a public client.
    """
    pool_id = seed_pool(emulator)
    ids = {
        "acme": console_tenant(pool_id, "acme", issuer, scopes=CONSOLE_SCOPES),
        "globex": console_tenant(
            pool_id,
            "globex",
            issuer,
            groups_readable=False,
            style=False,
            identifiers=["globex.com"],
        ),
    }
    provider(pool_id, "initech", issuer)
    ids["initech-web"] = client(pool_id, "initech-web", ["initech"])
    ids["initech-mobile"] = client(pool_id, "initech-mobile", ["initech"], style=False)
    ids["vendor-admin"] = client(pool_id, "vendor-admin", [], with_cognito_directory=True)
    provider(pool_id, "umbrella-eu", issuer)
    provider(pool_id, "umbrella-us", issuer)
    ids["umbrella"] = client(pool_id, "umbrella", ["umbrella-eu", "umbrella-us"])
    ids["hooli"] = console_tenant(pool_id, "hooli", issuer, secret=False)
    register(pool_id)
    ids["pool"] = pool_id
    return ids


EMAIL_URI = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
GROUPS_URI = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"


def saml_provider(pool_id: str, name: str, metadata: str, **flags: str) -> None:
    """A SAML provider as the console makes it from an uploaded metadata file."""
    ensure_groups_attribute(pool_id)
    cognito_client().create_identity_provider(
        UserPoolId=pool_id,
        ProviderName=name,
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": metadata, **flags},
        AttributeMapping={"email": EMAIL_URI, "custom:groups": GROUPS_URI},
    )
