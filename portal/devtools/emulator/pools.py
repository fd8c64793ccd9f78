"""User pools and their domains: feature plan (UserPoolTier) and ManagedLoginVersion."""

from __future__ import annotations

import re
from typing import Any

from .call import Call
from .errors import CognitoError, invalid, not_found
from .state import DEFAULT_TIER, MANAGED_LOGIN_TIERS

PREFIX_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
RESERVED_PREFIX_WORDS = ("aws", "amazon", "cognito")
MANAGED_LOGIN_VERSIONS = (1, 2)


def _tier_error(pool_id: str, tier: str) -> CognitoError:
    return CognitoError(
        "FeatureUnavailableInTierException",
        f"Managed login requires the Essentials or Plus feature plan; user pool {pool_id} "
        f"is on {tier}.",
    )


def create_user_pool(call: Call) -> dict[str, Any]:
    """CreateUserPool, remembering the feature plan (AWS's default is ESSENTIALS)."""
    result = call.forward()
    pool = result["UserPool"]
    call.state.tiers[pool["Id"]] = call.params.get("UserPoolTier") or DEFAULT_TIER
    pool["UserPoolTier"] = call.state.tiers[pool["Id"]]
    return result


def update_user_pool(call: Call) -> dict[str, Any]:
    """UpdateUserPool; the feature plan is kept unless the request names one."""
    pool = call.pool()
    call.forward()
    if call.params.get("UserPoolTier"):
        call.state.tiers[pool.id] = call.params["UserPoolTier"]
    return {}


def describe_user_pool(call: Call) -> dict[str, Any]:
    """DescribeUserPool with UserPoolTier."""
    result = call.forward()
    result["UserPool"]["UserPoolTier"] = call.state.tier(result["UserPool"]["Id"])
    return result


def delete_user_pool(call: Call) -> dict[str, Any]:
    """DeleteUserPool: refused while deletion protection is on or a domain exists."""
    pool = call.pool()
    if pool.extended_config.get("DeletionProtection") == "ACTIVE":
        raise invalid("The user pool cannot be deleted because deletion protection is activated.")
    if pool.domain is not None:
        raise invalid(
            "User pool cannot be deleted. It has a domain configured that should be deleted first."
        )
    call.forward()
    call.state.forget_pool(pool.id)
    return {}


def _check_version(call: Call, pool_id: str, version: Any) -> int:
    if version not in MANAGED_LOGIN_VERSIONS or isinstance(version, bool):
        raise invalid(f"ManagedLoginVersion must be 1 or 2, not {version}.")
    tier = call.state.tier(pool_id)
    if version == 2 and tier not in MANAGED_LOGIN_TIERS:
        raise _tier_error(pool_id, tier)
    return int(version)


def _check_prefix(domain: str) -> None:
    if not PREFIX_PATTERN.match(domain):
        raise invalid(
            f"1 validation error detected: Value '{domain}' at 'domain' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: "
            f"{PREFIX_PATTERN.pattern}"
        )
    if any(word in domain for word in RESERVED_PREFIX_WORDS):
        raise invalid(f"Domain {domain} contains a reserved word (aws, amazon or cognito).")


MAX_DNS_NAME = 253
MAX_DNS_LABEL = 63


def _check_custom_domain(domain: str) -> None:
    """A custom domain is a DNS name: at most 253 characters, labels of 1-63 (RFC 1035)."""
    labels = domain.split(".")
    if (
        len(domain) > MAX_DNS_NAME
        or len(labels) < 2
        or any(not 1 <= len(label) <= MAX_DNS_LABEL for label in labels)
    ):
        raise invalid(f"Domain {domain} is not a valid custom domain name.")


def create_user_pool_domain(call: Call) -> dict[str, Any]:
    """CreateUserPoolDomain keeping ManagedLoginVersion; one prefix and one custom domain a pool."""
    pool = call.pool()
    domain = call.require("Domain")
    custom = bool(call.params.get("CustomDomainConfig"))
    version = _check_version(call, pool.id, call.params.get("ManagedLoginVersion", 1))
    if custom:
        _check_custom_domain(domain)
    else:
        _check_prefix(domain)
    domains = call.backend.user_pool_domains
    if domain in domains:
        raise invalid("Domain already associated with another user pool.")
    for other in domains.values():
        if other.user_pool_id == pool.id and bool(other.custom_domain_config) == custom:
            raise invalid(f"User pool {pool.id} already has a domain configured.")
    params = {k: v for k, v in call.params.items() if k != "ManagedLoginVersion"}
    result = call.forward(params)
    call.state.domain_versions[(call.region, domain)] = version
    return {"CloudFrontDomain": result.get("CloudFrontDomain"), "ManagedLoginVersion": version}


def _own_domain(call: Call) -> tuple[Any, Any]:
    pool = call.pool()
    domain = call.require("Domain")
    entry = call.backend.user_pool_domains.get(domain)
    if entry is None or entry.user_pool_id != pool.id:
        raise not_found(f"Domain {domain} does not exist for user pool {pool.id}.")
    return pool, entry


def update_user_pool_domain(call: Call) -> dict[str, Any]:
    """UpdateUserPoolDomain: switch ManagedLoginVersion and/or the custom domain certificate."""
    pool, entry = _own_domain(call)
    key = (call.region, entry.domain)
    version = call.params.get("ManagedLoginVersion")
    if version is not None:
        version = _check_version(call, pool.id, version)
    if call.params.get("CustomDomainConfig"):
        call.forward({k: v for k, v in call.params.items() if k != "ManagedLoginVersion"})
    if version is not None:
        call.state.domain_versions[key] = version
    return {
        "CloudFrontDomain": entry.to_json(extended=False)["CloudFrontDomain"],
        "ManagedLoginVersion": call.state.domain_versions.get(key, 1),
    }


def describe_user_pool_domain(call: Call) -> dict[str, Any]:
    """DescribeUserPoolDomain with ManagedLoginVersion and a 12-digit AWSAccountId."""
    result = call.forward()
    description = result.get("DomainDescription") or {}
    if description:
        entry = call.backend.user_pool_domains[description["Domain"]]
        description["AWSAccountId"] = call.account_id
        description["ManagedLoginVersion"] = call.state.domain_versions.get(
            (call.region, entry.domain), 1
        )
        if entry.custom_domain_config:
            description["CustomDomainConfig"] = entry.custom_domain_config
        description = {k: v for k, v in description.items() if v is not None}
    return {"DomainDescription": description}


def delete_user_pool_domain(call: Call) -> dict[str, Any]:
    """DeleteUserPoolDomain, only for the pool that owns the domain."""
    _pool, entry = _own_domain(call)
    call.forward()
    call.state.domain_versions.pop((call.region, entry.domain), None)
    return {}


HANDLERS = {
    "CreateUserPool": create_user_pool,
    "UpdateUserPool": update_user_pool,
    "DescribeUserPool": describe_user_pool,
    "DeleteUserPool": delete_user_pool,
    "CreateUserPoolDomain": create_user_pool_domain,
    "UpdateUserPoolDomain": update_user_pool_domain,
    "DescribeUserPoolDomain": describe_user_pool_domain,
    "DeleteUserPoolDomain": delete_user_pool_domain,
}
