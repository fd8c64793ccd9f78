"""The desired Cognito configuration of one tenant, derived from its record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal.cognito.adopted import AdoptedConfig

GROUPS_ATTRIBUTE = "custom:groups"
ROLES_ATTRIBUTE = "custom:roles"
CUSTOM_ATTRIBUTE_MAX_LENGTH = "2048"
OAUTH_SCOPES = ("openid",)
OAUTH_FLOWS = ("code",)
TOKEN_VALIDITY = {"RefreshTokenValidity": 30, "AccessTokenValidity": 60, "IdTokenValidity": 60}
TOKEN_UNITS = {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}
# SAML ProviderDetails flags, sent as "true"/"false" on every create and update; Cognito resets
# an option that an update leaves out (aws/aws-cdk#29494: each deployment that did not send them
# turned them off). The botocore model's CreateIdentityProvider documentation lists the keys.
SAML_FLAGS = ("IDPSignout", "EncryptedResponses", "IDPInit")
SAML_SIGNING_ALGORITHM = "rsa-sha256"
# Keys DescribeIdentityProvider returns that a caller never sends (same documentation).
SAML_DESCRIBE_ONLY = frozenset(
    {"ActiveEncryptionCertificate", "SSORedirectBindingURI", "SLORedirectBindingURI"}
)


@dataclass(frozen=True)
class DesiredTenant:
    """Everything Cognito should hold for one tenant. Secrets live only in a worker's memory."""

    user_pool_id: str
    region: str
    needs_style: bool
    client_name: str
    provider_name: str
    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]
    issuer: str | None = None
    idp_client_id: str | None = None
    idp_client_secret: str | None = field(default=None, repr=False)
    authorize_scopes: str = "openid email"
    groups_claim: str = "groups"  # empty: the IdP sends no groups (Google), nothing is mapped
    roles_claim: str | None = None
    # The IdP claim mapped to email_verified; Cognito sets it false for federated users otherwise
    # (developer guide, "Mapping IdP attributes to profiles and tokens").
    email_verified_claim: str | None = None
    attributes_request_method: str = "GET"
    idp_identifiers: tuple[str, ...] = ()
    new_client_secret: str | None = field(default=None, repr=False)  # during a rotation
    provider_type: str = "OIDC"
    email_attribute: str = "email"
    saml_metadata_url: str | None = None  # sent as MetadataURL: Cognito refreshes it itself
    saml_metadata_file: str | None = field(default=None, repr=False)  # sent as MetadataFile
    saml_sign_requests: bool = False
    saml_encrypted_responses: bool = False
    saml_idp_signout: bool = False
    saml_idp_initiated: bool = False
    retired_provider_name: str | None = None  # replaced by a switch between OIDC and SAML

    @property
    def is_saml(self) -> bool:
        return self.provider_type == "SAML"

    # A tenant adopted as it was made by hand: its configuration as found replaces the standard.
    adopted: AdoptedConfig | None = None

    @property
    def custom_attributes(self) -> tuple[str, ...]:
        """The custom attributes the pool must have for this tenant."""
        if self.adopted is not None:  # those it maps or its client reads or writes
            named = {
                *self.attribute_mapping(),
                *self.adopted.client.get("ReadAttributes", ()),
                *self.adopted.client.get("WriteAttributes", ()),
            }
            return tuple(a for a in (GROUPS_ATTRIBUTE, ROLES_ATTRIBUTE) if a in named)
        wanted = (GROUPS_ATTRIBUTE,) if self.groups_claim else ()
        return (*wanted, ROLES_ATTRIBUTE) if self.roles_claim else wanted

    @property
    def verified_attribute(self) -> tuple[str, ...]:
        """email_verified when it is mapped: a mapped attribute must be writable by the client."""
        return ("email_verified",) if self.email_verified_claim else ()

    def base_client_config(self) -> dict[str, Any]:
        """The app client as created before its provider exists: confidential, no provider."""
        if self.adopted is not None:
            from portal.cognito.adopted import CREATE_ONLY_CLIENT_FIELDS

            # Created under the tenant's own unique name, so a crash before the id is recorded
            # finds it by name; step 4 then gives it the name it was adopted with.
            # Step 4 sets the full attribute lists.
            config = {
                k: v for k, v in self.adopted.client.items() if k not in CREATE_ONLY_CLIENT_FIELDS
            } | {"ClientName": self.client_name}
            for key in ("ReadAttributes", "WriteAttributes"):
                if key in config:
                    config[key] = [a for a in config[key] if not a.startswith("custom:")]
            return config
        return {
            "ClientName": self.client_name,
            **TOKEN_VALIDITY,
            "TokenValidityUnits": dict(TOKEN_UNITS),
            "ReadAttributes": ["email", "email_verified"],
            "WriteAttributes": ["email"],
            "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "AuthSessionValidity": 3,
        }

    def client_config(self) -> dict[str, Any]:
        """The full app client configuration; every UpdateUserPoolClient sends all of it."""
        if self.adopted is not None:
            return {
                **self.adopted.client,
                "CallbackURLs": list(self.callback_urls),
                "LogoutURLs": list(self.logout_urls),
            }
        config = self.base_client_config()
        config.update(
            {
                "ReadAttributes": ["email", "email_verified", *self.custom_attributes],
                "WriteAttributes": ["email", *self.verified_attribute, *self.custom_attributes],
                "SupportedIdentityProviders": [self.provider_name],
                "CallbackURLs": list(self.callback_urls),
                "LogoutURLs": list(self.logout_urls),
                "AllowedOAuthFlows": list(OAUTH_FLOWS),
                "AllowedOAuthScopes": list(OAUTH_SCOPES),
                "AllowedOAuthFlowsUserPoolClient": True,
            }
        )
        return config

    def attribute_mapping(self) -> dict[str, str]:
        if self.adopted is not None:
            return self.adopted.mapping(self.groups_claim, self.roles_claim)
        if self.is_saml:  # the user name comes from the assertion's NameID, never mapped
            mapping = {"email": self.email_attribute}
        else:
            mapping = {"email": "email", "username": "sub"}
        if self.groups_claim:  # the pool may hold custom:groups for others; this IdP sends none
            mapping[GROUPS_ATTRIBUTE] = self.groups_claim
        if self.roles_claim:
            mapping[ROLES_ATTRIBUTE] = self.roles_claim
        if self.email_verified_claim:
            mapping["email_verified"] = self.email_verified_claim
        return mapping

    def provider_details(self) -> dict[str, str]:
        """OIDC ProviderDetails without the secret (added only at the moment of the call)."""
        if self.is_saml:
            return self.saml_details()
        extra = {}
        if self.adopted is not None and self.adopted.issuer == self.issuer:
            extra = dict(self.adopted.extra_details)  # explicit endpoints, for this issuer only
        return extra | {
            "client_id": self.idp_client_id or "",
            "authorize_scopes": self.authorize_scopes,
            "oidc_issuer": self.issuer or "",
            "attributes_request_method": self.attributes_request_method,
        }

    def saml_details(self) -> dict[str, str]:
        """SAML ProviderDetails: exactly one metadata source, every flag stated."""
        if self.saml_metadata_url:
            details = {"MetadataURL": self.saml_metadata_url}
        else:
            details = {"MetadataFile": self.saml_metadata_file or ""}
        flags = (self.saml_idp_signout, self.saml_encrypted_responses, self.saml_idp_initiated)
        for key, value in zip(SAML_FLAGS, flags, strict=True):
            details[key] = "true" if value else "false"
        if self.saml_sign_requests:
            details["RequestSigningAlgorithm"] = SAML_SIGNING_ALGORITHM
        return details


def custom_attribute_schema(name: str) -> dict[str, Any]:
    """The AddCustomAttributes entry for custom:NAME: a mutable string of up to 2048 bytes."""
    return {
        "Name": name.removeprefix("custom:"),
        "AttributeDataType": "String",
        "Mutable": True,
        "StringAttributeConstraints": {"MinLength": "0", "MaxLength": CUSTOM_ATTRIBUTE_MAX_LENGTH},
    }
