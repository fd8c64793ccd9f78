"""A tenant's desired Cognito configuration, from its record; secrets decrypted in memory only."""

from __future__ import annotations

import logging

from portal.cognito.adopted import AdoptedConfig
from portal.cognito.desired import GROUPS_ATTRIBUTE, ROLES_ATTRIBUTE, DesiredTenant
from portal.config import current_settings
from portal.crypto import decrypt
from portal.models import (
    Tenant,
)
from portal.validation import ValidationError, check_redirect_url

log = logging.getLogger(__name__)

TEST_CALLBACK_PATH = "/test-sign-in/callback"


def adopted_config(tenant: Tenant, standard: bool = False) -> AdoptedConfig | None:
    """An adopted tenant's configuration as found, or brought to the standard if STANDARD."""
    adopted = AdoptedConfig.from_json(tenant.adopted_config)
    if adopted is None or not standard or adopted.standard:
        return adopted
    groups = (GROUPS_ATTRIBUTE,) if tenant.groups_claim else ()
    wanted = (*groups, ROLES_ATTRIBUTE) if tenant.roles_claim else groups
    email = tenant.email_attribute if tenant.is_saml else None
    return adopted.standardized(tenant.provider_name, wanted, tenant.groups_claim, email)


def desired_state(
    tenant: Tenant,
    idp_secret: str | None = None,
    new_client_secret: str | None = None,
    *,
    standard: bool = False,
) -> DesiredTenant:
    """The tenant's desired Cognito configuration, with its secrets decrypted in memory only.

    STANDARD: for an adopted tenant, the portal's standard instead of the configuration found.
    """
    pool = tenant.pool
    assert pool is not None, "placed before a run starts"
    secret = idp_secret or (
        decrypt(tenant.idp_client_secret_encrypted) if tenant.idp_client_secret_encrypted else None
    )
    adopted = adopted_config(tenant, standard)
    callbacks = list(tenant.callback_urls)
    test_callback = test_callback_url()
    own_standard = adopted is None or adopted.standard  # a hand-made client keeps its callbacks
    if own_standard and test_callback and test_callback not in callbacks:
        callbacks.append(test_callback)
    return DesiredTenant(
        user_pool_id=pool.user_pool_id,
        region=pool.region,
        needs_style=pool.needs_styles and (adopted is None or adopted.style),
        client_name=tenant.client_name,
        provider_name=tenant.provider_name,
        callback_urls=tuple(callbacks),
        logout_urls=tuple(tenant.logout_urls),
        issuer=tenant.issuer,
        idp_client_id=tenant.idp_client_id,
        idp_client_secret=secret,
        authorize_scopes=tenant.authorize_scopes,
        groups_claim=tenant.groups_claim,
        roles_claim=tenant.roles_claim,
        email_verified_claim=tenant.email_verified_claim,
        attributes_request_method=tenant.attributes_request_method,
        idp_identifiers=tuple(tenant.idp_identifiers or ()),
        new_client_secret=new_client_secret,
        provider_type=tenant.provider_type,
        email_attribute=tenant.email_attribute,
        saml_metadata_url=cognito_metadata_url(tenant),
        saml_metadata_file=tenant.saml_metadata_xml,
        saml_sign_requests=tenant.saml_sign_requests,
        saml_encrypted_responses=tenant.saml_encrypted_responses,
        saml_idp_signout=tenant.saml_idp_signout,
        saml_idp_initiated=tenant.saml_idp_initiated,
        retired_provider_name=tenant.retired_provider_name,
        adopted=adopted,
    )


def cognito_metadata_url(tenant: Tenant) -> str | None:
    """The metadata URL to hand Cognito, or None to send the document itself (MetadataFile).

    An https URL goes to Cognito as MetadataURL: Cognito then refreshes the metadata itself,
    "typically every 6 hours or before the metadata expires" (developer guide, "Adding and
    managing SAML identity providers"), so a certificate rollover at the IdP is picked up without
    the portal. Anything else (an http URL on loopback, allowed in development only) Cognito
    could not fetch: the portal sends the document it fetched, and its daily metadata check
    sends a changed document again.
    """
    url = tenant.saml_metadata_url
    return url if url and url.startswith("https://") else None


def test_callback_url() -> str | None:
    """The portal's own test-sign-in callback, if Cognito would accept it as a callback URL."""
    url = current_settings().public_url + TEST_CALLBACK_PATH
    try:
        return check_redirect_url(url)
    except ValidationError:
        log.warning(
            "PORTAL_PUBLIC_URL %s is not a valid Cognito callback; test sign-in disabled", url
        )
        return None
