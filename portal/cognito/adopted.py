"""Tenants made by hand before the portal: their live configuration, and the portal's standard.

An adopted tenant's desired state is what Cognito held when it was adopted (so planning it shows
no change); `standardized()` is the same configuration brought to the portal's standard for a
tenant, keeping every setting the standard does not speak about (token lifetimes, auth flows,
other mapped attributes, the client's name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.cognito.desired import GROUPS_ATTRIBUTE, OAUTH_FLOWS, OAUTH_SCOPES, ROLES_ATTRIBUTE

# The fields UpdateUserPoolClient takes, from botocore's model
# (botocore/data/cognito-idp/2016-04-18/service-2.json, UpdateUserPoolClientRequest), without
# the two that name the client. Adoption records the live value of each one the client has, so a
# later update (which resets every field it is not sent) keeps them.
CLIENT_FIELDS = (
    "ClientName",
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
    "PublishSecretsInAWSSecretsManager",
)
# Kept on the tenant itself (they are its settings), not in the adopted client configuration.
URL_FIELDS = ("CallbackURLs", "LogoutURLs")
# OIDC ProviderDetails the tenant's own columns hold; any other key is kept as found. AWS's
# IdentityProviderType.ProviderDetails reference: authorize_url, token_url, attributes_url and
# jwks_uri "are only present if Amazon Cognito didn't discover them at the oidc_issuer URL" (so
# they were set explicitly and must be sent again), and attributes_url_add_attributes is set by
# Cognito and read-only (never sent back). The client secret is never read into our records.
MANAGED_DETAILS = ("client_id", "authorize_scopes", "oidc_issuer", "attributes_request_method")
SECRET_DETAILS = ("client_secret",)
READ_ONLY_DETAILS = ("attributes_url_add_attributes",)
# Set when a client is created; never sent again (CreateUserPoolClient only).
CREATE_ONLY_CLIENT_FIELDS = (
    "SupportedIdentityProviders",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
)
COGNITO_DIRECTORY = "COGNITO"  # the pool's own users, not an external provider


@dataclass(frozen=True)
class AdoptedConfig:
    """What Cognito held for a hand-made tenant, as its desired state."""

    client: dict[str, Any]
    attribute_mapping: dict[str, str]
    extra_details: dict[str, str] = field(default_factory=dict)
    issuer: str | None = None  # the extra details hold only while the issuer stays this one
    style: bool = False
    standard: bool = False  # brought to the portal's standard (`apply --standard`)

    @classmethod
    def from_live(
        cls, client: dict[str, Any], provider: dict[str, Any], has_style: bool
    ) -> AdoptedConfig:
        details = provider.get("ProviderDetails") or {}
        oidc = provider.get("ProviderType", "OIDC") == "OIDC"  # SAML details are all the tenant's
        return cls(
            client={k: client[k] for k in CLIENT_FIELDS if k in client},
            attribute_mapping=dict(provider.get("AttributeMapping") or {}),
            extra_details={
                k: v
                for k, v in details.items()
                if oidc and k not in (*MANAGED_DETAILS, *SECRET_DETAILS, *READ_ONLY_DETAILS)
            },
            issuer=details.get("oidc_issuer"),
            style=has_style,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> AdoptedConfig | None:
        if not data:
            return None
        return cls(
            client=dict(data.get("client") or {}),
            attribute_mapping=dict(data.get("attribute_mapping") or {}),
            extra_details=dict(data.get("extra_details") or {}),
            issuer=data.get("issuer"),
            style=bool(data.get("style")),
            standard=bool(data.get("standard")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "attribute_mapping": self.attribute_mapping,
            "extra_details": self.extra_details,
            "issuer": self.issuer,
            "style": self.style,
            "standard": self.standard,
        }

    def mapping(self, groups_claim: str, roles_claim: str | None) -> dict[str, str]:
        """The live mapping, with the tenant's own claim names where the mapping has them."""
        mapping = dict(self.attribute_mapping)
        if not groups_claim:
            mapping.pop(GROUPS_ATTRIBUTE, None)
        elif GROUPS_ATTRIBUTE in mapping:
            mapping[GROUPS_ATTRIBUTE] = groups_claim
        if roles_claim:
            mapping[ROLES_ATTRIBUTE] = roles_claim
        else:
            mapping.pop(ROLES_ATTRIBUTE, None)
        return mapping

    def standardized(
        self,
        provider_name: str,
        custom_attributes: tuple[str, ...],
        groups_claim: str,
        email_attribute: str | None = None,
    ) -> AdoptedConfig:
        """The same configuration brought to the portal's standard for a tenant."""
        client = dict(self.client)
        client["AllowedOAuthFlows"] = list(OAUTH_FLOWS)
        client["AllowedOAuthScopes"] = list(OAUTH_SCOPES)
        client["AllowedOAuthFlowsUserPoolClient"] = True
        client["SupportedIdentityProviders"] = [provider_name]
        # An absent list means "every attribute" to Cognito: only a list given can lack one.
        for key, needed in (
            ("ReadAttributes", ("email", "email_verified", *custom_attributes)),
            ("WriteAttributes", ("email", *custom_attributes)),
        ):
            if client.get(key):
                client[key] = list(dict.fromkeys([*client[key], *needed]))
        mapping = dict(self.attribute_mapping)
        if email_attribute:  # SAML: the e-mail attribute the IdP sends, often a URI
            mapping.setdefault("email", email_attribute)
        else:
            mapping["email"] = "email"
        if groups_claim:  # none: the IdP sends no groups (Google Workspace)
            mapping.setdefault(GROUPS_ATTRIBUTE, groups_claim)
        return AdoptedConfig(
            client, mapping, dict(self.extra_details), self.issuer, style=True, standard=True
        )


def external_providers(client: dict[str, Any]) -> list[str]:
    """The external providers a client signs in with (not the pool's own directory)."""
    return [p for p in client.get("SupportedIdentityProviders") or [] if p != COGNITO_DIRECTORY]


def deviations(
    client: dict[str, Any],
    mapping: dict[str, str],
    has_style: bool,
    needs_style: bool,
    provider_type: str = "OIDC",
) -> list[str]:
    """How far a live client and its provider are from the portal's standard, in words."""
    found: list[str] = []
    flows = sorted(client.get("AllowedOAuthFlows") or [])
    if flows != sorted(OAUTH_FLOWS) or not client.get("AllowedOAuthFlowsUserPoolClient"):
        shown = ", ".join(flows) or "none"
        found.append(f"OAuth flows {shown} (standard: code only)")
    scopes = client.get("AllowedOAuthScopes") or []
    if sorted(scopes) != sorted(OAUTH_SCOPES):
        shown = " ".join(scopes) or "none"
        found.append(f"scopes {shown} (standard: openid only)")
    if COGNITO_DIRECTORY in (client.get("SupportedIdentityProviders") or []):
        found.append("the pool's own user directory (COGNITO) is attached beside the provider")
    if provider_type == "SAML":
        if not mapping.get("email"):
            found.append("email is not mapped from an attribute of the SAML assertion")
    elif mapping.get("email") != "email":
        found.append("email is not mapped from the provider's email claim")
    # No custom:groups mapping is a standard choice (an IdP such as Google sends no groups);
    # a mapped custom:groups must be readable and writable by the client.
    groups = (GROUPS_ATTRIBUTE,) if GROUPS_ATTRIBUTE in mapping else ()
    for key, verb, needed in (
        ("ReadAttributes", "readable", ("email", *groups)),
        ("WriteAttributes", "writable", ("email", *groups)),
    ):
        listed = client.get(key)
        if listed:  # an absent list means every attribute
            missing = [a for a in needed if a not in listed]
            if missing:
                found.append(f"{', '.join(missing)} not {verb} by the client")
    if needs_style and not has_style:
        found.append("no managed-login style (the client has no login pages)")
    return found
