"""The shared rate limiter keeps every worker together under Cognito's quotas."""

from __future__ import annotations

import threading
import time

import pytest
import redis as redis_lib

from portal.cognito.limiter import LocalRateLimiter, RedisRateLimiter, buckets
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
