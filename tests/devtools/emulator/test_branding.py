"""Managed-login branding styles (moto 5.2 has no branding operations)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.emulator import error_code


def test_create_describe_and_by_client_return_the_documented_shape(cognito, pool, web_client):
    created = cognito.create_managed_login_branding(
        UserPoolId=pool.user_pool_id, ClientId=web_client["ClientId"], UseCognitoProvidedValues=True
    )["ManagedLoginBranding"]
    assert created["UserPoolId"] == pool.user_pool_id
    assert created["UseCognitoProvidedValues"] is True
    assert {"ManagedLoginBrandingId", "CreationDate", "LastModifiedDate"} <= created.keys()

    by_id = cognito.describe_managed_login_branding(
        UserPoolId=pool.user_pool_id, ManagedLoginBrandingId=created["ManagedLoginBrandingId"]
    )["ManagedLoginBranding"]
    by_client = cognito.describe_managed_login_branding_by_client(
        UserPoolId=pool.user_pool_id, ClientId=web_client["ClientId"]
    )["ManagedLoginBranding"]
    assert by_id["ManagedLoginBrandingId"] == by_client["ManagedLoginBrandingId"]
    assert "Settings" not in by_id

    merged = cognito.describe_managed_login_branding(
        UserPoolId=pool.user_pool_id,
        ManagedLoginBrandingId=created["ManagedLoginBrandingId"],
        ReturnMergedResources=True,
    )["ManagedLoginBranding"]
    assert merged["Settings"]


def test_settings_style_is_stored_and_update_merges(cognito, pool, web_client):
    settings = {"components": {"pageBackground": {"lightMode": {"color": "ffffffff"}}}}
    created = cognito.create_managed_login_branding(
        UserPoolId=pool.user_pool_id, ClientId=web_client["ClientId"], Settings=settings
    )["ManagedLoginBranding"]
    assert created["UseCognitoProvidedValues"] is False
    assert created["Settings"] == settings

    updated = cognito.update_managed_login_branding(
        UserPoolId=pool.user_pool_id,
        ManagedLoginBrandingId=created["ManagedLoginBrandingId"],
        Settings={"components": {"form": {"borderRadius": 4}}},
    )["ManagedLoginBranding"]
    assert updated["Settings"]["components"] == {
        "pageBackground": {"lightMode": {"color": "ffffffff"}},
        "form": {"borderRadius": 4},
    }

    reset = cognito.update_managed_login_branding(
        UserPoolId=pool.user_pool_id,
        ManagedLoginBrandingId=created["ManagedLoginBrandingId"],
        UseCognitoProvidedValues=True,
    )["ManagedLoginBranding"]
    assert reset["UseCognitoProvidedValues"] is True
    assert "Settings" not in reset


@pytest.mark.parametrize(
    "content",
    [
        {},  # neither defaults nor settings
        {"UseCognitoProvidedValues": True, "Settings": {"components": {}}},  # both
        {"UseCognitoProvidedValues": False},
    ],
)
def test_exactly_one_of_defaults_or_settings(cognito, pool, web_client, content):
    with pytest.raises(ClientError) as exc:
        cognito.create_managed_login_branding(
            UserPoolId=pool.user_pool_id, ClientId=web_client["ClientId"], **content
        )
    assert error_code(exc) == "InvalidParameterException"


def test_one_style_per_client(cognito, pool, web_client):
    args = {"UserPoolId": pool.user_pool_id, "ClientId": web_client["ClientId"]}
    cognito.create_managed_login_branding(**args, UseCognitoProvidedValues=True)
    with pytest.raises(ClientError) as exc:
        cognito.create_managed_login_branding(**args, UseCognitoProvidedValues=True)
    assert error_code(exc) == "ManagedLoginBrandingExistsException"


def test_at_most_twenty_styles_per_pool(cognito, pool):
    def new_client(n: int) -> str:
        return cognito.create_user_pool_client(UserPoolId=pool.user_pool_id, ClientName=f"c{n}")[
            "UserPoolClient"
        ]["ClientId"]

    for n in range(20):
        cognito.create_managed_login_branding(
            UserPoolId=pool.user_pool_id, ClientId=new_client(n), UseCognitoProvidedValues=True
        )
    twenty_first = new_client(20)
    with pytest.raises(ClientError) as exc:
        cognito.create_managed_login_branding(
            UserPoolId=pool.user_pool_id, ClientId=twenty_first, UseCognitoProvidedValues=True
        )
    assert error_code(exc) == "LimitExceededException"


def test_unknown_pool_client_or_style_is_not_found(cognito, pool, web_client):
    calls = [
        lambda: cognito.create_managed_login_branding(
            UserPoolId=pool.user_pool_id, ClientId="nosuchclient", UseCognitoProvidedValues=True
        ),
        lambda: cognito.create_managed_login_branding(
            UserPoolId="us-east-1_nosuchpool", ClientId="abc", UseCognitoProvidedValues=True
        ),
        lambda: cognito.describe_managed_login_branding_by_client(
            UserPoolId=pool.user_pool_id, ClientId=web_client["ClientId"]
        ),
        lambda: cognito.describe_managed_login_branding(
            UserPoolId=pool.user_pool_id,
            ManagedLoginBrandingId="9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
        ),
        lambda: cognito.delete_managed_login_branding(
            UserPoolId=pool.user_pool_id,
            ManagedLoginBrandingId="9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "ResourceNotFoundException"


def test_delete_style_then_deleting_a_client_deletes_its_style(cognito, pool, web_client):
    args = {"UserPoolId": pool.user_pool_id, "ClientId": web_client["ClientId"]}
    style = cognito.create_managed_login_branding(**args, UseCognitoProvidedValues=True)[
        "ManagedLoginBranding"
    ]
    cognito.delete_managed_login_branding(
        UserPoolId=pool.user_pool_id, ManagedLoginBrandingId=style["ManagedLoginBrandingId"]
    )
    with pytest.raises(ClientError):
        cognito.describe_managed_login_branding_by_client(**args)

    style = cognito.create_managed_login_branding(**args, UseCognitoProvidedValues=True)[
        "ManagedLoginBranding"
    ]
    cognito.delete_user_pool_client(**args)
    with pytest.raises(ClientError) as exc:
        cognito.describe_managed_login_branding(
            UserPoolId=pool.user_pool_id, ManagedLoginBrandingId=style["ManagedLoginBrandingId"]
        )
    assert error_code(exc) == "ResourceNotFoundException"


def test_lite_pool_cannot_have_a_style(cognito, emu):
    pool_id = cognito.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="c")[
        "UserPoolClient"
    ]["ClientId"]
    with pytest.raises(ClientError) as exc:
        cognito.create_managed_login_branding(
            UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True
        )
    assert error_code(exc) == "FeatureUnavailableInTierException"


def test_plain_moto_has_no_branding_at_all(plain_moto):
    with plain_moto() as moto:
        client_id = moto.client.create_user_pool_client(UserPoolId=moto.pool_id, ClientName="c")[
            "UserPoolClient"
        ]["ClientId"]
        with pytest.raises(NotImplementedError):
            moto.client.create_managed_login_branding(
                UserPoolId=moto.pool_id, ClientId=client_id, UseCognitoProvidedValues=True
            )


def test_a_lite_pool_answers_operation_not_enabled_for_a_clients_style(cognito, pool, web_client):
    # botocore model: DescribeManagedLoginBrandingByClient lists OperationNotEnabledException.
    cognito.update_user_pool(UserPoolId=pool.user_pool_id, UserPoolTier="LITE")
    with pytest.raises(ClientError) as exc:
        cognito.describe_managed_login_branding_by_client(
            UserPoolId=pool.user_pool_id, ClientId=web_client["ClientId"]
        )
    assert error_code(exc) == "OperationNotEnabledException"
