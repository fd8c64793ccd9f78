"""A rate limiter shared by every worker, keeping the portal under Cognito's request quotas.

Celery's own rate_limit counts per worker process, so it cannot hold an account-wide quota.
This is GCRA (a token bucket without a refill job): one timestamp per key in Redis, checked and
advanced for several keys at once in a Lua script, so a call takes a slot in its category and
its per-pool-per-operation bucket together or not at all. The `limits` library does one key per
call, which would waste slots when the second key is full.

Background work (the drift sweep) yields to runs: every run's call marks the limiter "in demand"
for DEMAND_HOLD_SECONDS, and while it is, a background call must also take a slot in its own
buckets, paced at SHARE of each rate. It still takes its slot in the shared buckets, so runs lose
at most SHARE of any quota to it; with no run calling it may use the full rate. The mark expires
by itself, so a worker that dies leaves no counter behind to keep background work slow.
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

# A run calls Cognito every few hundred milliseconds while it is active (a call, a commit, the
# next call); two seconds without one means no run is waiting for a slot.
DEMAND_HOLD_SECONDS = 2.0
DEMAND_KEY = "demand"  # one for every region: background work yields to a run anywhere
BACKGROUND_PREFIX = "bg:"

# Waiters for a full bucket all wake when its slot frees, and the first to ask takes it. A call
# that finishes a tenant's onboarding wakes within 1 ms of the slot, any other call 1 to 3 ms
# after it: a batch then finishes the tenants it started before starting more, instead of
# leaving every style to its last seconds, where each pool's 5 a second (per operation) capped
# UserPoolResourceUpdate's 15 (bench/onboarding.py 40 x 2, BENCHMARKS.md "Fourth pass"). The
# first waker of many is late by little more than the 1 ms, so the rate stays the quota's.
FINISHING_OPERATIONS = frozenset({"CreateManagedLoginBranding"})
FINISHING_WAKE_SECONDS = 0.001
WAKE_SPREAD_SECONDS = 0.003


def wake_delay(operation: str) -> float:
    """The jitter added to a wait: finishing calls first, then the rest."""
    if operation in FINISHING_OPERATIONS:
        return random.uniform(0.0, FINISHING_WAKE_SECONDS)  # noqa: S311 - jitter, not security
    return random.uniform(FINISHING_WAKE_SECONDS, WAKE_SPREAD_SECONDS)  # noqa: S311


# KEYS: the call's shared buckets, then (a background call) its background buckets, then the
# demand key. ARGV[1]: how many shared buckets; ARGV[2]: the demand hold in ms for a run's call,
# 0 for a background call; ARGV[3...]: each key's interval in microseconds.
GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local shared = tonumber(ARGV[1])
local hold = tonumber(ARGV[2])
local demand = KEYS[#KEYS]
local last = #KEYS - 1
if hold > 0 then
  redis.call('SET', demand, '1', 'PX', hold)
  last = shared
elseif redis.call('EXISTS', demand) == 0 then
  last = shared
end
local wait = 0
local tats = {}
for i = 1, last do
  local key = KEYS[i]
  local interval = tonumber(ARGV[i + 2])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  if tat - now > 0 then
    if tat - now > wait then wait = tat - now end
  end
  tats[i] = tat + interval
end
if wait > 0 then return wait end
for i = 1, last do
  local key = KEYS[i]
  redis.call('SET', key, tostring(tats[i]), 'PX', math.ceil((tats[i] - now) / 1000) + 1000)
end
return 0
"""


class RateLimiter(Protocol):
    def acquire(
        self, operation: str, user_pool_id: str | None, region: str, share: float | None = None
    ) -> float:
        """Block until the call may be made; return the seconds spent waiting.

        SHARE: a background call, held to that share of each rate while runs are calling.
        """

    def mark_demand(self) -> None:
        """Say that runs are about to call (queued): background calls yield from now on."""


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


def background_buckets(
    operation: str, user_pool_id: str | None, region: str, fraction: float, share: float
) -> list[tuple[str, float]]:
    """A background call's own buckets: the same keys apart, paced at SHARE of each rate."""
    return [
        (BACKGROUND_PREFIX + key, interval / share)
        for key, interval in buckets(operation, user_pool_id, region, fraction)
    ]


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
        self._demand_until = float("-inf")
        self._lock = threading.Lock()

    def mark_demand(self) -> None:
        with self._lock:
            self._demand_until = self._clock() + DEMAND_HOLD_SECONDS

    def _try(
        self, pairs: list[tuple[str, float]], background: list[tuple[str, float]] | None
    ) -> float:
        with self._lock:
            now = self._clock()
            if background is None:
                self._demand_until = now + DEMAND_HOLD_SECONDS
            elif now < self._demand_until:
                pairs = pairs + background
            tats = [max(self._tats.get(key, now), now) for key, _ in pairs]
            wait = max((tat - now for tat in tats), default=0.0)
            if wait > 0:
                return wait
            for (key, interval), tat in zip(pairs, tats, strict=True):
                self._tats[key] = tat + interval
            return 0.0

    def acquire(
        self, operation: str, user_pool_id: str | None, region: str, share: float | None = None
    ) -> float:
        pairs = buckets(operation, user_pool_id, region, self.fraction)
        background = (
            None
            if share is None
            else background_buckets(operation, user_pool_id, region, self.fraction, share)
        )
        waited = 0.0
        while pairs:
            wait = self._try(pairs, background)
            if wait <= 0:
                break
            wait += wake_delay(operation)
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

    def mark_demand(self) -> None:
        self.redis.set(self.prefix + DEMAND_KEY, "1", px=int(DEMAND_HOLD_SECONDS * 1000))

    def acquire(
        self, operation: str, user_pool_id: str | None, region: str, share: float | None = None
    ) -> float:
        own = buckets(operation, user_pool_id, region, self.fraction)
        waited = 0.0
        if not own:
            return waited
        pairs = own
        if share is not None:
            pairs = own + background_buckets(operation, user_pool_id, region, self.fraction, share)
        shared = len(own)
        hold_ms = 0 if share is not None else int(DEMAND_HOLD_SECONDS * 1000)
        keys = [self.prefix + key for key, _ in pairs] + [self.prefix + DEMAND_KEY]
        args = [shared, hold_ms] + [int(interval * 1_000_000) for _, interval in pairs]
        while True:
            wait_us = int(self._script(keys=keys, args=args))
            if wait_us <= 0:
                return waited
            wait = wait_us / 1_000_000 + wake_delay(operation)
            self._sleep(wait)
            waited += wait


class NoLimiter:
    """For reads made by hand (CLI), where one call at a time cannot exceed a quota."""

    def acquire(
        self, operation: str, user_pool_id: str | None, region: str, share: float | None = None
    ) -> float:
        return 0.0

    def mark_demand(self) -> None:
        return None


class Yielding:
    """A limiter's background side: every call yields to runs, at most SHARE of each rate."""

    def __init__(self, limiter: RateLimiter, share: float) -> None:
        self.limiter = limiter
        self.share = share

    def acquire(
        self, operation: str, user_pool_id: str | None, region: str, share: float | None = None
    ) -> float:
        return self.limiter.acquire(operation, user_pool_id, region, share=share or self.share)

    def mark_demand(self) -> None:
        return None  # background work is not demand
