"""Which kinds of identity provider a hand-made tenant may have to be adopted: the one place."""

from __future__ import annotations

# ProviderType values from botocore's model (IdentityProviderTypeType). The portal's tenants sign
# in through their company's own OIDC or SAML 2.0 provider.
ADOPTABLE_TYPES = frozenset({"OIDC", "SAML"})
NOT_YET: dict[str, str] = {}  # e.g. {"SAML": "not adoptable yet: SAML"} before SAML support
SOCIAL = frozenset({"Google", "Facebook", "LoginWithAmazon", "SignInWithApple"})


def why_not_adoptable(provider_type: str) -> str | None:
    """None when a provider of this type can belong to an adopted tenant, else the reason."""
    if provider_type in ADOPTABLE_TYPES:
        return None
    if provider_type in NOT_YET:
        return NOT_YET[provider_type]
    if provider_type in SOCIAL:
        return f"a social sign-in ({provider_type}) shared by everyone, not a tenant's own IdP"
    return f"provider type {provider_type} is not supported"
