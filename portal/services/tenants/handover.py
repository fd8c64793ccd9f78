"""What the vendor's application needs for a tenant, and the audited reveal of the client secret."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from portal.cognito.pools import read_client_secret
from portal.crypto import decrypt
from portal.extensions import db
from portal.models import RotationState, Run, Tenant
from portal.services.audit import trail
from portal.services.engine.gateways import gateway_for
from portal.services.engine.ledger import TenantCallRecorder
from portal.services.tenants.envfile import flagged_urls
from portal.services.tenants.offboarded import refuse_if_offboarded
from portal.validation import ValidationError


def hosted_urls(tenant: Tenant) -> dict[str, str | None]:
    """The pool's endpoints as the tenant's application uses them."""
    pool = tenant.pool
    if pool is None:
        return {
            k: None
            for k in (
                "cognito_domain",
                "issuer",
                "jwks_uri",
                "authorize_url",
                "token_url",
                "userinfo_url",
                "login_url",
                "logout_url",
                "idp_redirect_uri",
            )
        }
    domain = pool.cognito_domain_url
    redirect = tenant.callback_urls[0] if tenant.callback_urls else None
    authorize: dict[str, str] = {"response_type": "code", "scope": "openid"}
    if tenant.client_id:
        authorize["client_id"] = tenant.client_id
    if redirect:
        authorize["redirect_uri"] = redirect
    logout: dict[str, str] = {"client_id": tenant.client_id or ""}
    if tenant.logout_urls:
        logout["logout_uri"] = tenant.logout_urls[0]
    return {
        "cognito_domain": domain,
        "issuer": pool.issuer,
        "jwks_uri": f"{pool.issuer}/.well-known/jwks.json",
        "authorize_url": f"{domain}/oauth2/authorize?"
        + urlencode({**authorize, "identity_provider": tenant.provider_name}),
        "token_url": f"{domain}/oauth2/token",
        "userinfo_url": f"{domain}/oauth2/userInfo",
        "login_url": f"{domain}/login?" + urlencode(authorize),
        "logout_url": f"{domain}/logout?" + urlencode(logout),
        "idp_redirect_uri": f"{domain}/oauth2/idpresponse",
    }


def tenant_summary(tenant: Tenant, run: Run | None) -> dict[str, Any]:
    """Everything shown about a tenant; never a secret."""
    urls = hosted_urls(tenant)
    steps = []
    if run is not None:
        steps = [
            {
                "name": s.name,
                "status": s.status,
                "attempts": s.attempts,
                "outcome": s.outcome,
                "error": s.error_message,
                "error_code": s.error_code,
            }
            for s in run.steps
        ]
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "status": tenant.status,
        "steps": steps,
        "run": None
        if run is None
        else {
            "id": run.id,
            "kind": run.kind,
            "status": run.status,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
        },
        "user_pool_id": tenant.pool.user_pool_id if tenant.pool else None,
        "region": tenant.pool.region if tenant.pool else None,
        "provider_name": tenant.provider_name,
        "client_id": tenant.client_id,
        "callback_urls": list(tenant.callback_urls),
        "logout_urls": list(tenant.logout_urls),
        "flagged_urls": flagged_urls(tenant),
        "issuer_of_idp": tenant.issuer,
        "idp_client_id": tenant.idp_client_id,
        "authorize_scopes": tenant.authorize_scopes,
        "groups_claim": tenant.groups_claim,
        "roles_claim": tenant.roles_claim,
        "domains": [
            {"domain": d.domain, "state": d.state, "in_cognito": d.in_cognito}
            for d in tenant.domains
        ],
        "cognito_domain": urls["cognito_domain"],
        "login_url": urls["login_url"] if tenant.client_id else None,
        "idp_redirect_uri": None if tenant.is_saml else urls["idp_redirect_uri"],
        "provider_type": tenant.provider_type,
        **(saml_summary(tenant) if tenant.is_saml else {}),
        "last_error": tenant.last_error,
        "verified_at": tenant.verified_at,
        "ready_at": tenant.ready_at,
        "adopted": None
        if tenant.adopted_at is None
        else {
            "at": tenant.adopted_at,
            "standard": bool((tenant.adopted_config or {}).get("standard")),
        },
    }


def saml_registration(tenant: Tenant) -> dict[str, Any]:
    """What the customer registers at their SAML IdP for Cognito (the service provider)."""
    return {
        "saml_entity_id": tenant.saml_entity_id_sp,
        "saml_acs_url": tenant.saml_acs_url,
        "saml_logout_url": tenant.saml_logout_url if tenant.saml_idp_signout else None,
    }


def saml_summary(tenant: Tenant) -> dict[str, Any]:
    """A SAML tenant's settings as shown: the metadata by its entity ID and hash, never XML."""
    return {
        **saml_registration(tenant),
        "saml_idp_entity_id": tenant.saml_entity_id,
        "saml_metadata_url": tenant.saml_metadata_url,
        "saml_metadata_sha256": tenant.saml_metadata_sha256,
        "saml_certificate_expires_at": tenant.saml_cert_expires_at,
        "email_attribute": tenant.email_attribute,
        "saml_sign_requests": tenant.saml_sign_requests,
        "saml_encrypted_responses": tenant.saml_encrypted_responses,
        "saml_idp_signout": tenant.saml_idp_signout,
        "saml_idp_initiated": tenant.saml_idp_initiated,
    }


def saml_certificates(tenant: Tenant) -> dict[str, str | None]:
    """Cognito's certificates the customer needs, read only for the options that need them.

    Signed requests and IdP sign-out need the pool's signing certificate (GetSigningCertificate;
    Cognito renews it yearly, the old one staying valid); encrypted responses need the
    provider's ActiveEncryptionCertificate (DescribeIdentityProvider).
    """
    out: dict[str, str | None] = {}
    if tenant.pool is None or not tenant.is_saml:
        return out
    gateway = gateway_for(tenant.pool.region, TenantCallRecorder(tenant.id))
    if tenant.saml_sign_requests or tenant.saml_idp_signout:
        answer = gateway.call("GetSigningCertificate", tenant.pool.user_pool_id)
        out["saml_signing_certificate"] = answer.get("Certificate")
    if tenant.saml_encrypted_responses and tenant.provider_created:
        provider = gateway.call(
            "DescribeIdentityProvider",
            tenant.pool.user_pool_id,
            ProviderName=tenant.provider_name,
        )["IdentityProvider"]
        details = provider.get("ProviderDetails", {})
        out["saml_encryption_certificate"] = details.get("ActiveEncryptionCertificate")
    return out


def reveal_credentials(
    tenant: Tenant, purpose: str = "credentials", with_previous: bool = False
) -> dict[str, Any]:
    """Read the client secret from Cognito now, audit the reveal, and return the handover bundle.

    During a rotation the bundle holds the new secret; WITH_PREVIOUS adds the old one too
    (`previous_client_secret`) when Cognito still returns it, for the reveal page to label both.
    Raises CredentialsGone for an offboarded tenant: its client no longer exists in Cognito.
    """
    refuse_if_offboarded(tenant)
    if tenant.pool is None or tenant.client_id is None:
        raise ValidationError(
            "status", f"tenant {tenant.slug} has no app client yet; onboard it first"
        )
    rotation = tenant.secret_rotation_state
    if rotation == RotationState.CANCELLING:
        raise ValidationError(
            "rotation",
            "the new client secret is being withdrawn; reveal the "
            "secret again when that has finished",
        )
    previous = None
    if (
        rotation in (RotationState.BOTH_ACTIVE, RotationState.RETIRING)
        and tenant.new_client_secret_encrypted is not None
    ):
        # Two secrets exist: what DescribeUserPoolClient returns now is undocumented, so hand
        # over the new one, which the portal chose and keeps until the old one is retired.
        secret = decrypt(tenant.new_client_secret_encrypted)
        which = "new (rotation in progress: the previous secret works until it is retired)"
        if with_previous:
            gateway = gateway_for(tenant.pool.region, TenantCallRecorder(tenant.id))
            live = read_client_secret(gateway, tenant.pool.user_pool_id, tenant.client_id)
            if live and live != secret:  # Cognito answered with the other one: the old secret
                previous = live
                which = "new and old (rotation in progress)"
    elif tenant.client_secret_kept_encrypted is not None:
        # Cognito did not return the secret the last rotation supplied (checked then).
        secret = decrypt(tenant.client_secret_kept_encrypted)
        which = "current (kept by the portal: Cognito does not return a supplied secret)"
    else:
        gateway = gateway_for(tenant.pool.region, TenantCallRecorder(tenant.id))
        secret = read_client_secret(gateway, tenant.pool.user_pool_id, tenant.client_id)
        which = "current"
    trail.record(
        "secret.revealed",
        tenant,
        what="cognito client secret",
        which=which,
        client_id=tenant.client_id,
        purpose=purpose,
    )
    db.session.commit()
    urls = hosted_urls(tenant)
    return {
        "client_id": tenant.client_id,
        "client_secret": secret,
        "cognito_domain": urls["cognito_domain"],
        "issuer": urls["issuer"],
        "user_pool_id": tenant.pool.user_pool_id,
        "region": tenant.pool.region,
        "jwks_uri": urls["jwks_uri"],
        "authorize_url": urls["authorize_url"],
        "token_url": urls["token_url"],
        "logout_url": urls["logout_url"],
        "redirect_uri": tenant.callback_urls[0] if tenant.callback_urls else None,
        "provider_name": tenant.provider_name,
        "provider_type": tenant.provider_type,
        **(saml_registration(tenant) if tenant.is_saml else {}),
        "client_secret_rotation": rotation,
        **({"previous_client_secret": previous} if previous else {}),
    }
