"""A rate limiter shared by every worker, keeping the portal under Cognito's request quotas.

Celery's own rate_limit counts per worker process, so it cannot hold an account-wide quota.
This is GCRA (a token bucket without a refill job): one timestamp per key in Redis, checked and
advanced for several keys at once in a Lua script, so a call takes a slot in its category and
its per-pool-per-operation bucket together or not at all. The `limits` library does one key per
call, which would waste slots when the second key is full.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Protocol

from portal.cognito.quotas import (
    CATEGORY_RPS,
    PER_POOL_CATEGORIES,
    PER_POOL_OPERATION_RPS,
    category_of,
)

GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  if tat - now > 0 then
    if tat - now > wait then wait = tat - now end
  end
  tats[i] = tat + interval
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tostring(tats[i]), 'PX', math.ceil((tats[i] - now) / 1000) + 1000)
end
return 0
"""


class RateLimiter(Protocol):
    def acquire(self, operation: str, user_pool_id: str | None, region: str) -> float:
        """Block until the call may be made; return the seconds spent waiting."""


def buckets(
    operation: str, user_pool_id: str | None, region: str, fraction: float
) -> list[tuple[str, float]]:
    """The (key, seconds between calls) pairs a call must take a slot in."""
    category = category_of(operation)
    if category is None:
        return []
    pairs = [(f"{region}:{category}", 1.0 / (CATEGORY_RPS[category] * fraction))]
    if user_pool_id and category in PER_POOL_CATEGORIES:
        pairs.append(
            (f"{region}:{user_pool_id}:{operation}", 1.0 / (PER_POOL_OPERATION_RPS * fraction))
        )
    return pairs


class LocalRateLimiter:
    """The same algorithm in process memory, for a single local worker without Redis."""

    def __init__(
        self,
        fraction: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.fraction = fraction
        self._clock = clock
        self._sleep = sleep
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def _try(self, pairs: list[tuple[str, float]]) -> float:
        with self._lock:
            now = self._clock()
            tats = [max(self._tats.get(key, now), now) for key, _ in pairs]
            wait = max((tat - now for tat in tats), default=0.0)
            if wait > 0:
                return wait
            for (key, interval), tat in zip(pairs, tats, strict=True):
                self._tats[key] = tat + interval
            return 0.0

    def acquire(self, operation: str, user_pool_id: str | None, region: str) -> float:
        pairs = buckets(operation, user_pool_id, region, self.fraction)
        waited = 0.0
        while pairs:
            wait = self._try(pairs)
            if wait <= 0:
                break
            wait += random.uniform(0, 0.005)  # noqa: S311 - jitter, not security
            self._sleep(wait)
            waited += wait
        return waited


class RedisRateLimiter:
    """GCRA over Redis, shared by every worker process on every machine."""

    def __init__(
        self,
        redis_client,
        fraction: float = 1.0,
        prefix: str = "portal:rate:",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.redis = redis_client
        self.fraction = fraction
        self.prefix = prefix
        self._sleep = sleep
        self._script = redis_client.register_script(GCRA_SCRIPT)

    def acquire(self, operation: str, user_pool_id: str | None, region: str) -> float:
        pairs = buckets(operation, user_pool_id, region, self.fraction)
        waited = 0.0
        if not pairs:
            return waited
        keys = [self.prefix + key for key, _ in pairs]
        intervals = [int(interval * 1_000_000) for _, interval in pairs]
        while True:
            wait_us = int(self._script(keys=keys, args=intervals))
            if wait_us <= 0:
                return waited
            wait = wait_us / 1_000_000 + random.uniform(0, 0.005)  # noqa: S311 - jitter
            self._sleep(wait)
            waited += wait


class NoLimiter:
    """For reads made by hand (CLI), where one call at a time cannot exceed a quota."""

    def acquire(self, operation: str, user_pool_id: str | None, region: str) -> float:
        return 0.0
