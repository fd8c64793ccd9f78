"""SAML test material: signing keys (made once per session: RSA keys are slow) and metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from portal.devtools.saml_idp import SigningKey, make_signing_key, metadata_xml

ENTITY_ID = "https://idp.example.com/saml/metadata"
SSO_URL = "https://idp.example.com/saml/sso"
SLO_URL = "https://idp.example.com/saml/slo"


@cache
def signing_key(kind: str = "valid") -> SigningKey:
    """A key whose certificate is valid for a year or two, expires soon, or has expired."""
    now = datetime.now(UTC)
    if kind == "valid":
        return make_signing_key("acme-idp", valid_for=timedelta(days=365))
    if kind == "renewed":
        return make_signing_key("acme-idp-2027", valid_for=timedelta(days=730))
    if kind == "expiring":
        return make_signing_key("acme-idp", valid_for=timedelta(days=10, hours=1))
    if kind == "expired":
        return make_signing_key(
            "acme-idp", not_before=now - timedelta(days=400), valid_for=timedelta(days=365)
        )
    raise ValueError(kind)


def idp_metadata(
    *kinds: str,
    entity_id: str = ENTITY_ID,
    sso_url: str = SSO_URL,
    slo_url: str | None = None,
    **options,
) -> str:
    """Metadata signed by the keys of KINDS (default: one valid key)."""
    certs = [signing_key(kind).certificate_b64 for kind in (kinds or ("valid",))]
    return metadata_xml(entity_id, sso_url, certs, slo_url=slo_url, **options)
