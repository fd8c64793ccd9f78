"""Cognito's request-rate quotas: the category of each operation and the rates AWS allows.

Source: "Quotas in Amazon Cognito" (API request-rate quotas by category). Rates are per account
and region; in the first four categories any single operation is also capped per user pool.
"""

from __future__ import annotations

CLIENT_UPDATE = "UserPoolClientUpdate"
CLIENT_READ = "UserPoolClientRead"
RESOURCE_UPDATE = "UserPoolResourceUpdate"
RESOURCE_READ = "UserPoolResourceRead"
POOL_READ = "UserPoolRead"

CATEGORY_RPS: dict[str, int] = {
    CLIENT_UPDATE: 15,
    CLIENT_READ: 15,
    RESOURCE_UPDATE: 15,
    RESOURCE_READ: 20,
    POOL_READ: 15,
}
PER_POOL_OPERATION_RPS = 5
PER_POOL_CATEGORIES = frozenset({CLIENT_UPDATE, CLIENT_READ, RESOURCE_UPDATE, RESOURCE_READ})

CATEGORY_BY_OPERATION: dict[str, str] = {
    "CreateUserPoolClient": CLIENT_UPDATE,
    "UpdateUserPoolClient": CLIENT_UPDATE,
    "DeleteUserPoolClient": CLIENT_UPDATE,
    "AddUserPoolClientSecret": CLIENT_UPDATE,
    "DeleteUserPoolClientSecret": CLIENT_UPDATE,
    "DescribeUserPoolClient": CLIENT_READ,
    "ListUserPoolClients": CLIENT_READ,
    "ListUserPoolClientSecrets": CLIENT_READ,
    "AddCustomAttributes": RESOURCE_UPDATE,
    "CreateIdentityProvider": RESOURCE_UPDATE,
    "UpdateIdentityProvider": RESOURCE_UPDATE,
    "DeleteIdentityProvider": RESOURCE_UPDATE,
    "CreateUserPoolDomain": RESOURCE_UPDATE,
    "UpdateUserPoolDomain": RESOURCE_UPDATE,
    "DeleteUserPoolDomain": RESOURCE_UPDATE,
    "CreateManagedLoginBranding": RESOURCE_UPDATE,
    "UpdateManagedLoginBranding": RESOURCE_UPDATE,
    "DeleteManagedLoginBranding": RESOURCE_UPDATE,
    "DescribeIdentityProvider": RESOURCE_READ,
    "ListIdentityProviders": RESOURCE_READ,
    "GetIdentityProviderByIdentifier": RESOURCE_READ,
    "DescribeUserPoolDomain": RESOURCE_READ,
    "DescribeManagedLoginBranding": RESOURCE_READ,
    "DescribeManagedLoginBrandingByClient": RESOURCE_READ,
    "DescribeUserPool": POOL_READ,
    "ListUserPools": POOL_READ,
}


def category_of(operation: str) -> str | None:
    """The quota category an operation counts against, or None if the portal does not limit it."""
    return CATEGORY_BY_OPERATION.get(operation)
