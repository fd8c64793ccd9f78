"""`portal selftest aws`: the live smoke test, run here against the emulator (--emulator)."""

from __future__ import annotations

import json

import pytest

from tests.support import factories as f

pytestmark = [pytest.mark.slow]  # several runs end to end


def clients(pool_id: str) -> list[str]:
    listed = f.cognito_client().list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    return [c["ClientName"] for c in listed["UserPoolClients"]]


def test_selftest_onboards_checks_changes_and_removes_a_tenant(cli, db, cognito_emulator, oidc_idp):
    pool_id = f.pool(cognito_emulator).user_pool_id
    refused = cli("selftest", "aws", "--pool", pool_id, "--issuer", oidc_idp)
    assert refused.exit_code == 2 and "--emulator" in refused.stderr  # never by accident
    assert clients(pool_id) == []

    result = cli("selftest", "aws", "--pool", pool_id, "--issuer", oidc_idp, "--emulator", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["target"] == "emulator"
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    for name in (
        "pool can take tenants",
        "onboarding run",
        "app client OAuth settings",
        "identity provider details",
        "attribute mapping",
        "managed-login style",
        "drift",
        "plan shows the change",
        "change applied",
        "nothing left to apply",
        "offboarding run",
        "nothing left in Cognito",
    ):
        assert statuses[name] == "pass", name
    assert statuses["hosted pages"] == "skip"  # only a real account can answer
    assert clients(pool_id) == []


def test_selftest_keep_leaves_the_tenant_and_a_bad_pool_is_exit_2(
    cli, db, cognito_emulator, oidc_idp
):
    pool_id = f.pool(cognito_emulator).user_pool_id
    kept = cli("selftest", "aws", "--pool", pool_id, "--issuer", oidc_idp, "--emulator", "--keep")
    assert kept.exit_code == 0, kept.output
    assert "skip  offboarding" in kept.stdout
    assert len(clients(pool_id)) == 1
    unknown = cli("selftest", "aws", "--pool", "us-east-1_unregistered", "--emulator")
    assert unknown.exit_code == 2 and "portal pools add" in unknown.stderr
