"""AddCustomAttributes: duplicates, name length, 50 a pool."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.emulator import error_code


def attrs(*names: str) -> list[dict[str, object]]:
    return [{"Name": n, "AttributeDataType": "String", "Mutable": True} for n in names]


def test_existing_name_is_refused(cognito, pool):
    cognito.add_custom_attributes(UserPoolId=pool.user_pool_id, CustomAttributes=attrs("groups"))
    with pytest.raises(ClientError) as exc:
        cognito.add_custom_attributes(
            UserPoolId=pool.user_pool_id, CustomAttributes=attrs("groups")
        )
    assert error_code(exc) == "InvalidParameterException"


def test_plain_moto_refuses_an_existing_name_too(plain_moto):
    with plain_moto() as moto:
        moto.client.add_custom_attributes(UserPoolId=moto.pool_id, CustomAttributes=attrs("g"))
        with pytest.raises(ClientError):
            moto.client.add_custom_attributes(UserPoolId=moto.pool_id, CustomAttributes=attrs("g"))


def test_same_name_twice_in_one_request_is_refused(cognito, pool):
    with pytest.raises(ClientError) as exc:
        cognito.add_custom_attributes(
            UserPoolId=pool.user_pool_id, CustomAttributes=attrs("roles", "roles")
        )
    assert error_code(exc) == "InvalidParameterException"


def test_names_longer_than_20_are_refused(cognito, pool):
    with pytest.raises(ClientError) as exc:
        cognito.add_custom_attributes(
            UserPoolId=pool.user_pool_id, CustomAttributes=attrs("a" * 21)
        )
    assert error_code(exc) == "InvalidParameterException"
    cognito.add_custom_attributes(UserPoolId=pool.user_pool_id, CustomAttributes=attrs("a" * 20))


def test_at_most_50_custom_attributes(cognito, pool):
    cognito.add_custom_attributes(
        UserPoolId=pool.user_pool_id, CustomAttributes=attrs(*(f"a{n}" for n in range(25)))
    )
    cognito.add_custom_attributes(
        UserPoolId=pool.user_pool_id, CustomAttributes=attrs(*(f"b{n}" for n in range(25)))
    )
    with pytest.raises(ClientError) as exc:
        cognito.add_custom_attributes(UserPoolId=pool.user_pool_id, CustomAttributes=attrs("c"))
    assert error_code(exc) == "LimitExceededException"


def test_plain_moto_takes_long_names_duplicates_and_a_51st(plain_moto):
    with plain_moto() as moto:
        add = moto.client.add_custom_attributes
        add(UserPoolId=moto.pool_id, CustomAttributes=attrs("a" * 21))
        add(UserPoolId=moto.pool_id, CustomAttributes=attrs("dup", "dup"))
        add(UserPoolId=moto.pool_id, CustomAttributes=attrs(*(f"a{n}" for n in range(24))))
        add(UserPoolId=moto.pool_id, CustomAttributes=attrs(*(f"b{n}" for n in range(24))))
        add(UserPoolId=moto.pool_id, CustomAttributes=attrs("c"))  # the 51st
        schema = moto.client.describe_user_pool(UserPoolId=moto.pool_id)["UserPool"][
            "SchemaAttributes"
        ]
        assert sum(a["Name"].startswith("custom:") for a in schema) == 51
