"""Request-rate quotas: per category per account, and 5 RPS per operation per pool."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from portal.devtools.emulator.ratelimit import (
    CATEGORY_BY_OPERATION,
    CATEGORY_RPS,
    PER_POOL_OPERATION_RPS,
    RateLimiter,
)
from tests.support.emulator import FakeClock, error_code


def test_the_table_carries_aws_numbers():
    assert CATEGORY_RPS["UserPoolClientUpdate"] == 15
    assert CATEGORY_RPS["UserPoolClientRead"] == 15
    assert CATEGORY_RPS["UserPoolResourceUpdate"] == 15
    assert CATEGORY_RPS["UserPoolResourceRead"] == 20
    assert CATEGORY_RPS["UserPoolRead"] == 15
    assert PER_POOL_OPERATION_RPS == 5
    assert CATEGORY_BY_OPERATION["UpdateUserPoolClient"] == "UserPoolClientUpdate"
    assert CATEGORY_BY_OPERATION["AddUserPoolClientSecret"] == "UserPoolClientUpdate"
    assert CATEGORY_BY_OPERATION["ListUserPoolClientSecrets"] == "UserPoolClientRead"
    assert CATEGORY_BY_OPERATION["CreateIdentityProvider"] == "UserPoolResourceUpdate"
    assert CATEGORY_BY_OPERATION["CreateManagedLoginBranding"] == "UserPoolResourceUpdate"
    assert CATEGORY_BY_OPERATION["AddCustomAttributes"] == "UserPoolResourceUpdate"
    assert CATEGORY_BY_OPERATION["DescribeManagedLoginBrandingByClient"] == "UserPoolResourceRead"
    assert CATEGORY_BY_OPERATION["DescribeUserPoolDomain"] == "UserPoolResourceRead"
    assert CATEGORY_BY_OPERATION["DescribeUserPool"] == "UserPoolRead"


def test_token_buckets_burst_then_refill_continuously():
    clock = FakeClock()
    limiter = RateLimiter(clock)

    def allow(pool: str) -> bool:
        return limiter.allow("DescribeUserPoolClient", pool, "123456789012", "us-east-1")

    assert [allow("pool-a") for _ in range(6)] == [True] * 5 + [False]  # 5 per pool
    assert all(allow(f"pool-{n}") for n in range(10))  # 15 account-wide in all
    assert not allow("pool-z")
    clock.now += 0.2  # 0.2 s at 15 RPS earns 3 tokens
    assert [allow(f"pool-new-{n}") for n in range(4)] == [True, True, True, False]
    assert limiter.allow("DescribeUserPoolClient", "x", "123456789012", "eu-west-1")  # own Region


def test_unlisted_operations_are_not_limited():
    limiter = RateLimiter(FakeClock())
    assert all(limiter.allow("AdminGetUser", "p", "1", "r") for _ in range(100))


def test_off_by_default(cognito, pool):
    for _ in range(25):
        cognito.describe_user_pool(UserPoolId=pool.user_pool_id)


def test_five_per_second_per_operation_per_pool_and_throttled_calls_change_nothing(
    emu, cognito, pool, frozen_clock
):
    emu.configure(rate_limits=True)
    for n in range(5):
        cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName=f"c{n}")
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName="sixth")
    assert error_code(exc) == "TooManyRequestsException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Error"]["Message"] == "Too many requests"
    # Another operation of the same category on the same pool has its own 5 per second.
    clients = cognito.list_user_pool_clients(UserPoolId=pool.user_pool_id, MaxResults=60)
    assert len(clients["UserPoolClients"]) == 5  # the throttled call created nothing
    frozen_clock.now += 0.2  # one token at 5 RPS
    cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName="later")
    with pytest.raises(ClientError):
        cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName="too-soon")


def test_buckets_refill_in_real_time(emu, cognito, pool):
    emu.configure(rate_limits=True)
    throttled_at = None
    for n in range(40):
        try:
            cognito.describe_user_pool_domain(Domain=pool.domain)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "TooManyRequestsException"
            throttled_at = n
            break
    assert throttled_at is not None and throttled_at >= 5
    time.sleep(0.25)  # a little more than one token at 5 RPS
    cognito.describe_user_pool_domain(Domain=pool.domain)


def test_category_quota_is_account_wide(emu, cognito, frozen_clock):
    pools = [p.user_pool_id for p in emu.seed(pools=4)]
    emu.configure(rate_limits=True)
    outcomes = []
    for n in range(16):
        with pytest.raises(ClientError) as exc:
            cognito.describe_user_pool_client(UserPoolId=pools[n % 4], ClientId="nothere")
        outcomes.append(error_code(exc))
    assert outcomes[:15] == ["ResourceNotFoundException"] * 15
    assert outcomes[15] == "TooManyRequestsException"


def test_user_pool_read_has_no_per_pool_cap(emu, cognito, pool, frozen_clock):
    emu.configure(rate_limits=True)
    for _ in range(15):
        cognito.describe_user_pool(UserPoolId=pool.user_pool_id)
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool(UserPoolId=pool.user_pool_id)
    assert error_code(exc) == "TooManyRequestsException"


def test_reset_switches_rate_limits_off(emu, cognito, pool):
    emu.configure(rate_limits=True)
    emu.reset()
    pool_id = emu.seed()[0].user_pool_id
    for _ in range(20):
        cognito.describe_user_pool(UserPoolId=pool_id)
