"""Injected latency, throttling and internal errors."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError

from portal.devtools.emulator.faults import Faults
from tests.support.emulator import error_code


def test_latency_with_jitter(emu, cognito, pool):
    emu.configure(latency_ms=80, jitter_ms=20)
    started = time.perf_counter()
    cognito.describe_user_pool(UserPoolId=pool.user_pool_id)
    assert time.perf_counter() - started >= 0.060


def test_calls_being_answered_are_listed_as_in_flight(emu, cognito, pool):
    # The fault trials read this at the moment they kill a worker: inside a call or between calls.
    emu.configure(latency_ms=400)
    caller = threading.Thread(
        target=cognito.describe_user_pool, kwargs={"UserPoolId": pool.user_pool_id}
    )
    caller.start()
    deadline = time.monotonic() + 2
    while not emu.in_flight() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emu.in_flight() == ["DescribeUserPool"]
    caller.join(5)
    assert emu.in_flight() == []


def test_throttling_changes_nothing(emu, cognito, pool):
    emu.configure(throttle_rate=1.0)
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName="c")
    assert error_code(exc) == "TooManyRequestsException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    emu.configure(throttle_rate=0.0)
    assert (
        cognito.list_user_pool_clients(UserPoolId=pool.user_pool_id, MaxResults=60)[
            "UserPoolClients"
        ]
        == []
    )


def test_internal_errors_change_nothing(emu, cognito, pool):
    emu.configure(error_rate=1.0)
    with pytest.raises(ClientError) as exc:
        cognito.add_custom_attributes(
            UserPoolId=pool.user_pool_id,
            CustomAttributes=[{"Name": "groups", "AttributeDataType": "String"}],
        )
    assert error_code(exc) == "InternalErrorException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    emu.configure(error_rate=0.0)
    schema = cognito.describe_user_pool(UserPoolId=pool.user_pool_id)["UserPool"][
        "SchemaAttributes"
    ]
    assert not any(a["Name"] == "custom:groups" for a in schema)


def test_secret_operations_report_internal_server_exception(emu, cognito, pool, web_client):
    emu.configure(error_rate=1.0)
    with pytest.raises(ClientError) as exc:
        cognito.list_user_pool_client_secrets(
            UserPoolId=pool.user_pool_id, ClientId=web_client["ClientId"]
        )
    assert error_code(exc) == "InternalServerException"


def test_seeded_faults_repeat_and_rates_mix():
    def run(seed: int) -> list[str | None]:
        faults = Faults()
        faults.configure(throttle_rate=0.3, error_rate=0.2, seed=seed)
        return [faults.draw() for _ in range(200)]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert 30 <= first.count("throttle") <= 90
    assert 15 <= first.count("error") <= 70
    assert None in first


def test_bad_settings_are_refused(emu):
    with pytest.raises(ValueError):
        emu.configure(throttle_rate=1.5)
    with pytest.raises(ValueError):
        emu.configure(nonsense=1)


def test_faults_are_off_by_default_and_after_reset(emu, cognito, pool):
    emu.configure(error_rate=1.0, latency_ms=5, denied_actions=["DescribeUserPool"])
    emu.reset()
    assert emu.app.config() == {
        "rate_limits": False,
        "denied_actions": [],
        "hide_supplied_secrets": False,
        "latency_ms": 0.0,
        "jitter_ms": 0.0,
        "throttle_rate": 0.0,
        "error_rate": 0.0,
        "seed": None,
    }
    pool_id = emu.seed()[0].user_pool_id
    for _ in range(10):
        cognito.describe_user_pool(UserPoolId=pool_id)


def test_a_denied_action_is_refused_like_iam_refuses_it(emu, cognito, pool):
    emu.configure(denied_actions=["DescribeUserPool"])
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool(UserPoolId=pool.user_pool_id)
    assert error_code(exc) == "AccessDeniedException"
    assert "cognito-idp:DescribeUserPool" in exc.value.response["Error"]["Message"]
    cognito.list_user_pool_clients(UserPoolId=pool.user_pool_id, MaxResults=1)  # others pass
