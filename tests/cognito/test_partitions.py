"""Host names per AWS partition: hosted UI, issuer, JWKS and ARNs outside the commercial one."""

from __future__ import annotations

import pytest

from portal.cognito.partitions import hosted_ui_host, issuer_url, partition_of
from portal.cognito.policy import pool_arn
from portal.models import UserPool


@pytest.mark.parametrize(
    ("region", "fips", "host", "issuer_host"),
    [
        ("eu-west-1", False, "login.auth.eu-west-1.amazoncognito.com", "amazonaws.com"),
        ("us-east-1", True, "login.auth-fips.us-east-1.amazoncognito.com", "amazonaws.com"),
        ("cn-north-1", False, "login.auth.cn-north-1.amazoncognito.com.cn", "amazonaws.com.cn"),
        ("cn-north-1", True, "login.auth.cn-north-1.amazoncognito.com.cn", "amazonaws.com.cn"),
        (
            "us-gov-west-1",
            False,
            "login.auth-fips.us-gov-west-1.amazoncognito.com",
            "amazonaws.com",
        ),
    ],
)
def test_hosted_ui_and_issuer_hosts_follow_the_partition(region, fips, host, issuer_host):
    assert hosted_ui_host("login", region, fips=fips) == host
    issuer = issuer_url(region, f"{region}_AbC")
    assert issuer == f"https://cognito-idp.{region}.{issuer_host}/{region}_AbC"
    assert "fips" not in issuer  # tokens never name a FIPS host


def test_boto3s_fips_switch_chooses_the_fips_domain(monkeypatch):
    pool = UserPool(user_pool_id="us-east-1_AbC", region="us-east-1", domain="login")
    pool.custom_domain = False
    assert pool.cognito_domain_url == "https://login.auth.us-east-1.amazoncognito.com"
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    assert pool.cognito_domain_url == "https://login.auth-fips.us-east-1.amazoncognito.com"
    assert pool.issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC"


def test_partition_names_come_from_botocore_and_reach_the_policy():
    assert partition_of("cn-northwest-1").name == "aws-cn"
    assert partition_of("us-gov-east-1").name == "aws-us-gov"
    assert partition_of("ap-southeast-7").name == "aws"
    assert pool_arn("cn-north-1_X", "cn-north-1", "123456789012").startswith("arn:aws-cn:")


def test_fips_switch_is_read_once_per_configuration_not_per_url(monkeypatch):
    """Each hosted URL asks for the switch; a botocore session per ask made the API list slow."""
    import botocore.session

    sessions = []
    real = botocore.session.get_session

    def counting(*args, **kwargs):
        sessions.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(botocore.session, "get_session", counting)
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "false")
    monkeypatch.setenv("AWS_PROFILE", "portal-test-once")  # a key no earlier test cached
    pool = UserPool(user_pool_id="us-east-1_AbC", region="us-east-1", domain="login")
    pool.custom_domain = False
    urls = {pool.cognito_domain_url for _ in range(50)}
    assert urls == {"https://login.auth.us-east-1.amazoncognito.com"}
    assert len(sessions) == 1
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    assert pool.cognito_domain_url == "https://login.auth-fips.us-east-1.amazoncognito.com"
    assert len(sessions) == 2
