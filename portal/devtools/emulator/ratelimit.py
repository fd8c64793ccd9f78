"""Cognito's request-rate quotas: operation categories and token buckets.

Numbers from AWS's "Quotas in Amazon Cognito" page (user pools API operation categories
and request rate quotas). They are per account and Region and not adjustable; in the
four Client/Resource categories any single operation is also capped at 5 RPS per
user pool. The tables live in portal.cognito.quotas, shared with the portal's own limiter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from portal.cognito.quotas import (
    CATEGORY_BY_OPERATION,
    CATEGORY_RPS,
    PER_POOL_CATEGORIES,
    PER_POOL_OPERATION_RPS,
)

__all__ = [
    "CATEGORY_BY_OPERATION",
    "CATEGORY_RPS",
    "PER_POOL_CATEGORIES",
    "PER_POOL_OPERATION_RPS",
    "RateLimiter",
    "TokenBucket",
    "busiest_second",
]


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


def busiest_second(times: list[float]) -> int:
    """The most of TIMES (seconds) in any one-second window: a rate to set beside a quota."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best
