"""`portal pools check` and the refusals of `pools add`: what AWS would make fail later."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.models import UserPool
from tests.support import factories as f


def pool_with_domain(cognito, version: int = 2, **create) -> str:
    pool_id = cognito.create_user_pool(PoolName="checked", **create)["UserPool"]["Id"]
    cognito.create_user_pool_domain(
        UserPoolId=pool_id, Domain=f"check-{pool_id[-8:].lower()}", ManagedLoginVersion=version
    )
    return pool_id


def resources(cognito, pool_id: str) -> tuple:
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    return (
        cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"],
        cognito.list_identity_providers(UserPoolId=pool_id, MaxResults=60)["Providers"],
        sorted(a["Name"] for a in pool["SchemaAttributes"]),
    )


def test_a_good_pool_passes_and_the_check_changes_nothing(cli, db, cognito_emulator):
    seeded = cognito_emulator.seed(pools=1)[0]
    cognito = f.cognito_client()
    cognito.add_custom_attributes(
        UserPoolId=seeded.user_pool_id,
        CustomAttributes=[{"Name": "groups", "AttributeDataType": "String", "Mutable": True}],
    )
    before = resources(cognito, seeded.user_pool_id)
    for _ in range(2):  # twice: a check is a read, whatever it probes
        result = cli("pools", "check", seeded.user_pool_id, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["can_take_tenants"] is True
        assert report["pool"]["managed_login_version"] == 2
        assert report["pool"]["feature_plan"] == "ESSENTIALS"
        assert set(report["permissions"].values()) == {"allowed"}
        assert resources(cognito, seeded.user_pool_id) == before
    topics = {(x["topic"], x["severity"]) for x in report["findings"]}
    # moto reports no deletion protection: unknown is a warning, never a refusal.
    assert ("deletion protection", "warning") in topics
    assert ("custom:groups", "ok") in topics
    assert db.session.scalars(select(UserPool)).all() == []  # checking registers nothing


def test_required_attributes_and_immutable_email_are_refused_by_name(cli, db, cognito_emulator):
    cognito = f.cognito_client()
    pool_id = pool_with_domain(
        cognito,
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Mutable": False},
            {"Name": "name", "AttributeDataType": "String", "Required": True},
            {"Name": "phone_number", "AttributeDataType": "String", "Required": True},
        ],
    )
    result = cli("pools", "check", pool_id)
    assert result.exit_code == 1
    assert "FAIL  required attributes" in result.stdout
    assert "name, phone_number" in result.stdout and "email is not mutable" in result.stdout
    assert "cannot take tenants" in result.stdout

    added = cli("pools", "add", pool_id)
    assert added.exit_code == 2
    assert "name, phone_number" in added.stderr and "email is not mutable" in added.stderr
    assert db.session.scalars(select(UserPool)).all() == []


def test_a_missing_permission_is_named_with_the_policy_line(cli, db, cognito_emulator):
    seeded = cognito_emulator.seed(pools=1)[0]
    cognito_emulator.configure(denied_actions=["CreateUserPoolClient", "AdminDeleteUser"])
    result = cli("pools", "check", seeded.user_pool_id, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["permissions"]["CreateUserPoolClient"] == "missing"
    assert report["permissions"]["AdminDeleteUser"] == "missing"
    assert report["permissions"]["UpdateUserPoolClient"] == "allowed"
    blocking = [x["message"] for x in report["findings"] if x["severity"] == "blocking"]
    assert len(blocking) == 2
    [create] = [m for m in blocking if "cognito-idp:CreateUserPoolClient" in m]
    assert f"portal aws-policy --pool {seeded.user_pool_id}" in create
    assert cli("pools", "add", seeded.user_pool_id).exit_code == 2


def test_full_quotas_and_no_domain_block_and_bad_usage_is_exit_2(cli, db, cognito_emulator):
    cognito = f.cognito_client()
    bare = cognito.create_user_pool(PoolName="bare")["UserPool"]["Id"]
    result = cli("pools", "check", bare, "--json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [x["topic"] for x in findings if x["severity"] == "blocking"] == ["domain"]

    classic = pool_with_domain(cognito, version=1)
    cognito.create_user_pool_client(UserPoolId=classic, ClientName="someone-elses")
    full = cli("pools", "add", classic, "--max-clients", "1")
    assert full.exit_code == 2 and "app clients 1/1: full" in full.stderr
    assert cli("pools", "check", "us-east-1_doesnotexist").exit_code == 2
    assert cli("pools", "check", "not-a-pool-id").exit_code == 2


@pytest.mark.slow  # one check per operation the portal calls
def test_each_permission_probe_notices_its_own_action_missing(db, cognito_emulator):
    from portal.cognito.operations import used_operations
    from portal.cognito.pool_check import PROBES
    from portal.services.pools.registry import inspect_pool

    read_by_the_check = {"DescribeUserPool", "ListUserPoolClients", "ListIdentityProviders"}

    seeded = cognito_emulator.seed(pools=1)[0]
    f.cognito_client().add_custom_attributes(
        UserPoolId=seeded.user_pool_id,
        CustomAttributes=[{"Name": "groups", "AttributeDataType": "String", "Mutable": True}],
    )
    for operation in used_operations():
        if operation not in PROBES and operation not in read_by_the_check:
            continue  # a new operation without a probe is reported "not checked" (a warning)
        cognito_emulator.configure(denied_actions=[operation])
        check = inspect_pool(seeded.user_pool_id)
        assert check.permissions.get(operation) == "missing", operation
        assert not check.can_take_tenants, operation
        others = {op: state for op, state in check.permissions.items() if op != operation}
        assert set(others.values()) <= {"allowed", "not checked"}, (operation, others)
