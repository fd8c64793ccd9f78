"""A tenant's desired Cognito configuration, from its record; secrets decrypted in memory only."""

from __future__ import annotations

import logging

from portal.cognito.desired import DesiredTenant
from portal.config import current_settings
from portal.crypto import decrypt
from portal.models import (
    Tenant,
)
from portal.validation import ValidationError, check_redirect_url

log = logging.getLogger(__name__)

TEST_CALLBACK_PATH = "/test-sign-in/callback"


def desired_state(
    tenant: Tenant, idp_secret: str | None = None, new_client_secret: str | None = None
) -> DesiredTenant:
    """The tenant's desired Cognito configuration, with its secrets decrypted in memory only."""
    pool = tenant.pool
    assert pool is not None, "placed before a run starts"
    secret = idp_secret or (
        decrypt(tenant.idp_client_secret_encrypted) if tenant.idp_client_secret_encrypted else None
    )
    callbacks = list(tenant.callback_urls)
    test_callback = test_callback_url()
    if test_callback and test_callback not in callbacks:
        callbacks.append(test_callback)
    return DesiredTenant(
        user_pool_id=pool.user_pool_id,
        region=pool.region,
        needs_style=pool.needs_styles,
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
    )


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
