"""Server-side checks from the service model (maximums, enums, patterns) that moto skips."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from portal.devtools.emulator.errors import CognitoError
from portal.devtools.emulator.rules import check_provider_name
from portal.devtools.emulator.unicode import compile_aws_pattern
from tests.support.emulator import error_code, make_client

PROVIDER_NAME = r"[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+"


def test_enum_maximum_and_pattern_errors_read_like_aws(emu, cognito, pool):
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(
            UserPoolId=pool.user_pool_id, ClientName="c", ExplicitAuthFlows=["ALLOW_MAGIC"]
        )
    assert error_code(exc) == "InvalidParameterException"
    message = exc.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value 'ALLOW_MAGIC' at ")
    assert "Member must satisfy enum value set" in message

    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName="x" * 129)
    assert "Member must have length less than or equal to 128" in str(exc.value)

    unchecked = make_client(emu.endpoint, Config(parameter_validation=False))
    with pytest.raises(ClientError) as exc:
        unchecked.describe_user_pool(UserPoolId="not a pool id")
    assert "Member must satisfy regular expression pattern" in str(exc.value)


def test_unknown_operation_is_refused(emu):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310
        emu.endpoint + "/",
        data=b"{}",
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.FlyToTheMoon",
            "Content-Type": "application/x-amz-json-1.1",
        },
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert exc.value.code == 400
    assert exc.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_plain_moto_accepts_a_bad_enum(plain_moto):
    with plain_moto() as moto:
        moto.client.create_user_pool_client(
            UserPoolId=moto.pool_id, ClientName="c", ExplicitAuthFlows=["ALLOW_MAGIC"]
        )


@pytest.mark.parametrize(
    "name",
    [
        "abc",
        "ab",
        "_ab",
        "a_b",
        "ab_",
        "a b",
        "a\u2003b",
        "Ökta",
        "1-2",
        "a.b.c",
        "ab\u00a0",
        "a\U0001f600c",
        "x" * 32,
        "x" * 33,
        "a\tbc",
    ],
)
def test_hand_written_name_rule_agrees_with_the_model_pattern(name):
    by_pattern = bool(compile_aws_pattern(PROVIDER_NAME).fullmatch(name)) and len(name) <= 32
    try:
        check_provider_name(name)
        by_rule = True
    except CognitoError:
        by_rule = False
    assert by_rule == by_pattern
