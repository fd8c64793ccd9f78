"""The CLI: one JSON document on stdout with --json, exit 0 / 1 (failed) / 2 (invalid input)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Tenant
from tests.support import factories as f


def test_users_create_prints_a_generated_password_once(cli, db):
    result = cli("users", "create", "ops@example.com", "--role", "staff", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["email"] == "ops@example.com" and len(document["password"]) >= 16
    again = cli("users", "create", "ops@example.com", "--role", "staff")
    assert again.exit_code == 2 and "exists already" in again.stderr


def test_users_create_reads_the_password_from_stdin(cli, db):
    result = cli(
        "users",
        "create",
        "a@example.com",
        "--role",
        "admin",
        "--password-stdin",
        stdin="correct horse battery staple\n",
    )
    assert result.exit_code == 0 and "password" not in result.stdout
    short = cli(
        "users", "create", "b@example.com", "--role", "admin", "--password-stdin", stdin="short\n"
    )
    assert short.exit_code == 2 and "at least 12" in short.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad_Slug", "--callback-url", "https://a.example.com/cb"], "not a valid slug"),
        (["acme", "--callback-url", "http://app.example.com/cb"], "accepts only for localhost"),
        (["acme", "--callback-url", "https://app.example.com/cb#x"], "fragment"),
        (["acme", "--callback-url", "/relative/cb"], "not an absolute URL"),
        (
            ["acme", "--callback-url", "https://a.example.com/cb", "--pool", "us-east-1_nope"],
            "not registered",
        ),
    ],
)
def test_tenants_create_refuses_bad_input_with_exit_2(cli, db, args, message):
    result = cli("tenants", "create", *args[:1], "--name", "Acme", *args[1:])
    assert result.exit_code == 2
    assert message in result.stderr
    assert db.session.scalar(select(Tenant)) is None


def test_duplicate_slug_is_refused_and_the_first_kept(cli, db):
    assert (
        cli(
            "tenants",
            "create",
            "acme",
            "--name",
            "Acme",
            "--callback-url",
            "http://localhost:3000/cb",
        ).exit_code
        == 0
    )
    result = cli(
        "tenants", "create", "acme", "--name", "Other", "--callback-url", "http://localhost:3000/cb"
    )
    assert result.exit_code == 2 and "exists already" in result.stderr
    assert db.session.scalar(select(Tenant)).name == "Acme"


def test_unknown_slug_is_exit_2(cli, db):
    for command in (
        ["tenants", "show", "nope"],
        ["tenants", "onboard", "nope"],
        ["tenants", "credentials", "nope"],
    ):
        result = cli(*command)
        assert result.exit_code == 2, command
        assert "no tenant has the slug 'nope'" in result.stderr


def test_set_idp_refuses_an_unreachable_issuer_and_saves_nothing(cli, db):
    cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", "http://localhost/cb")
    result = cli(
        "tenants",
        "set-idp",
        "acme",
        "--issuer",
        "http://127.0.0.1:9",
        "--client-id",
        "x",
        "--client-secret-stdin",
        stdin="s3cret\n",
    )
    assert result.exit_code == 1
    assert "could not connect to 127.0.0.1: connection refused" in result.stderr
    assert db.session.scalar(select(Tenant)).issuer is None


def test_set_idp_refuses_a_private_issuer(cli, db):
    cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", "http://localhost/cb")
    result = cli(
        "tenants",
        "set-idp",
        "acme",
        "--issuer",
        "https://10.1.2.3",
        "--client-id",
        "x",
        "--client-secret-stdin",
        stdin="s3cret\n",
    )
    assert result.exit_code == 1 and "private network address" in result.stderr


def test_set_idp_json_reports_findings(cli, db, oidc_idp):
    cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", "http://localhost/cb")
    result = cli(
        "tenants",
        "set-idp",
        "acme",
        "--issuer",
        oidc_idp,
        "--client-id",
        "x",
        "--client-secret-stdin",
        "--groups-claim",
        "app_groups",
        "--json",
        stdin="s3cret\n",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert "s3cret" not in result.stdout + result.stderr
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "tenant.idp_set")
    ).one()
    assert event.actor_type == "cli" and "s3cret" not in json.dumps(event.details)


def test_set_idp_without_a_secret_is_exit_2(cli, db, oidc_idp):
    cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", "http://localhost/cb")
    result = cli("tenants", "set-idp", "acme", "--issuer", oidc_idp, "--client-id", "x")
    assert result.exit_code == 2 and "client secret is required" in result.stderr


def test_onboard_without_idp_settings_is_exit_2(cli, db, cognito_emulator):
    f.pool(cognito_emulator)
    cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", "http://localhost/cb")
    result = cli("tenants", "onboard", "acme")
    assert result.exit_code == 2 and "set-idp" in result.stderr


def test_onboard_wait_times_out_with_exit_1(cli, db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    f.tenant("acme", oidc_idp)
    result = cli("tenants", "onboard", "acme", "--wait", "--timeout", "1", "--json")  # no worker
    assert result.exit_code == 1
    assert "not finished after 1 s" in result.stderr
    assert json.loads(result.stdout)[0]["status"] == "queued"


@pytest.mark.slow
def test_onboard_wait_reports_a_failed_run_with_exit_1(cli, db, cognito_emulator, oidc_idp, app):
    pool = f.pool(cognito_emulator)
    cognito_emulator.set_pool_quotas(pool.user_pool_id, max_clients=0)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    f.run_now(run)
    result = cli("tenants", "onboard", "acme", "--wait", "--timeout", "2")
    assert result.exit_code == 1  # the failed run was queued again, and no worker runs it


def test_pools_add_refuses_unknown_pools_and_pools_without_domain(cli, db, cognito_emulator):
    unknown = cli("pools", "add", "us-east-1_doesnotexist")
    assert unknown.exit_code == 2 and "does not exist" in unknown.stderr
    bare = f.cognito_client().create_user_pool(PoolName="no-domain")["UserPool"]["Id"]
    result = cli("pools", "add", bare)
    assert result.exit_code == 2 and "has no domain" in result.stderr
    malformed = cli("pools", "add", "not-a-pool-id")
    assert malformed.exit_code == 2


def test_pools_list_json_shows_usage_against_quotas(cli, db, cognito_emulator):
    seeded = cognito_emulator.seed(pools=1, classic_pools=1)
    for pool in seeded:
        assert cli("pools", "add", pool.user_pool_id, "--max-clients", "1500").exit_code == 0
    listed = json.loads(cli("pools", "list", "--json").stdout)
    assert [p["app_clients"]["max"] for p in listed] == [1500, 1500]
    assert [p["managed_login_styles"]["max"] for p in listed] == [20, 0]
    assert [p["managed_login_version"] for p in listed] == [2, 1]


def test_show_json_has_the_documented_keys_and_no_secret(cli, db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    f.run_now(f.onboard(tenant)[0])
    result = cli("tenants", "show", "acme", "--json")
    document = json.loads(result.stdout)
    for key in (
        "slug",
        "name",
        "status",
        "steps",
        "user_pool_id",
        "region",
        "provider_name",
        "client_id",
        "cognito_domain",
        "login_url",
        "idp_redirect_uri",
    ):
        assert key in document
    assert {"name", "status", "attempts", "error"} <= set(document["steps"][0])
    assert "secret" not in result.stdout.lower()
    listed = json.loads(cli("tenants", "list", "--status", "ready", "--json").stdout)
    assert [t["slug"] for t in listed] == ["acme"]


def test_credentials_reveal_is_audited(cli, db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    f.run_now(f.onboard(tenant)[0])
    result = cli("tenants", "credentials", "acme", "--json")
    bundle = json.loads(result.stdout)
    assert set(bundle) >= {
        "client_id",
        "client_secret",
        "cognito_domain",
        "issuer",
        "user_pool_id",
        "region",
        "jwks_uri",
        "authorize_url",
        "logout_url",
    }
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "secret.revealed")
    ).one()
    assert event.actor_type == "cli"
    assert bundle["client_secret"] not in json.dumps(event.details)


def test_credentials_as_text_are_aligned_and_show_nothing_empty(
    cli, db, cognito_emulator, oidc_idp
):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    f.run_now(f.onboard(tenant)[0])
    lines = cli("tenants", "credentials", "acme").stdout.splitlines()
    rows = dict(line.split(None, 1) for line in lines)
    assert rows["client_id"] == tenant.client_id
    assert "client_secret_rotation" not in rows  # no rotation: nothing to say, not "None"
    assert not any(line.rstrip().endswith("None") for line in lines)
    assert len({line.index(value) for line, value in zip(lines, rows.values(), strict=True)}) == 1


def test_set_idp_no_groups_maps_no_groups_claim(cli, db, oidc_idp):
    cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", "http://localhost/cb")
    args = ("tenants", "set-idp", "acme", "--issuer", oidc_idp, "--client-id", "x")
    both = cli(
        *args, "--no-groups", "--groups-claim", "groups", "--client-secret-stdin", stdin="s\n"
    )
    assert both.exit_code == 2 and "contradict" in both.stderr
    result = cli(*args, "--no-groups", "--client-secret-stdin", stdin="s3cret\n")
    assert result.exit_code == 0, result.stderr
    assert db.session.scalar(select(Tenant)).groups_claim == ""
    shown = json.loads(cli("tenants", "show", "acme", "--json").stdout)
    assert shown["groups_claim"] == ""
