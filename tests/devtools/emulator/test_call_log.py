"""The call log tests read: operation, pool, outcome, error code, request id, time."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def test_every_call_is_logged_in_order(emu, cognito, pool):
    emu.clear_calls()
    client_id = cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName="c")[
        "UserPoolClient"
    ]["ClientId"]
    with pytest.raises(ClientError) as exc:
        cognito.describe_managed_login_branding_by_client(
            UserPoolId=pool.user_pool_id, ClientId=client_id
        )
    cognito.describe_user_pool_domain(Domain=pool.domain)
    created = cognito.create_user_pool(PoolName="another")["UserPool"]["Id"]

    calls = emu.calls()
    assert [(c.operation, c.user_pool_id, c.outcome, c.error_code) for c in calls] == [
        ("CreateUserPoolClient", pool.user_pool_id, "ok", None),
        (
            "DescribeManagedLoginBrandingByClient",
            pool.user_pool_id,
            "error",
            "ResourceNotFoundException",
        ),
        ("DescribeUserPoolDomain", pool.user_pool_id, "ok", None),
        ("CreateUserPool", created, "ok", None),
    ]
    assert calls[1].request_id == exc.value.response["ResponseMetadata"]["RequestId"]
    assert len({c.request_id for c in calls}) == 4
    assert [c.at for c in calls] == sorted(c.at for c in calls)
    assert calls[0].at.tzinfo is not None


def test_injected_faults_are_logged_too(emu, cognito, pool):
    emu.clear_calls()
    emu.configure(throttle_rate=1.0)
    with pytest.raises(ClientError):
        cognito.describe_user_pool(UserPoolId=pool.user_pool_id)
    assert emu.calls()[-1].error_code == "TooManyRequestsException"


def test_seeding_is_not_logged_and_clear_empties(emu, cognito):
    emu.seed(pools=2)
    assert emu.calls() == []
    cognito.list_user_pools(MaxResults=10)
    assert len(emu.calls()) == 1
    emu.clear_calls()
    assert emu.calls() == []


def test_every_response_carries_a_request_id(emu, cognito, pool):
    ok = cognito.describe_user_pool(UserPoolId=pool.user_pool_id)
    headers = ok["ResponseMetadata"]["HTTPHeaders"]
    assert len(headers["x-amzn-requestid"]) == 36
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool(UserPoolId="us-east-1_missing")
    error_headers = exc.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert error_headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert len(error_headers["x-amzn-requestid"]) == 36
