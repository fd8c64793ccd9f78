"""Saving and restoring state (what `--state-file` uses)."""

from __future__ import annotations

from tests.support.emulator import oidc_details


def test_save_reset_load_gives_back_the_same_answers(emu, cognito, pool, tmp_path):
    pool_id = pool.user_pool_id
    cognito.add_custom_attributes(
        UserPoolId=pool_id,
        CustomAttributes=[{"Name": "groups", "AttributeDataType": "String", "Mutable": True}],
    )
    cognito.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="acme-okta",
        ProviderType="OIDC",
        ProviderDetails=oidc_details(),
        AttributeMapping={"email": "email", "custom:groups": "groups"},
    )
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="tenant",
        GenerateSecret=True,
        SupportedIdentityProviders=["acme-okta"],
        WriteAttributes=["email", "custom:groups"],
    )["UserPoolClient"]
    ids = {"UserPoolId": pool_id, "ClientId": client["ClientId"]}
    cognito.create_managed_login_branding(**ids, UseCognitoProvidedValues=True)
    cognito.add_user_pool_client_secret(**ids)
    emu.set_pool_quotas(pool_id, max_clients=7)

    def snapshot() -> dict:
        return {
            "pool": cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"],
            "domain": cognito.describe_user_pool_domain(Domain=pool.domain)["DomainDescription"],
            "client": cognito.describe_user_pool_client(**ids)["UserPoolClient"],
            "provider": cognito.describe_identity_provider(
                UserPoolId=pool_id, ProviderName="acme-okta"
            )["IdentityProvider"],
            "style": cognito.describe_managed_login_branding_by_client(**ids)[
                "ManagedLoginBranding"
            ],
            "secrets": cognito.list_user_pool_client_secrets(**ids)["ClientSecrets"],
        }

    before = snapshot()
    path = tmp_path / "state.json"
    emu.save(path, [pool])
    emu.reset()
    assert emu.load(path) == [pool]
    after = snapshot()
    for key in before:
        assert after[key] == before[key], key
    assert emu.app.state.pool_quotas(pool_id).max_clients == 7
