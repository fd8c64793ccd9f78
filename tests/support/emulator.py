"""Helpers for the emulator's own tests: a boto3 client without retries, error codes, details."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

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


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class PlainMoto:
    """moto's in-process mock, for showing what moto lets through."""

    client: Any
    pool_id: str
