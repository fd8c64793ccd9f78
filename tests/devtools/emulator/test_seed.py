"""The ready start: pools with a domain, custom:groups absent."""

from __future__ import annotations


def test_default_seed_is_one_managed_login_pool(emu, cognito):
    pools = emu.seed()
    assert len(pools) == 1
    pool = pools[0]
    assert pool.region == "us-east-1"
    assert pool.tier == "ESSENTIALS"
    assert pool.managed_login_version == 2
    assert pool.domain.startswith("portal-demo-")
    assert pool.domain_url == f"https://{pool.domain}.auth.us-east-1.amazoncognito.com"
    assert pool.to_dict() == {
        "user_pool_id": pool.user_pool_id,
        "region": "us-east-1",
        "domain": pool.domain,
        "managed_login_version": 2,
        "tier": "ESSENTIALS",
    }
    described = cognito.describe_user_pool(UserPoolId=pool.user_pool_id)["UserPool"]
    assert described["Name"] == "demo-pool-1"
    assert described["UserPoolTier"] == "ESSENTIALS"
    assert described["Domain"] == pool.domain
    names = {a["Name"] for a in described["SchemaAttributes"]}
    assert "email" in names
    assert "custom:groups" not in names
    domain = cognito.describe_user_pool_domain(Domain=pool.domain)["DomainDescription"]
    assert domain["ManagedLoginVersion"] == 2


def test_more_pools_and_classic_ones(emu, cognito):
    pools = emu.seed(pools=2, classic_pools=1)
    assert [p.managed_login_version for p in pools] == [2, 2, 1]
    assert len({p.domain for p in pools}) == 3
    names = sorted(
        cognito.describe_user_pool(UserPoolId=p.user_pool_id)["UserPool"]["Name"] for p in pools
    )
    assert names == ["demo-classic-pool-1", "demo-pool-1", "demo-pool-2"]
    classic = cognito.describe_user_pool_domain(Domain=pools[2].domain)["DomainDescription"]
    assert classic["ManagedLoginVersion"] == 1
    again = emu.seed(pools=1)
    assert cognito.describe_user_pool(UserPoolId=again[0].user_pool_id)["UserPool"]["Name"] == (
        "demo-pool-3"
    )
