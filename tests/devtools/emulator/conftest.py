"""Fixtures: one emulator for the session, reset and seeded for every test; plain moto beside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto import mock_aws

from portal.devtools.emulator import Emulator, EmulatorPool
from portal.devtools.emulator.ratelimit import RateLimiter
from tests.support.emulator import REGION, FakeClock, PlainMoto, make_client


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


@pytest.fixture
def frozen_clock(emu: Emulator) -> FakeClock:
    """Freeze the emulator's rate-limit clock, so quota tests do not depend on speed."""
    clock = FakeClock()
    emu.app.limiter = RateLimiter(clock)
    return clock


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
