"""Lifecycle commands: plan/apply, offboard confirmation, rotation and pool commands."""

from __future__ import annotations

import json

from portal.models import RunStatus, Tenant, TenantStatus
from tests.support import factories as f
from tests.support.factories import fresh, ready_tenant, run_latest


def test_update_then_plan_json_then_apply(cli, db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    assert (
        cli("tenants", "update", "acme", "--logout-url", "https://app.example.com/out").exit_code
        == 0
    )
    plan = json.loads(cli("tenants", "plan", "acme", "--json").stdout)
    assert plan["changes"] == 1
    [change] = [c for r in plan["resources"] for c in r["changes"]]
    assert change["field"] == "LogoutURLs" and change["after"] == ["https://app.example.com/out"]
    text = cli("tenants", "plan", "acme").stdout
    assert "+ https://app.example.com/out" in text and "- https://app.example.com/bye" in text
    assert "['" not in text  # no whole lists before and after
    result = cli("tenants", "apply", "acme", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "queued"
    assert run_latest(db, tenant) == RunStatus.SUCCEEDED
    assert json.loads(cli("tenants", "plan", "acme", "--json").stdout)["changes"] == 0


def test_offboard_needs_the_slug_typed(cli, db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    refused = cli("tenants", "offboard", "acme", stdin="acm\n")
    assert refused.exit_code == 2 and "nothing was changed" in refused.stderr
    assert fresh(db, tenant).status == TenantStatus.READY
    typed = cli("tenants", "offboard", "acme", stdin="acme\n")
    assert typed.exit_code == 0
    assert "acme_<sub>" in typed.stderr  # it says the federated users stay
    assert fresh(db, tenant).status == TenantStatus.OFFBOARDING
    run_latest(db, tenant)
    again = cli("tenants", "offboard", "acme", "--yes")
    assert again.exit_code == 0 and "nothing to do" in again.stderr
    credentials = cli("tenants", "credentials", "acme", "--json")
    assert credentials.exit_code == 1 and credentials.stdout == ""
    assert "was offboarded on" in credentials.stderr
    assert "removed from Cognito" in credentials.stderr


def test_rotation_commands_refuse_out_of_order(cli, db, cognito_emulator, oidc_idp):
    ready_tenant(cognito_emulator, oidc_idp)
    retire = cli("tenants", "retire-secret", "acme")
    assert retire.exit_code == 2 and "no rotation" in retire.stderr
    assert cli("tenants", "rotate-secret", "acme").exit_code == 0
    twice = cli("tenants", "rotate-secret", "acme")
    assert twice.exit_code == 0  # the same rotation run, not a second one


def test_pool_close_open_and_quotas(cli, db, cognito_emulator):
    pool = f.pool(cognito_emulator)
    assert cli("pools", "close", pool.user_pool_id).exit_code == 0
    listed = json.loads(cli("pools", "list", "--json").stdout)
    assert listed[0]["closed"] is True and listed[0]["has_room"] is False
    assert cli("pools", "open", pool.user_pool_id).exit_code == 0
    assert cli("pools", "set-quotas", pool.user_pool_id, "--max-idps", "600").exit_code == 0
    listed = json.loads(cli("pools", "list", "--json").stdout)
    assert listed[0]["identity_providers"]["max"] == 600 and listed[0]["closed"] is False
    assert cli("pools", "close", "us-east-1_unknown").exit_code == 2


def test_check_drift_exits_1_when_something_drifted(cli, db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    assert cli("tenants", "check-drift", "acme").exit_code == 0
    f.cognito_client().delete_managed_login_branding(
        UserPoolId=tenant.pool.user_pool_id,
        ManagedLoginBrandingId=db.session.get(Tenant, tenant.id).branding_id,
    )
    result = cli("tenants", "check-drift", "acme", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["acme"][0]["resource"] == "managed login style"
