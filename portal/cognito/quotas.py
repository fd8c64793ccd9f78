"""Cognito's request-rate quotas: the category of each operation and the rates AWS allows.

Source: AWS's "Quotas in Amazon Cognito" page (user pools API operation categories and request
rate quotas). Rates are per account and Region and not adjustable; in the four Client/Resource
categories any single operation is also capped at 5 RPS per user pool. Both the portal's own
rate limiter and the local emulator read these tables.
"""

from __future__ import annotations

USER_POOL_CLIENT_UPDATE = "UserPoolClientUpdate"
USER_POOL_CLIENT_READ = "UserPoolClientRead"
USER_POOL_RESOURCE_UPDATE = "UserPoolResourceUpdate"
USER_POOL_RESOURCE_READ = "UserPoolResourceRead"
USER_POOL_READ = "UserPoolRead"
USER_POOL_UPDATE = "UserPoolUpdate"
USER_LIST = "UserList"
USER_UPDATE = "UserUpdate"

CATEGORY_RPS: dict[str, float] = {
    USER_POOL_CLIENT_UPDATE: 15,
    USER_POOL_CLIENT_READ: 15,
    USER_POOL_RESOURCE_UPDATE: 15,
    USER_POOL_RESOURCE_READ: 20,
    USER_POOL_READ: 15,
    USER_POOL_UPDATE: 15,
    # Offboarding's optional removal of federated users. The quotas page puts AdminDeleteUser
    # in UserUpdate (there is no "UserDeletion" category) and ListUsers in UserList.
    USER_LIST: 30,
    USER_UPDATE: 25,
}

PER_POOL_OPERATION_RPS: float = 5
PER_POOL_CATEGORIES: frozenset[str] = frozenset(
    {
        USER_POOL_CLIENT_UPDATE,
        USER_POOL_CLIENT_READ,
        USER_POOL_RESOURCE_UPDATE,
        USER_POOL_RESOURCE_READ,
    }
)


def _category(name: str, *operations: str) -> dict[str, str]:
    return dict.fromkeys(operations, name)


CATEGORY_BY_OPERATION: dict[str, str] = {
    **_category(
        USER_POOL_CLIENT_UPDATE,
        "CreateUserPoolClient",
        "UpdateUserPoolClient",
        "DeleteUserPoolClient",
        # The client-secret operations are in no category the quotas page publishes (2026-12):
        # counted, conservatively, with the client calls they resemble (the 15 RPS category
        # and the 5 RPS per-pool cap), never left unlimited.
        "AddUserPoolClientSecret",
        "DeleteUserPoolClientSecret",
    ),
    **_category(
        USER_POOL_CLIENT_READ,
        "DescribeUserPoolClient",
        "ListUserPoolClients",
        "ListUserPoolClientSecrets",  # unpublished category: see AddUserPoolClientSecret
    ),
    **_category(
        USER_POOL_RESOURCE_UPDATE,
        "AddCustomAttributes",
        "CreateIdentityProvider",
        "UpdateIdentityProvider",
        "DeleteIdentityProvider",
        "CreateUserPoolDomain",
        "UpdateUserPoolDomain",
        "DeleteUserPoolDomain",
        "CreateManagedLoginBranding",
        "UpdateManagedLoginBranding",
        "DeleteManagedLoginBranding",
        "CreateResourceServer",
        "UpdateResourceServer",
        "DeleteResourceServer",
        "CreateGroup",
        "UpdateGroup",
        "DeleteGroup",
        "SetUICustomization",
        "SetUserPoolMfaConfig",
    ),
    **_category(
        USER_POOL_RESOURCE_READ,
        "DescribeIdentityProvider",
        "ListIdentityProviders",
        "GetIdentityProviderByIdentifier",
        "DescribeUserPoolDomain",
        "DescribeManagedLoginBranding",
        "DescribeManagedLoginBrandingByClient",
        "DescribeResourceServer",
        "ListResourceServers",
        "GetGroup",
        "ListGroups",
        "GetUICustomization",
        "GetUserPoolMfaConfig",
        "GetSigningCertificate",
    ),
    **_category(USER_POOL_READ, "DescribeUserPool", "ListUserPools"),
    **_category(USER_POOL_UPDATE, "CreateUserPool", "UpdateUserPool", "DeleteUserPool"),
    **_category(USER_LIST, "ListUsers", "ListUsersInGroup"),
    **_category(USER_UPDATE, "AdminDeleteUser", "DeleteUser"),
}


# Short names used by the portal's limiter.
CLIENT_UPDATE = USER_POOL_CLIENT_UPDATE
CLIENT_READ = USER_POOL_CLIENT_READ
RESOURCE_UPDATE = USER_POOL_RESOURCE_UPDATE
RESOURCE_READ = USER_POOL_RESOURCE_READ
POOL_READ = USER_POOL_READ


def category_of(operation: str) -> str | None:
    """The quota category an operation counts against, or None if the portal does not limit it."""
    return CATEGORY_BY_OPERATION.get(operation)
