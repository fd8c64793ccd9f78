"""Validation rules AWS applies and moto 5.2 does not: names, URLs, attributes, scopes, flows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from moto.cognitoidp.models import CognitoIdpUserPoolAttribute

from portal.cognito.redirect_urls import MAX_URLS, redirect_url_problem

from .errors import CognitoError, invalid
from .unicode import in_category

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUserPool

STANDARD_SCOPES = frozenset(
    {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}
)
SOCIAL_PROVIDER_TYPES = frozenset({"Google", "Facebook", "LoginWithAmazon", "SignInWithApple"})
OIDC_REQUIRED_DETAILS = (
    "client_id",
    "client_secret",
    "authorize_scopes",
    "oidc_issuer",
    "attributes_request_method",
)
OIDC_URL_DETAILS = ("authorize_url", "token_url", "attributes_url", "jwks_uri")
OIDC_KNOWN_DETAILS = frozenset(
    {*OIDC_REQUIRED_DETAILS, *OIDC_URL_DETAILS, "attributes_url_add_attributes"}
)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})
MAX_PROVIDER_NAME = 32


def check_provider_name(name: str) -> None:
    """ProviderName: 1-32 chars matching `[^_\\p{Z}][\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}][^_\\p{Z}]+`."""

    def edge(char: str) -> bool:
        return char != "_" and not in_category(char, "Z")

    ok = (
        3 <= len(name) <= MAX_PROVIDER_NAME
        and edge(name[0])
        and in_category(name[1], "L", "M", "S", "N", "P")
        and all(edge(char) for char in name[2:])
    )
    if not ok:
        raise invalid(
            f"1 validation error detected: Value '{name}' at 'providerName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+"
        )


def _is_loopback_or_https(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(host)
    return parts.scheme == "http" and host in LOOPBACK_HOSTS


def check_issuer_url(name: str, url: str) -> None:
    """An OIDC issuer or endpoint: absolute https (http only on localhost), no query or fragment."""
    parts = urlsplit(url)
    if not _is_loopback_or_https(url) or parts.fragment or "#" in url:
        raise invalid(f"{name} must be an absolute https URL (http only for localhost): {url}")
    if name == "oidc_issuer" and parts.query:
        raise invalid(f"oidc_issuer must not have a query component: {url}")


def check_provider_details(provider_type: str, name: str, details: dict[str, str]) -> None:
    """The ProviderDetails each ProviderType needs."""
    if provider_type == "OIDC":
        check_oidc_details(details)
    elif provider_type in SOCIAL_PROVIDER_TYPES:
        if name != provider_type:
            raise invalid(f"ProviderName must be {provider_type} for a {provider_type} provider.")
        for key in ("client_id", "authorize_scopes"):
            if not details.get(key):
                raise invalid(f"{key} is required for a {provider_type} provider.")
    # SAML details are checked by saml.check_saml_details, which also derives what
    # DescribeIdentityProvider returns.


def check_oidc_details(details: dict[str, str]) -> None:
    """OIDC ProviderDetails: the required keys, a GET/POST method and https URLs."""
    missing = [key for key in OIDC_REQUIRED_DETAILS if not str(details.get(key, "")).strip()]
    if missing:
        raise invalid(f"Missing required ProviderDetails for OIDC: {', '.join(missing)}")
    unknown = sorted(set(details) - OIDC_KNOWN_DETAILS)
    if unknown:
        raise invalid(f"Unsupported ProviderDetails for OIDC: {', '.join(unknown)}")
    if details["attributes_request_method"] not in ("GET", "POST"):
        raise invalid("attributes_request_method must be GET or POST")
    check_issuer_url("oidc_issuer", details["oidc_issuer"])
    for key in OIDC_URL_DETAILS:
        if details.get(key):
            check_issuer_url(key, details[key])


def pool_attributes(pool: CognitoIdpUserPool) -> dict[str, bool]:
    """Every attribute the pool has (standard ones always), mapped to whether it is mutable."""
    attributes = {
        name: bool(spec["Mutable"])
        for name, spec in CognitoIdpUserPoolAttribute.STANDARD_SCHEMA.items()
    }
    for name, attribute in pool.schema_attributes.items():
        if name in attributes or name.startswith("custom:"):
            attributes[name] = bool(attribute.mutable)
    return attributes


def custom_attribute_names(pool: CognitoIdpUserPool) -> list[str]:
    """The pool's custom (and developer-only) attributes."""
    return [n for n in pool.schema_attributes if n.startswith(("custom:", "dev:custom:"))]


def required_attributes(pool: CognitoIdpUserPool) -> list[str]:
    """The attributes the pool's schema marks Required, bar `sub` (Cognito's own, never written)."""
    return sorted(
        name for name, a in pool.schema_attributes.items() if a.required and name != "sub"
    )


def check_attribute_mapping(pool: CognitoIdpUserPool, mapping: dict[str, str]) -> None:
    """AttributeMapping keys must be `username` or attributes the pool has.

    Mapping an immutable attribute is accepted here, as AWS does: Cognito fails at the
    federated sign-in that tries to write it ("Mapping IdP attributes to profiles and tokens"
    in the developer guide), not at CreateIdentityProvider. `portal pools check` refuses pools
    whose e-mail or custom:groups/roles are immutable instead.
    """
    attributes = pool_attributes(pool)
    for key in mapping:
        if key == "username":
            continue
        if key not in attributes or key == "sub":
            raise invalid(
                f"The attribute {key} does not exist in the schema of user pool {pool.id}."
            )


def check_redirect_url(field: str, url: str) -> None:
    """A callback or logout URL by Cognito's rule (its sources: portal.cognito.redirect_urls)."""
    problem = redirect_url_problem(url)
    if problem is not None:
        raise invalid(f"{field} {problem}: {url}")


def check_client_config(
    pool: CognitoIdpUserPool, params: dict[str, Any], *, verb: str, has_secret: bool
) -> None:
    """Everything AWS checks in a Create/UpdateUserPoolClient request body."""
    _check_providers(pool, params.get("SupportedIdentityProviders") or [])
    callbacks = params.get("CallbackURLs") or []
    for field in ("CallbackURLs", "LogoutURLs"):
        urls = params.get(field) or []
        if len(urls) > MAX_URLS:
            raise invalid(f"{field} can have at most {MAX_URLS} URLs.")
        for url in urls:
            check_redirect_url(field, url)
    default = params.get("DefaultRedirectURI")
    if default:
        check_redirect_url("DefaultRedirectURI", default)
        if default not in callbacks:
            raise invalid("DefaultRedirectURI must be one of the CallbackURLs.")
    _check_scopes(pool, params.get("AllowedOAuthScopes") or [])
    _check_flows(params, has_secret=has_secret)
    _check_permissions(pool, params, verb)


def _check_providers(pool: CognitoIdpUserPool, names: list[str]) -> None:
    for name in names:
        if name != "COGNITO" and name not in pool.identity_providers:
            raise invalid(f"The provider {name} does not exist for User Pool {pool.id}")


def _check_scopes(pool: CognitoIdpUserPool, scopes: list[str]) -> None:
    known = set(STANDARD_SCOPES)
    for identifier, server in pool.resource_servers.items():
        known.update(f"{identifier}/{s['ScopeName']}" for s in server.scopes or [])
    for scope in scopes:
        if scope not in known:
            raise CognitoError("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")


def _check_flows(params: dict[str, Any], *, has_secret: bool) -> None:
    flows = set(params.get("AllowedOAuthFlows") or [])
    scopes = params.get("AllowedOAuthScopes") or []
    enabled = bool(params.get("AllowedOAuthFlowsUserPoolClient"))

    def bad_flow(message: str) -> CognitoError:
        return CognitoError("InvalidOAuthFlowException", message)

    if "client_credentials" in flows:
        if flows - {"client_credentials"}:
            raise bad_flow(
                "client_credentials flow can not be selected if any other flow is selected"
            )
        if not has_secret:
            raise bad_flow(
                "client_credentials flow can not be selected if client does not have "
                "a client secret"
            )
        for scope in scopes:
            if scope in STANDARD_SCOPES:
                raise bad_flow(f"{scope} is not supported with client_credentials flow")
    if flows and not enabled:
        raise invalid("AllowedOAuthFlowsUserPoolClient must be true to use AllowedOAuthFlows.")
    if enabled and (not flows or not scopes):
        raise bad_flow(
            "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client "
            "is allowed to use OAuth flows"
        )
    if flows & {"code", "implicit"} and not params.get("CallbackURLs"):
        raise bad_flow("CallbackUrls can not be empty when code flow or implicit flow is selected")


def _check_permissions(pool: CognitoIdpUserPool, params: dict[str, Any], verb: str) -> None:
    attributes = pool_attributes(pool)
    if any(name not in attributes for name in params.get("ReadAttributes") or []):
        raise invalid(f"Invalid read attributes specified while {verb} a client")
    writes = params.get("WriteAttributes") or []
    for name in writes:
        if name not in attributes or not attributes[name]:
            raise invalid(f"Invalid write attributes specified while {verb} a client")
    # Required attributes are always writable: a client that lists its write attributes must
    # include every one (UpdateUserPoolClient reference, WriteAttributes; developer guide,
    # "Attribute permissions and scopes"). Omitting the list leaves every attribute writable.
    missing = [name for name in required_attributes(pool) if writes and name not in writes]
    if missing:
        raise invalid(
            f"Invalid write attributes specified while {verb} a client: required attributes "
            f"must be writable ({', '.join(missing)})"
        )
