"""Cognito's request-rate quotas: operation categories and token buckets.

Numbers from AWS's "Quotas in Amazon Cognito" page (user pools API operation categories
and request rate quotas). They are per account and Region and not adjustable; in the
four *Client*/*Resource* categories any single operation is also capped at 5 RPS per
user pool. The portal's own limiter imports these tables.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

USER_POOL_CLIENT_UPDATE = "UserPoolClientUpdate"
USER_POOL_CLIENT_READ = "UserPoolClientRead"
USER_POOL_RESOURCE_UPDATE = "UserPoolResourceUpdate"
USER_POOL_RESOURCE_READ = "UserPoolResourceRead"
USER_POOL_READ = "UserPoolRead"
USER_POOL_UPDATE = "UserPoolUpdate"

CATEGORY_RPS: dict[str, float] = {
    USER_POOL_CLIENT_UPDATE: 15,
    USER_POOL_CLIENT_READ: 15,
    USER_POOL_RESOURCE_UPDATE: 15,
    USER_POOL_RESOURCE_READ: 20,
    USER_POOL_READ: 15,
    USER_POOL_UPDATE: 15,
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
        "AddUserPoolClientSecret",
        "DeleteUserPoolClientSecret",
    ),
    **_category(
        USER_POOL_CLIENT_READ,
        "DescribeUserPoolClient",
        "ListUserPoolClients",
        "ListUserPoolClientSecrets",
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
}


@dataclass
class TokenBucket:
    """Refilled continuously at `rate` tokens a second, holding at most `capacity`."""

    rate: float
    capacity: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


class RateLimiter:
    """Account-wide category buckets plus per-pool, per-operation buckets; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}

    def reset(self) -> None:
        """Forget every bucket (they start full again)."""
        with self._lock:
            self._buckets.clear()

    def allow(self, operation: str, user_pool_id: str | None, account_id: str, region: str) -> bool:
        """Take one token from each bucket the call draws on; False (and take none) if empty."""
        category = CATEGORY_BY_OPERATION.get(operation)
        if category is None:
            return True
        keys: list[tuple[tuple[str, ...], float]] = [
            ((account_id, region, category), CATEGORY_RPS[category])
        ]
        if category in PER_POOL_CATEGORIES and user_pool_id:
            keys.append(((account_id, region, user_pool_id, operation), PER_POOL_OPERATION_RPS))
        with self._lock:
            now = self._clock()
            buckets = [self._bucket(key, rps, now) for key, rps in keys]
            if any(bucket.tokens < 1 for bucket in buckets):
                return False
            for bucket in buckets:
                bucket.tokens -= 1
            return True

    def _bucket(self, key: tuple[str, ...], rps: float, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rps, rps, rps, now)
        bucket.refill(now)
        return bucket
