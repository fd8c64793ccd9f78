"""Identity providers and custom attributes, with AWS's checks and quotas."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from .call import Call, wire
from .errors import CognitoError, invalid, limit_exceeded, not_found
from .rules import (
    check_attribute_mapping,
    check_provider_details,
    check_provider_name,
    custom_attribute_names,
)
from .saml import HANDLERS as SAML_HANDLERS
from .saml import describe_only_keys
from .shapes import service_model
from .state import MAX_CUSTOM_ATTRIBUTES

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpIdentityProvider, CognitoIdpUserPool


@cache
def _provider_members() -> frozenset[str]:
    return frozenset(service_model().shape_for("IdentityProviderType").members)


def provider_json(pool: CognitoIdpUserPool, provider: CognitoIdpIdentityProvider) -> dict[str, Any]:
    """IdentityProviderType with UserPoolId, without moto's stray keys."""
    data = wire(provider.to_json(extended=True))
    out = {k: v for k, v in data.items() if k in _provider_members() and v is not None}
    out["UserPoolId"] = pool.id
    return out


def check_identifiers_free(pool: CognitoIdpUserPool, name: str, identifiers: list[str]) -> None:
    """IdpIdentifiers are unique in a pool: "Identifiers must be unique across the user pool"
    (developer guide, cognito-user-pools-managing-saml-idp-naming.html).

    Which error AWS sends is not documented; the model lists DuplicateProviderException for
    CreateIdentityProvider only (botocore cognito-idp/2016-04-18/service-2.json). The emulator
    sends it for UpdateIdentityProvider too: the portal must treat either as "taken", and a
    real account settles it (portal selftest aws).
    """
    for other_name, other in pool.identity_providers.items():
        if other_name == name:
            continue
        held = other.extended_config.get("IdpIdentifiers") or []
        clash = sorted(set(identifiers) & set(held))
        if clash:
            raise CognitoError(
                "DuplicateProviderException",
                f"Identifier(s) {clash} already associated with another identity provider "
                f"in user pool {pool.id}.",
            )


def create_identity_provider(call: Call) -> dict[str, Any]:
    """CreateIdentityProvider: name rules, required details, known attributes, no duplicates."""
    pool = call.pool()
    name = call.require("ProviderName")
    check_provider_name(name)
    provider_type = call.require("ProviderType")
    details = call.params.get("ProviderDetails") or {}
    check_provider_details(provider_type, name, details)
    check_attribute_mapping(pool, call.params.get("AttributeMapping") or {})
    if name in pool.identity_providers:
        raise CognitoError(
            "DuplicateProviderException",
            f"A provider with the name {name} already exists in this user pool.",
        )
    check_identifiers_free(pool, name, call.params.get("IdpIdentifiers") or [])
    quota = call.state.pool_quotas(pool.id).max_identity_providers
    if len(pool.identity_providers) >= quota:
        raise limit_exceeded(
            f"User pool {pool.id} has reached its quota of {quota} identity providers."
        )
    derived = describe_only_keys(call, pool.id, details) if provider_type == "SAML" else {}
    call.forward()
    _add_derived(pool.identity_providers[name], derived)
    return {"IdentityProvider": provider_json(pool, pool.identity_providers[name])}


def _add_derived(provider: CognitoIdpIdentityProvider, derived: dict[str, str]) -> None:
    """Keep the describe-only keys beside the details sent, as DescribeIdentityProvider shows."""
    if derived:
        details = dict(provider.extended_config.get("ProviderDetails") or {})
        provider.extended_config["ProviderDetails"] = {**details, **derived}


def _provider(call: Call) -> tuple[CognitoIdpUserPool, CognitoIdpIdentityProvider]:
    pool = call.pool()
    name = call.require("ProviderName")
    provider = pool.identity_providers.get(name)
    if provider is None:
        raise not_found(f"Identity provider {name} does not exist in user pool {pool.id}.")
    return pool, provider


def update_identity_provider(call: Call) -> dict[str, Any]:
    """UpdateIdentityProvider: the same checks on the details after the change.

    Keys of ProviderDetails the request omits keep their values (the client secret above all):
    the API reference does not ask for the full set on update, and a console edit sends only
    what changed. The portal itself always sends the full set.
    """
    pool, provider = _provider(call)
    params = dict(call.params)
    details = params.get("ProviderDetails")
    derived: dict[str, str] = {}
    if details is not None:
        provider_type = provider.extended_config.get("ProviderType", "")
        if provider_type != "SAML":
            # A SAML update names its metadata source (MetadataURL or MetadataFile) anew: merging
            # would keep the other one and fail the exactly-one rule.
            details = {**(provider.extended_config.get("ProviderDetails") or {}), **details}
        check_provider_details(provider_type, provider.name, details)
        if provider_type == "SAML":
            derived = describe_only_keys(call, pool.id, details)
        params["ProviderDetails"] = details
    if params.get("AttributeMapping") is not None:
        check_attribute_mapping(pool, params["AttributeMapping"])
    if params.get("IdpIdentifiers") is not None:
        check_identifiers_free(pool, provider.name, params["IdpIdentifiers"])
    call.forward(params)
    _add_derived(provider, derived)
    provider.last_modified_date = datetime.now(UTC)
    return {"IdentityProvider": provider_json(pool, provider)}


def describe_identity_provider(call: Call) -> dict[str, Any]:
    """DescribeIdentityProvider with UserPoolId."""
    pool, provider = _provider(call)
    return {"IdentityProvider": provider_json(pool, provider)}


def add_custom_attributes(call: Call) -> dict[str, Any]:
    """AddCustomAttributes: no duplicates (even within the request), at most 50 a pool."""
    pool = call.pool()
    attributes = call.require("CustomAttributes")
    names = [a.get("Name", "") for a in attributes]
    for name in names:
        if names.count(name) > 1:
            raise invalid(f"custom:{name}: Existing attribute already has name custom:{name}.")
    existing = len(custom_attribute_names(pool))
    if existing + len(attributes) > MAX_CUSTOM_ATTRIBUTES:
        raise limit_exceeded(
            f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom "
            f"attributes; {pool.id} has {existing}."
        )
    call.forward()
    return {}


HANDLERS = {
    "CreateIdentityProvider": create_identity_provider,
    "UpdateIdentityProvider": update_identity_provider,
    "DescribeIdentityProvider": describe_identity_provider,
    "AddCustomAttributes": add_custom_attributes,
    **SAML_HANDLERS,
}
