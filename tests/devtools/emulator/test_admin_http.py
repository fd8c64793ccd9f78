"""The /_emulator/ control API and EmulatorAdmin, for an emulator in another process."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from portal.devtools.emulator import CallRecord, EmulatorAdmin
from tests.support.emulator import error_code


def test_admin_client_drives_the_emulator(emu, cognito):
    admin = EmulatorAdmin(emu.endpoint)
    assert admin.health()["status"] == "ok"

    pools = admin.seed(pools=1, classic_pools=1)
    assert [p.managed_login_version for p in pools] == [2, 1]
    pool_id = pools[0].user_pool_id
    cognito.describe_user_pool(UserPoolId=pool_id)
    calls = admin.calls()
    assert isinstance(calls[0], CallRecord)
    assert (calls[0].operation, calls[0].user_pool_id) == ("DescribeUserPool", pool_id)
    admin.clear_calls()
    assert admin.calls() == []

    quotas = admin.set_pool_quotas(pool_id, max_clients=1)
    assert quotas["max_clients"] == 1
    cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="one")
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="two")
    assert error_code(exc) == "LimitExceededException"

    config = admin.configure(throttle_rate=1.0, seed=3)
    assert config["throttle_rate"] == 1.0
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool(UserPoolId=pool_id)
    assert error_code(exc) == "TooManyRequestsException"

    admin.reset()
    assert admin.health()["throttle_rate"] == 0.0
    with pytest.raises(ClientError) as exc:
        cognito.describe_user_pool(UserPoolId=pool_id)
    assert error_code(exc) == "ResourceNotFoundException"


def test_bad_control_requests_get_4xx(emu):
    def call(method: str, path: str, body: bytes | None = None) -> int:
        url = f"{emu.endpoint}/_emulator{path}"
        request = urllib.request.Request(url, body, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                return 200
        except urllib.error.HTTPError as exc:
            json.loads(exc.read())
            return exc.code

    assert call("GET", "/nothing") == 404
    assert call("POST", "/config", json.dumps({"throttle_rate": 2}).encode()) == 400
    assert call("POST", "/config", json.dumps({"bogus": 1}).encode()) == 400
    assert call("POST", "/quotas", json.dumps({}).encode()) == 400
