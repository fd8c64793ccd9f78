"""ManagedLoginVersion on domains and UserPoolTier on pools."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.emulator import error_code


def test_managed_login_version_is_kept_and_returned(cognito, pool):
    described = cognito.describe_user_pool_domain(Domain=pool.domain)["DomainDescription"]
    assert described["ManagedLoginVersion"] == 2
    assert described["UserPoolId"] == pool.user_pool_id
    assert described["AWSAccountId"].isdigit() and len(described["AWSAccountId"]) == 12


def test_default_version_is_one_and_update_switches_it(cognito):
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    created = cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="tenant-login-one")
    assert created["ManagedLoginVersion"] == 1
    assert (
        cognito.describe_user_pool_domain(Domain="tenant-login-one")["DomainDescription"][
            "ManagedLoginVersion"
        ]
        == 1
    )

    updated = cognito.update_user_pool_domain(
        UserPoolId=pool_id, Domain="tenant-login-one", ManagedLoginVersion=2
    )
    assert updated["ManagedLoginVersion"] == 2
    assert (
        cognito.describe_user_pool_domain(Domain="tenant-login-one")["DomainDescription"][
            "ManagedLoginVersion"
        ]
        == 2
    )


def test_version_two_is_refused_on_lite(cognito):
    pool_id = cognito.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]["Id"]
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_domain(
            UserPoolId=pool_id, Domain="lite-login", ManagedLoginVersion=2
        )
    assert error_code(exc) == "FeatureUnavailableInTierException"

    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="lite-login", ManagedLoginVersion=1)
    with pytest.raises(ClientError) as exc:
        cognito.update_user_pool_domain(
            UserPoolId=pool_id, Domain="lite-login", ManagedLoginVersion=2
        )
    assert error_code(exc) == "FeatureUnavailableInTierException"


def test_unknown_version_and_taken_or_reserved_domains_are_refused(cognito, pool):
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    for domain, version in [
        ("fresh-login", 3),  # only 1 and 2 exist
        (pool.domain, 1),  # already some pool's domain
        ("my-cognito-login", 1),  # reserved word
        ("Upper-Case", 1),  # prefix pattern
    ]:
        with pytest.raises(ClientError) as exc:
            cognito.create_user_pool_domain(
                UserPoolId=pool_id, Domain=domain, ManagedLoginVersion=version
            )
        assert error_code(exc) == "InvalidParameterException", domain
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="first-login")
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="second-login")
    assert error_code(exc) == "InvalidParameterException"


def test_delete_domain_forgets_it(cognito, pool):
    cognito.delete_user_pool_domain(UserPoolId=pool.user_pool_id, Domain=pool.domain)
    assert cognito.describe_user_pool_domain(Domain=pool.domain)["DomainDescription"] == {}


def test_user_pool_tier_defaults_to_essentials_and_is_kept(cognito):
    default = cognito.create_user_pool(PoolName="p")["UserPool"]
    assert default["UserPoolTier"] == "ESSENTIALS"
    assert cognito.describe_user_pool(UserPoolId=default["Id"])["UserPool"]["UserPoolTier"] == (
        "ESSENTIALS"
    )
    plus = cognito.create_user_pool(PoolName="q", UserPoolTier="PLUS")["UserPool"]["Id"]
    cognito.update_user_pool(UserPoolId=plus, MfaConfiguration="OFF")
    assert cognito.describe_user_pool(UserPoolId=plus)["UserPool"]["UserPoolTier"] == "PLUS"
    cognito.update_user_pool(UserPoolId=plus, UserPoolTier="LITE")
    assert cognito.describe_user_pool(UserPoolId=plus)["UserPool"]["UserPoolTier"] == "LITE"


def test_invalid_tier_is_refused(cognito):
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool(PoolName="p", UserPoolTier="GOLD")
    assert error_code(exc) == "InvalidParameterException"


def test_plain_moto_drops_the_version_and_the_tier(plain_moto):
    with plain_moto() as moto:
        moto.client.create_user_pool_domain(
            UserPoolId=moto.pool_id, Domain="tenant-login", ManagedLoginVersion=2
        )
        described = moto.client.describe_user_pool_domain(Domain="tenant-login")
        assert "ManagedLoginVersion" not in described["DomainDescription"]
        pool = moto.client.describe_user_pool(UserPoolId=moto.pool_id)["UserPool"]
        assert "UserPoolTier" not in pool


def test_a_custom_domain_may_be_longer_than_a_prefix(emu, cognito):
    pool_id = cognito.create_user_pool(PoolName="custom")["UserPool"]["Id"]
    long_name = "sign-in." + "tenant-portal." * 5 + "example.com"  # 89 characters
    config = {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}
    made = cognito.create_user_pool_domain(
        UserPoolId=pool_id, Domain=long_name, CustomDomainConfig=config
    )
    assert made["CloudFrontDomain"]
    with pytest.raises(ClientError) as exc:
        cognito.create_user_pool_domain(
            UserPoolId=pool_id, Domain="x" * 64 + ".example.com", CustomDomainConfig=config
        )
    assert error_code(exc) == "InvalidParameterException"
