"""The shared rate limiter keeps every worker together under Cognito's quotas."""

from __future__ import annotations

import heapq
import random
import threading
import time

import pytest
import redis as redis_lib

from portal.cognito.limiter import (
    DEMAND_HOLD_SECONDS,
    DEMAND_KEY,
    LocalRateLimiter,
    RedisRateLimiter,
    Yielding,
    buckets,
    wake_delay,
)
from portal.cognito.quotas import CATEGORY_BY_OPERATION, CATEGORY_RPS
from tests.support.environment import TEST_REDIS_URL


def most_in_any_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    best = 0
    for i, start in enumerate(stamps):
        best = max(best, sum(1 for s in stamps[i:] if s < start + 0.999))
    return best


def test_every_operation_the_engine_calls_has_a_quota_category():
    engine_operations = {
        "CreateUserPoolClient",
        "UpdateUserPoolClient",
        "DescribeUserPoolClient",
        "ListUserPoolClients",
        "DescribeUserPool",
        "AddCustomAttributes",
        "CreateIdentityProvider",
        "UpdateIdentityProvider",
        "DescribeIdentityProvider",
        "CreateManagedLoginBranding",
        "DescribeManagedLoginBrandingByClient",
        "DescribeUserPoolDomain",
        "ListIdentityProviders",
        "DeleteUserPoolClient",
    }
    assert engine_operations <= set(CATEGORY_BY_OPERATION)


def test_a_call_takes_a_slot_in_its_category_and_its_per_pool_operation_bucket():
    pairs = buckets("CreateIdentityProvider", "us-east-1_abc", "us-east-1", 1.0)
    assert pairs == [
        ("us-east-1:UserPoolResourceUpdate", pytest.approx(1 / 15)),
        ("us-east-1:us-east-1_abc:CreateIdentityProvider", pytest.approx(1 / 5)),
    ]
    # UserPoolRead has no per-pool cap.
    assert len(buckets("DescribeUserPool", "us-east-1_abc", "us-east-1", 1.0)) == 1


@pytest.mark.slow
def test_two_workers_sharing_redis_stay_under_five_per_second_per_pool(redis_client):
    """Two limiter instances (two worker processes) over one Redis: 5 RPS per operation and pool."""
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        limiter = RedisRateLimiter(redis_lib.Redis.from_url(TEST_REDIS_URL))
        for _ in range(8):
            limiter.acquire("CreateIdentityProvider", "us-east-1_pool1", "us-east-1")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(stamps) == 16
    assert most_in_any_second(stamps) <= 5
    assert max(stamps) - min(stamps) >= (16 - 1) / 5 - 0.1  # paced, not refused


def test_the_account_wide_category_is_shared_across_pools(redis_client):
    limiter = RedisRateLimiter(redis_lib.Redis.from_url(TEST_REDIS_URL))
    stamps = []
    for n in range(20):  # 20 different pools: only the 15 RPS category binds
        limiter.acquire("CreateUserPoolClient", f"us-east-1_pool{n}", "us-east-1")
        stamps.append(time.monotonic())
    assert most_in_any_second(stamps) <= CATEGORY_RPS["UserPoolClientUpdate"]


def test_local_limiter_paces_without_redis():
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    limiter = LocalRateLimiter(clock=lambda: clock[0], sleep=sleep)
    for _ in range(6):
        limiter.acquire("CreateManagedLoginBranding", "us-east-1_x", "us-east-1")
    # Six calls at 5 per second: the last one starts a full second after the first.
    assert clock[0] == pytest.approx(1.0, abs=0.03)


class Blocked(Exception):
    """The limiter asked its caller to wait: in the simulation the caller tries again later."""


def simulate(until: float, callers: dict[str, tuple[float, float, object]]) -> dict[str, list]:
    """Callers calling as fast as one LocalRateLimiter lets them, on one simulated clock.

    CALLERS: name -> (from, to, limiter view); each returns the times its calls were let through.
    """
    clock = [0.0]

    def sleep(seconds: float) -> None:
        raise Blocked(seconds)

    shared = LocalRateLimiter(clock=lambda: clock[0], sleep=sleep)
    random.seed(7)  # the limiter's jitter
    calls: dict[str, list[float]] = {name: [] for name in callers}
    turns = [(start, name, 0) for name, (start, _, _) in callers.items()]
    heapq.heapify(turns)
    while turns:
        at, name, n = heapq.heappop(turns)
        _start, stop, view = callers[name]
        if at >= min(stop, until):
            continue
        clock[0] = at
        limiter = view(shared) if view else shared
        try:  # a different pool each time: only the account-wide category binds
            limiter.acquire("DescribeUserPoolClient", f"us-east-1_{name}{n % 10}", "us-east-1")
        except Blocked as wait:
            heapq.heappush(turns, (at + wait.args[0], name, n))
            continue
        calls[name].append(at)
        heapq.heappush(turns, (at, name, n + 1))
    return calls


def in_window(stamps: list[float], start: float, stop: float) -> int:
    return sum(1 for s in stamps if start <= s < stop)


def test_background_calls_take_at_most_their_share_while_runs_call_and_all_when_none_do():
    """Runs call flat out for 10 s, a sweep throughout 20 s (UserPoolClientRead, 15 RPS)."""
    rate = CATEGORY_RPS["UserPoolClientRead"]
    calls = simulate(
        20.0,
        {
            "run": (0.0, 10.0, None),
            "sweep": (0.0, 20.0, lambda limiter: Yielding(limiter, 0.1)),
        },
    )
    run, sweep = calls["run"], calls["sweep"]
    # While runs call: the sweep gets at most 10% of the rate, the runs all the rest.
    assert in_window(sweep, 0, 10) <= 0.1 * rate * 10 + 1
    assert in_window(run, 0, 10) >= 0.9 * rate * 10 - 2
    assert in_window(run, 0, 10) + in_window(sweep, 0, 10) <= rate * 10 + 1  # never over quota
    # Once the runs are quiet for the demand hold, the sweep may use the whole rate (less the
    # limiter's few milliseconds of jitter per wait).
    quiet_from = 10.0 + DEMAND_HOLD_SECONDS
    assert in_window(sweep, quiet_from, 20) >= 0.9 * rate * (20 - quiet_from)


def test_a_queued_batch_makes_background_calls_yield_before_its_first_call():
    clock = [0.0]

    def sleep(seconds: float) -> None:
        raise Blocked(seconds)

    limiter = LocalRateLimiter(clock=lambda: clock[0], sleep=sleep)
    sweep = Yielding(limiter, 0.1)
    sweep.acquire("DescribeUserPoolClient", "us-east-1_a", "us-east-1")
    clock[0] = 0.1
    sweep.acquire("DescribeUserPoolClient", "us-east-1_b", "us-east-1")  # idle: full rate
    limiter.mark_demand()  # runs queued
    clock[0] = 0.2
    sweep.acquire("DescribeUserPoolClient", "us-east-1_c", "us-east-1")
    clock[0] = 0.3
    with pytest.raises(Blocked) as wait:
        sweep.acquire("DescribeUserPoolClient", "us-east-1_d", "us-east-1")
    assert wait.value.args[0] >= 1 / (0.1 * CATEGORY_RPS["UserPoolClientRead"]) - 0.1 - 0.01


def test_background_share_over_redis(redis_client):
    """A run's call marks demand for the hold; a background call then paces at its share."""
    limiter = RedisRateLimiter(redis_lib.Redis.from_url(TEST_REDIS_URL))
    sweep = Yielding(limiter, 0.5)
    for n in range(4):  # nothing queued: the sweep's own buckets are not even touched
        sweep.acquire("DescribeUserPoolClient", f"us-east-1_idle{n}", "us-east-1")
    assert not redis_client.keys("portal:rate:bg:*")
    limiter.acquire("CreateUserPoolClient", "us-east-1_run", "us-east-1")  # a run calls
    ttl = redis_client.pttl(limiter.prefix + DEMAND_KEY)
    assert 0 < ttl <= DEMAND_HOLD_SECONDS * 1000
    started = time.monotonic()
    for n in range(4):
        sweep.acquire("DescribeUserPoolClient", f"us-east-1_busy{n}", "us-east-1")
    # Four calls at half of 15 RPS: the fourth a full three intervals after the first.
    assert time.monotonic() - started >= 3 / (0.5 * CATEGORY_RPS["UserPoolClientRead"]) - 0.01
    assert redis_client.keys("portal:rate:bg:*")


def test_a_call_that_finishes_a_tenant_wakes_before_one_that_starts_another():
    """Waiters for a full UserPoolResourceUpdate slot race when it frees: a style (the last write
    of a tenant) always asks before a provider (the first), so a batch finishes what it started
    instead of leaving every style to its end (BENCHMARKS.md, "Fourth pass")."""
    styles = [wake_delay("CreateManagedLoginBranding") for _ in range(2000)]
    providers = [wake_delay("CreateIdentityProvider") for _ in range(2000)]
    assert max(styles) <= min(providers)
    assert max(providers) <= 0.003  # and neither is late for it by more than 3 ms
