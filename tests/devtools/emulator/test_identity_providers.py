"""CreateIdentityProvider / UpdateIdentityProvider as strict as AWS."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.emulator import error_code, oidc_details


def create(cognito, pool_id, name="acme-okta", **kwargs):
    kwargs.setdefault("ProviderType", "OIDC")
    kwargs.setdefault("ProviderDetails", oidc_details())
    return cognito.create_identity_provider(UserPoolId=pool_id, ProviderName=name, **kwargs)


def test_duplicate_name_is_refused_and_the_first_provider_is_untouched(cognito, pool):
    create(cognito, pool.user_pool_id)
    with pytest.raises(ClientError) as exc:
        create(cognito, pool.user_pool_id, ProviderDetails=oidc_details(client_id="other"))
    assert error_code(exc) == "DuplicateProviderException"
    described = cognito.describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="acme-okta"
    )["IdentityProvider"]
    assert described["ProviderDetails"]["client_id"] == "okta-client-id"


def test_plain_moto_overwrites_a_duplicate(plain_moto):
    with plain_moto() as moto:
        create(moto.client, moto.pool_id)
        create(moto.client, moto.pool_id, ProviderDetails=oidc_details(client_id="other"))
        described = moto.client.describe_identity_provider(
            UserPoolId=moto.pool_id, ProviderName="acme-okta"
        )["IdentityProvider"]
        assert described["ProviderDetails"]["client_id"] == "other"


@pytest.mark.parametrize(
    "name",
    [
        "ab",  # the pattern needs at least three characters
        "_okta",  # may not start with an underscore
        "okta_",  # nor have one after the second character
        "acme okta",  # nor a space
        "okta\u00a0x",  # nor any other Unicode separator
        "x" * 33,  # 32 at most
    ],
)
def test_bad_provider_names(cognito, pool, name):
    with pytest.raises(ClientError) as exc:
        create(cognito, pool.user_pool_id, name=name)
    assert error_code(exc) == "InvalidParameterException"


@pytest.mark.parametrize("name", ["abc", "a_b", "Acme-Okta.2024", "Ökta-Ω", "x" * 32])
def test_good_provider_names(cognito, pool, name):
    assert create(cognito, pool.user_pool_id, name=name)["IdentityProvider"]["ProviderName"] == name


def test_plain_moto_accepts_a_two_character_name(plain_moto):
    with plain_moto() as moto:
        create(moto.client, moto.pool_id, name="ab")


@pytest.mark.parametrize(
    "details",
    [
        oidc_details(client_secret=None),
        oidc_details(client_id=None),
        oidc_details(authorize_scopes=None),
        oidc_details(oidc_issuer=None),
        oidc_details(attributes_request_method=None),
        oidc_details(attributes_request_method="PUT"),
        oidc_details(oidc_issuer="http://acme.okta.com"),  # http off localhost
        oidc_details(oidc_issuer="acme.okta.com"),  # not absolute
        oidc_details(oidc_issuer="https://acme.okta.com/#x"),
        oidc_details(token_url="http://acme.okta.com/token"),
        oidc_details(unknown_key="x"),
    ],
)
def test_oidc_details_are_checked(cognito, pool, details):
    with pytest.raises(ClientError) as exc:
        create(cognito, pool.user_pool_id, ProviderDetails=details)
    assert error_code(exc) == "InvalidParameterException"


def test_local_http_issuer_is_allowed_for_tests(cognito, pool):
    details = oidc_details(
        oidc_issuer="http://127.0.0.1:8123/oidc", attributes_request_method="POST"
    )
    provider = create(cognito, pool.user_pool_id, ProviderDetails=details)["IdentityProvider"]
    assert provider["ProviderDetails"] == details


def test_plain_moto_accepts_empty_details(plain_moto):
    with plain_moto() as moto:
        create(moto.client, moto.pool_id, ProviderDetails={})


def test_mapping_needs_existing_custom_attributes_mutable_or_not(cognito, pool):
    mapping = {"email": "email", "custom:groups": "groups"}
    with pytest.raises(ClientError) as exc:
        create(cognito, pool.user_pool_id, AttributeMapping=mapping)
    assert error_code(exc) == "InvalidParameterException"
    cognito.add_custom_attributes(
        UserPoolId=pool.user_pool_id,
        CustomAttributes=[
            {"Name": "groups", "AttributeDataType": "String", "Mutable": True},
            {"Name": "tenant", "AttributeDataType": "String", "Mutable": False},
        ],
    )
    # AWS accepts an immutable attribute here and fails the sign-in that writes it instead.
    create(cognito, pool.user_pool_id, "immutable", AttributeMapping={"custom:tenant": "tid"})
    provider = create(cognito, pool.user_pool_id, AttributeMapping=mapping)["IdentityProvider"]
    assert provider["AttributeMapping"] == mapping
    assert provider["UserPoolId"] == pool.user_pool_id


def test_plain_moto_maps_to_missing_attributes(plain_moto):
    with plain_moto() as moto:
        create(moto.client, moto.pool_id, AttributeMapping={"custom:groups": "groups"})


def test_update_keeps_the_details_it_is_not_sent_and_checks_the_result(cognito, pool):
    create(cognito, pool.user_pool_id)
    partial = cognito.update_identity_provider(
        UserPoolId=pool.user_pool_id,
        ProviderName="acme-okta",
        ProviderDetails={"client_id": "only-this"},
    )["IdentityProvider"]
    assert partial["ProviderDetails"] == oidc_details(client_id="only-this")
    with pytest.raises(ClientError) as exc:
        cognito.update_identity_provider(
            UserPoolId=pool.user_pool_id,
            ProviderName="acme-okta",
            ProviderDetails={"attributes_request_method": "PUT"},
        )
    assert error_code(exc) == "InvalidParameterException"
    new = oidc_details(oidc_issuer="https://login.example.org", authorize_scopes="openid")
    updated = cognito.update_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="acme-okta", ProviderDetails=new
    )["IdentityProvider"]
    assert updated["ProviderDetails"] == new
    with pytest.raises(ClientError) as exc:
        cognito.update_identity_provider(
            UserPoolId=pool.user_pool_id,
            ProviderName="acme-okta",
            AttributeMapping={"custom:missing": "x"},
        )
    assert error_code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        cognito.update_identity_provider(
            UserPoolId=pool.user_pool_id, ProviderName="nobody", ProviderDetails=new
        )
    assert error_code(exc) == "ResourceNotFoundException"


def test_describe_and_list_work_as_in_moto(cognito, pool):
    create(cognito, pool.user_pool_id, name="acme-okta")
    create(cognito, pool.user_pool_id, name="globex-entra")
    listed = cognito.list_identity_providers(UserPoolId=pool.user_pool_id, MaxResults=60)
    assert [p["ProviderName"] for p in listed["Providers"]] == ["acme-okta", "globex-entra"]
    cognito.delete_identity_provider(UserPoolId=pool.user_pool_id, ProviderName="acme-okta")
    with pytest.raises(ClientError) as exc:
        cognito.describe_identity_provider(UserPoolId=pool.user_pool_id, ProviderName="acme-okta")
    assert error_code(exc) == "ResourceNotFoundException"


def test_identity_provider_quota(emu, cognito, pool):
    emu.set_pool_quotas(pool.user_pool_id, max_identity_providers=2)
    create(cognito, pool.user_pool_id, name="idp-one")
    create(cognito, pool.user_pool_id, name="idp-two")
    with pytest.raises(ClientError) as exc:
        create(cognito, pool.user_pool_id, name="idp-three")
    assert error_code(exc) == "LimitExceededException"


def test_an_identifier_is_unique_in_a_pool_on_create_and_on_update(cognito, pool):
    """AWS: "Identifiers must be unique across the user pool" (developer guide)."""
    create(cognito, pool.user_pool_id, name="first", IdpIdentifiers=["acme.com"])
    with pytest.raises(ClientError) as exc:
        create(cognito, pool.user_pool_id, name="second", IdpIdentifiers=["acme.com"])
    assert error_code(exc) == "DuplicateProviderException"
    create(cognito, pool.user_pool_id, name="second", IdpIdentifiers=["beta.com"])
    with pytest.raises(ClientError) as exc:
        cognito.update_identity_provider(
            UserPoolId=pool.user_pool_id, ProviderName="second", IdpIdentifiers=["acme.com"]
        )
    assert error_code(exc) == "DuplicateProviderException"
    # the provider may keep (re-send) its own identifiers
    cognito.update_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="first", IdpIdentifiers=["acme.com", "a.io"]
    )
    first = cognito.describe_identity_provider(UserPoolId=pool.user_pool_id, ProviderName="first")
    assert first["IdentityProvider"]["IdpIdentifiers"] == ["acme.com", "a.io"]
