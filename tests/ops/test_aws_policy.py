"""`portal aws-policy`: exactly the Cognito actions the portal calls, scoped to its pools."""

from __future__ import annotations

import json
from pathlib import Path

from portal.cognito.operations import (
    call_sites,
    is_operation,
    takes_user_pool,
    unnamed_call_sites,
    used_operations,
)
from portal.cognito.policy import build_policy
from portal.models import Tenant
from portal.services.audit.actors import acting_as
from portal.services.engine.queue import queue_onboarding
from portal.services.tenants.handover import reveal_credentials
from tests.support import factories as f

ACCOUNT = "123456789012"


def actions(document: dict) -> set[str]:
    return {a for s in document["Statement"] for a in s["Action"]}


def test_every_call_site_names_its_operation_literally() -> None:
    unnamed = unnamed_call_sites()
    assert not unnamed, (
        'pass the operation as a string literal, e.g. gateway.call("DescribeUserPool", ...), '
        f"so `portal aws-policy` can see it: {[str(s) for s in unnamed]}"
    )


def test_every_operation_called_is_a_real_cognito_operation() -> None:
    assert used_operations(), "the scan found no Cognito call at all"
    assert [op for op in used_operations() if not is_operation(op)] == []


def test_the_policy_allows_exactly_the_operations_in_the_code() -> None:
    policy = build_policy([("us-east-1_Abc123", "us-east-1")], ACCOUNT)
    assert actions(policy.document) == {f"cognito-idp:{op}" for op in used_operations()}


def test_everything_the_engine_really_calls_is_allowed(db, cognito_emulator, oidc_idp) -> None:
    """Register, onboard, reconcile, fail, resume, reveal: Cognito saw only allowed calls."""
    cognito_emulator.clear_calls()
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    assert f.run_now(run) == "succeeded"
    [again] = f.onboard(db.session.get(Tenant, tenant.id))  # a reconcile of a ready tenant
    assert f.run_now(again) == "succeeded"
    cognito_emulator.set_pool_quotas(pool.user_pool_id, max_identity_providers=0)
    [failing] = f.onboard(f.tenant("globex", oidc_idp))
    assert f.run_now(failing) == "failed"
    cognito_emulator.set_pool_quotas(pool.user_pool_id, max_identity_providers=300)
    with acting_as(f.TEST_ACTOR):
        [resumed] = queue_onboarding([db.session.get(Tenant, failing.tenant_id)])
        assert f.run_now(resumed) == "succeeded"
        reveal_credentials(db.session.get(Tenant, tenant.id))

    called = {call.operation for call in cognito_emulator.calls()}
    assert {"CreateUserPoolClient", "CreateIdentityProvider", "DescribeUserPoolDomain"} <= called
    allowed = actions(build_policy([(pool.user_pool_id, pool.region)], ACCOUNT).document)
    assert {f"cognito-idp:{op}" for op in called} <= allowed


def test_new_calls_are_picked_up_without_editing_any_list(tmp_path: Path) -> None:
    """What a merge adding lifecycle operations looks like to the scan."""
    module = tmp_path / "lifecycle.py"
    module.write_text(
        "def offboard(ctx):\n"
        '    ctx.gateway.call("DeleteIdentityProvider", ctx.pool_id, ProviderName="x")\n'
        '    for s in ctx.gateway.paginate("ListUserPoolClientSecrets", "ClientSecrets"):\n'
        "        pass\n"
        "    subprocess.call(['true'])\n",
        encoding="utf-8",
    )
    found = {s.operation for s in call_sites(roots=[tmp_path], excluded=[])}
    assert found == {"DeleteIdentityProvider", "ListUserPoolClientSecrets"}
    policy = build_policy([("eu-west-1_Xyz789", "eu-west-1")], ACCOUNT, operations=found)
    [statement] = policy.document["Statement"]
    assert set(statement["Action"]) == {
        "cognito-idp:DeleteIdentityProvider",
        "cognito-idp:ListUserPoolClientSecrets",
    }
    assert statement["Resource"] == [
        f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Xyz789"
    ]


def test_only_actions_without_a_user_pool_get_a_wildcard_resource() -> None:
    policy = build_policy(
        [("us-east-1_Abc123", "us-east-1"), ("cn-north-1_Def456", "cn-north-1")], ACCOUNT
    )
    scoped, unscoped = policy.document["Statement"]
    assert scoped["Resource"] == [
        f"arn:aws-cn:cognito-idp:cn-north-1:{ACCOUNT}:userpool/cn-north-1_Def456",
        f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_Abc123",
    ]
    # DescribeUserPoolDomain takes a domain, not a pool: IAM cannot scope it (no resource type).
    assert unscoped == {
        "Sid": "CognitoActionsWithoutResourceScope",
        "Effect": "Allow",
        "Action": ["cognito-idp:DescribeUserPoolDomain"],
        "Resource": "*",
    }
    assert takes_user_pool("CreateUserPoolClient") and not takes_user_pool("ListUserPools")
    assert policy.warnings == []


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["aws-policy", *args])


def test_cli_prints_the_policy_for_the_registered_pools(app, db, cognito_emulator) -> None:
    pool = f.pool(cognito_emulator)
    result = cli(app, "--account-id", ACCOUNT, "--pool", "eu-west-1_Next123", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Version"] == "2012-10-17"
    assert document["Statement"][0]["Resource"] == [
        f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Next123",
        f"arn:aws:cognito-idp:{pool.region}:{ACCOUNT}:userpool/{pool.user_pool_id}",
    ]
    assert actions(document) == {f"cognito-idp:{op}" for op in used_operations()}
    assert result.stderr == ""

    readable = cli(app, "--account-id", ACCOUNT)
    assert readable.exit_code == 0
    assert 'DescribeUserPoolDomain on "*"' in readable.stdout
    printed = json.loads(readable.stdout[readable.stdout.index("{") :])
    assert actions(printed) == actions(document)


def test_cli_without_an_account_id_warns_and_matches_any_account(app, db, cognito_emulator):
    pool = f.pool(cognito_emulator)
    result = cli(app, "--json")
    assert result.exit_code == 0
    assert "--account-id" in result.stderr
    [arn] = json.loads(result.stdout)["Statement"][0]["Resource"]
    assert arn == f"arn:aws:cognito-idp:{pool.region}:*:userpool/{pool.user_pool_id}"


def test_cli_without_any_pool_warns_that_the_policy_is_account_wide(app, db) -> None:
    result = cli(app, "--account-id", ACCOUNT, "--json")
    assert result.exit_code == 0
    assert "every user pool" in result.stderr
    assert json.loads(result.stdout)["Statement"][0]["Resource"] == [
        f"arn:aws:cognito-idp:*:{ACCOUNT}:userpool/*"
    ]


def test_cli_refuses_bad_input_with_exit_2(app, db) -> None:
    bad_account = cli(app, "--account-id", "12345")
    assert bad_account.exit_code == 2 and "12 digits" in bad_account.stderr
    bad_pool = cli(app, "--account-id", ACCOUNT, "--pool", "nonsense")
    assert bad_pool.exit_code == 2 and "--pool" in bad_pool.stderr
