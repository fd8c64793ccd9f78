"""Fixtures: one emulator for the session, reset and seeded for every test; plain moto beside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from portal.devtools.emulator import Emulator, EmulatorPool
from portal.devtools.emulator.ratelimit import RateLimiter

REGION = "us-east-1"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def make_client(endpoint: str | None = None, config: Config | None = None) -> Any:
    """A cognito-idp client with dummy credentials and no silent retries."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=NO_RETRIES.merge(config) if config else NO_RETRIES,
    )


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    """The AWS error code botocore parsed."""
    return exc.value.response["Error"]["Code"]


def oidc_details(**overrides: str) -> dict[str, str]:
    """Valid OIDC ProviderDetails, with changes."""
    details = {
        "client_id": "okta-client-id",
        "client_secret": "okta-client-secret",
        "authorize_scopes": "openid email",
        "oidc_issuer": "https://acme.okta.com",
        "attributes_request_method": "GET",
    }
    details.update(overrides)
    return {k: v for k, v in details.items() if v is not None}


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One running emulator for the whole test session."""
    emu = Emulator(region=REGION).start()
    yield emu
    emu.stop()


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    """The emulator, emptied (moto's state too) with faults and quotas off, real clock."""
    emulator.reset()
    emulator.app.limiter = RateLimiter()
    return emulator


@pytest.fixture
def pool(emu: Emulator) -> EmulatorPool:
    """One seeded managed-login pool (ESSENTIALS, domain on version 2, no custom:groups)."""
    return emu.seed(pools=1)[0]


@pytest.fixture
def cognito(emu: Emulator) -> Any:
    """A boto3 client pointed at the emulator."""
    return make_client(emu.endpoint)


@pytest.fixture
def web_client(cognito: Any, pool: EmulatorPool) -> dict[str, Any]:
    """A confidential app client in the seeded pool."""
    return cognito.create_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientName="tenant-web", GenerateSecret=True
    )["UserPoolClient"]


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def frozen_clock(emu: Emulator) -> FakeClock:
    """Freeze the emulator's rate-limit clock, so quota tests do not depend on speed."""
    clock = FakeClock()
    emu.app.limiter = RateLimiter(clock)
    return clock


@dataclass
class PlainMoto:
    """moto's in-process mock, for showing what moto lets through."""

    client: Any
    pool_id: str


@pytest.fixture
def plain_moto() -> Callable[[], Any]:
    """A context manager factory: `with plain_moto() as moto:`.

    mock_aws resets moto's global backends, which the emulator shares, so a test uses it
    only after it is done with the emulator (the next test resets the emulator anyway).
    """

    @contextmanager
    def run() -> Iterator[PlainMoto]:
        with mock_aws():
            # An explicit AWS URL: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER may be set by
            # other fixtures in the session, and moto's mock only intercepts AWS's own URLs.
            client = make_client(f"https://cognito-idp.{REGION}.amazonaws.com")
            pool_id = client.create_user_pool(PoolName="plain-moto")["UserPool"]["Id"]
            yield PlainMoto(client, pool_id)

    return run
