"""Managed-login branding styles, which moto 5.2 does not implement at all."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

from .call import Call
from .errors import CognitoError, invalid, limit_exceeded, not_found
from .state import MANAGED_LOGIN_TIERS, MAX_STYLES_PER_POOL, Branding

# A representative (not exhaustive) picture of Cognito's default style, returned when a
# caller asks for ReturnMergedResources.
DEFAULT_SETTINGS: dict[str, Any] = {
    "categories": {
        "global": {
            "colorSchemeMode": "LIGHT",
            "pageHeader": {"enabled": False},
            "pageFooter": {"enabled": False},
        },
        "form": {
            "displayGraphics": True,
            "location": {"horizontal": "CENTER", "vertical": "CENTER"},
        },
        "auth": {"authMethodOrder": [[{"display": "BUTTON", "type": "FEDERATED"}]]},
    },
    "componentClasses": {"buttons": {"borderRadius": 8}, "input": {"borderRadius": 8}},
    "components": {"primaryButton": {"lightMode": {"defaults": {"backgroundColor": "0972d3ff"}}}},
}


def _json(style: Branding, merged: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ManagedLoginBrandingId": style.branding_id,
        "UserPoolId": style.user_pool_id,
        "UseCognitoProvidedValues": style.use_cognito_provided_values,
        "Assets": copy.deepcopy(style.assets),
        "CreationDate": style.created,
        "LastModifiedDate": style.modified,
    }
    settings = copy.deepcopy(style.settings) if style.settings else None
    if merged:
        settings = _merge(copy.deepcopy(DEFAULT_SETTINGS), settings or {})
    if settings is not None:
        out["Settings"] = settings
    return out


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _merge_assets(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def slot(asset: dict[str, Any]) -> tuple[Any, Any]:
        return asset.get("Category"), asset.get("ColorMode")

    replaced = {slot(a) for a in new}
    return [a for a in old if slot(a) not in replaced] + list(new)


def _check_content(params: dict[str, Any]) -> None:
    defaults = params.get("UseCognitoProvidedValues") is True
    if defaults and (params.get("Settings") is not None or params.get("Assets")):
        raise invalid("When UseCognitoProvidedValues is true, Settings and Assets must be omitted.")
    for asset in params.get("Assets") or []:
        if not asset.get("Bytes") and not asset.get("ResourceId"):
            raise invalid("Each asset needs Bytes or a ResourceId.")


def _check_tier(call: Call, pool_id: str) -> None:
    tier = call.state.tier(pool_id)
    if tier not in MANAGED_LOGIN_TIERS:
        raise CognitoError(
            "FeatureUnavailableInTierException",
            f"Managed login branding requires the Essentials or Plus feature plan; user pool "
            f"{pool_id} is on {tier}.",
        )


def _style(call: Call) -> Branding:
    pool = call.pool()
    branding_id = call.require("ManagedLoginBrandingId")
    style = call.state.styles(pool.id).get(branding_id)
    if style is None:
        raise not_found(
            f"Managed login branding {branding_id} does not exist in user pool {pool.id}."
        )
    return style


def create_managed_login_branding(call: Call) -> dict[str, Any]:
    """One style per app client, at most 20 per pool, Essentials or Plus only."""
    pool = call.pool()
    client = call.client(pool)
    _check_tier(call, pool.id)
    _check_content(call.params)
    defaults = call.params.get("UseCognitoProvidedValues") is True
    if not defaults and call.params.get("Settings") is None:
        raise invalid("Either UseCognitoProvidedValues must be true or Settings must be provided.")
    if call.state.style_for_client(pool.id, client.id) is not None:
        raise CognitoError(
            "ManagedLoginBrandingExistsException",
            f"App client {client.id} already has a managed login branding style.",
        )
    styles = call.state.styles(pool.id)
    if len(styles) >= MAX_STYLES_PER_POOL:
        raise limit_exceeded(
            f"User pool {pool.id} already has the maximum of "
            f"{MAX_STYLES_PER_POOL} managed login branding styles."
        )
    style = Branding(
        branding_id=str(uuid.uuid4()),
        user_pool_id=pool.id,
        client_id=client.id,
        use_cognito_provided_values=defaults,
        settings=None if defaults else copy.deepcopy(call.params.get("Settings")),
        assets=[] if defaults else copy.deepcopy(call.params.get("Assets") or []),
    )
    styles[style.branding_id] = style
    return {"ManagedLoginBranding": _json(style)}


def describe_managed_login_branding(call: Call) -> dict[str, Any]:
    """A style by id; ReturnMergedResources adds Cognito's defaults."""
    style = _style(call)
    return {"ManagedLoginBranding": _json(style, bool(call.params.get("ReturnMergedResources")))}


def describe_managed_login_branding_by_client(call: Call) -> dict[str, Any]:
    """The style bound to an app client."""
    pool = call.pool()
    client_id = call.require("ClientId")
    if call.state.tier(pool.id) not in MANAGED_LOGIN_TIERS:
        # The model lists OperationNotEnabledException for this call; a Lite pool, which can
        # hold no style, is where the emulator raises it (FeatureUnavailableInTier is not listed).
        raise CognitoError(
            "OperationNotEnabledException",
            f"Managed login branding is not enabled for user pool {pool.id}.",
        )
    style = call.state.style_for_client(pool.id, client_id)
    if style is None:
        raise not_found(
            f"App client {client_id} has no managed login branding style in user pool {pool.id}."
        )
    return {"ManagedLoginBranding": _json(style, bool(call.params.get("ReturnMergedResources")))}


def update_managed_login_branding(call: Call) -> dict[str, Any]:
    """Reset to defaults, or merge the Settings and Assets sent into the style."""
    style = _style(call)
    _check_tier(call, style.user_pool_id)
    _check_content(call.params)
    if call.params.get("UseCognitoProvidedValues") is True:
        style.use_cognito_provided_values, style.settings, style.assets = True, None, []
    elif call.params.get("Settings") is not None or call.params.get("Assets"):
        style.use_cognito_provided_values = False
        if call.params.get("Settings") is not None:
            style.settings = _merge(style.settings or {}, copy.deepcopy(call.params["Settings"]))
        style.assets = _merge_assets(style.assets, copy.deepcopy(call.params.get("Assets") or []))
    style.modified = time.time()
    return {"ManagedLoginBranding": _json(style)}


def delete_managed_login_branding(call: Call) -> dict[str, Any]:
    """Delete a style; its client is left without login pages."""
    style = _style(call)
    del call.state.styles(style.user_pool_id)[style.branding_id]
    return {}


HANDLERS = {
    "CreateManagedLoginBranding": create_managed_login_branding,
    "DescribeManagedLoginBranding": describe_managed_login_branding,
    "DescribeManagedLoginBrandingByClient": describe_managed_login_branding_by_client,
    "UpdateManagedLoginBranding": update_managed_login_branding,
    "DeleteManagedLoginBranding": delete_managed_login_branding,
}
