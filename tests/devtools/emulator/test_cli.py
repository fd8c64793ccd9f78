"""`python -m portal.devtools.emulator` (the same click command as `portal emulator`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import boto3
import pytest

from portal.devtools.emulator import EmulatorAdmin
from tests.support.emulator import make_client
from tests.support.environment import ROOT

pytestmark = [pytest.mark.slow]


def start(*extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "portal.devtools.emulator", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def emulator_process(processes):
    processes.append(
        start("--pools", "1", "--classic-pools", "1", "--rate-limits", "--latency-ms", "1")
    )
    return processes[-1]


def test_first_line_is_json_and_boto3_finds_it_through_the_environment(
    emulator_process, monkeypatch
):
    info = json.loads(emulator_process.stdout.readline())
    assert info["endpoint"].startswith("http://127.0.0.1:")
    assert [p["managed_login_version"] for p in info["pools"]] == [2, 1]
    assert set(info["pools"][0]) == {
        "user_pool_id",
        "region",
        "domain",
        "managed_login_version",
        "tier",
    }

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", info["endpoint"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # botocore 1.44 reads only this one
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    client = boto3.session.Session().client("cognito-idp")
    pool = client.describe_user_pool(UserPoolId=info["pools"][0]["user_pool_id"])["UserPool"]
    assert pool["UserPoolTier"] == "ESSENTIALS"
    health = EmulatorAdmin(info["endpoint"]).health()
    assert health["rate_limits"] is True
    assert health["latency_ms"] == 1

    emulator_process.send_signal(signal.SIGTERM)
    assert emulator_process.wait(timeout=10) == 0
    assert emulator_process.stdout.read() == ""  # nothing but the JSON line on stdout


def test_state_file_keeps_pools_and_clients_across_restarts(processes, tmp_path):
    state = tmp_path / "emulator-state.json"
    processes.append(start("--state-file", str(state)))
    first = json.loads(processes[-1].stdout.readline())
    pool_id = first["pools"][0]["user_pool_id"]
    cognito = make_client(first["endpoint"])
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="kept", GenerateSecret=True
    )["UserPoolClient"]
    processes[-1].send_signal(signal.SIGINT)
    assert processes[-1].wait(timeout=10) == 0
    assert "stopped" in processes[-1].stderr.read()

    processes.append(start("--state-file", str(state)))
    second = json.loads(processes[-1].stdout.readline())
    assert second["pools"] == first["pools"]
    described = make_client(second["endpoint"]).describe_user_pool_client(
        UserPoolId=pool_id, ClientId=client["ClientId"]
    )["UserPoolClient"]
    assert described["ClientSecret"] == client["ClientSecret"]
    processes[-1].send_signal(signal.SIGTERM)
    assert processes[-1].wait(timeout=10) == 0
