"""Client-secret rotation (moto 5.2 has none of these operations)."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.emulator import error_code, make_client


def test_the_generated_secret_is_the_first_one(cognito, pool, web_client):
    listed = cognito.list_user_pool_client_secrets(
        UserPoolId=pool.user_pool_id, ClientId=web_client["ClientId"]
    )["ClientSecrets"]
    assert len(listed) == 1
    assert "ClientSecretValue" not in listed[0]
    assert {"ClientSecretId", "ClientSecretCreateDate"} <= listed[0].keys()


def test_add_list_delete_rotation(cognito, pool, web_client):
    ids = {"UserPoolId": pool.user_pool_id, "ClientId": web_client["ClientId"]}
    old_secret = web_client["ClientSecret"]
    added = cognito.add_user_pool_client_secret(**ids)["ClientSecretDescriptor"]
    assert added["ClientSecretValue"] != old_secret
    assert 24 <= len(added["ClientSecretValue"]) <= 64

    listed = cognito.list_user_pool_client_secrets(**ids)["ClientSecrets"]
    assert [s["ClientSecretId"] for s in listed][1] == added["ClientSecretId"]
    assert all("ClientSecretValue" not in s for s in listed)
    # While two exist, Describe keeps showing the oldest (the emulator's documented choice).
    assert cognito.describe_user_pool_client(**ids)["UserPoolClient"]["ClientSecret"] == old_secret

    with pytest.raises(ClientError) as exc:
        cognito.add_user_pool_client_secret(**ids)
    assert error_code(exc) == "LimitExceededException"

    cognito.delete_user_pool_client_secret(**ids, ClientSecretId=listed[0]["ClientSecretId"])
    assert (
        cognito.describe_user_pool_client(**ids)["UserPoolClient"]["ClientSecret"]
        == (added["ClientSecretValue"])
    )
    with pytest.raises(ClientError) as exc:
        cognito.delete_user_pool_client_secret(**ids, ClientSecretId=added["ClientSecretId"])
    assert error_code(exc) == "InvalidParameterException"  # never the last one
    with pytest.raises(ClientError) as exc:
        cognito.delete_user_pool_client_secret(**ids, ClientSecretId="no-such-secret")
    assert error_code(exc) == "ResourceNotFoundException"


def test_caller_supplied_secret_is_validated(emu, cognito, pool, web_client):
    ids = {"UserPoolId": pool.user_pool_id, "ClientId": web_client["ClientId"]}
    unchecked = make_client(emu.endpoint, Config(parameter_validation=False))
    for bad in ("tooShortForAws", "has-dashes-which-the-pattern-refuses", "x" * 65):
        with pytest.raises(ClientError) as exc:
            unchecked.add_user_pool_client_secret(**ids, ClientSecret=bad)
        assert error_code(exc) == "InvalidParameterException", bad
    good = "ownSecretValue0123456789abcdef"
    added = cognito.add_user_pool_client_secret(**ids, ClientSecret=good)
    assert added["ClientSecretDescriptor"]["ClientSecretValue"] == good


def test_public_client_has_no_secrets_and_cannot_get_one(cognito, pool):
    client_id = cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName="spa")[
        "UserPoolClient"
    ]["ClientId"]
    ids = {"UserPoolId": pool.user_pool_id, "ClientId": client_id}
    assert cognito.list_user_pool_client_secrets(**ids)["ClientSecrets"] == []
    assert "ClientSecret" not in cognito.describe_user_pool_client(**ids)["UserPoolClient"]
    with pytest.raises(ClientError) as exc:
        cognito.add_user_pool_client_secret(**ids)
    assert error_code(exc) == "InvalidParameterException"


def test_secret_looks_like_a_cognito_secret(web_client):
    # moto's own secret is a UUID, which ClientSecretType's pattern [\w+]+ does not allow.
    assert "-" not in web_client["ClientSecret"]


def test_secret_supplied_at_creation_is_used(cognito, pool):
    secret = "suppliedAtCreation0123456789"
    client = cognito.create_user_pool_client(
        UserPoolId=pool.user_pool_id, ClientName="c", GenerateSecret=True, ClientSecret=secret
    )["UserPoolClient"]
    assert client["ClientSecret"] == secret


def test_unknown_client_is_not_found(cognito, pool):
    with pytest.raises(ClientError) as exc:
        cognito.list_user_pool_client_secrets(UserPoolId=pool.user_pool_id, ClientId="nothere")
    assert error_code(exc) == "ResourceNotFoundException"


def test_plain_moto_has_no_secret_rotation(plain_moto):
    with plain_moto() as moto:
        client_id = moto.client.create_user_pool_client(
            UserPoolId=moto.pool_id, ClientName="c", GenerateSecret=True
        )["UserPoolClient"]["ClientId"]
        with pytest.raises(NotImplementedError):
            moto.client.add_user_pool_client_secret(UserPoolId=moto.pool_id, ClientId=client_id)
