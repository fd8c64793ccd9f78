"""Adoption from the command line."""

from __future__ import annotations

import json

from tests.support import handmade


def handmade_pool(emulator, issuer: str) -> str:
    pool_id = handmade.seed_pool(emulator)
    handmade.console_tenant(pool_id, "acme", issuer, scopes=handmade.CONSOLE_SCOPES)
    handmade.provider(pool_id, "initech", issuer)
    handmade.client(pool_id, "initech-web", ["initech"])
    handmade.client(pool_id, "initech-mobile", ["initech"], style=False)
    handmade.register(pool_id)
    return pool_id


def test_tenants_adopt_dry_run_then_adopt_then_plan_the_standard(cli, cognito_emulator, oidc_idp):
    pool_id = handmade_pool(cognito_emulator, oidc_idp)

    preview = cli("tenants", "adopt", "--pool", pool_id, "--dry-run", "--json")
    assert preview.exit_code == 0, preview.output
    document = json.loads(preview.stdout)
    assert document["dry_run"] is True and [a["slug"] for a in document["adopted"]] == ["acme"]
    assert {r["client_name"] for r in document["refused"]} == {"initech-web", "initech-mobile"}
    assert cli("tenants", "list", "--json").stdout.strip() == "[]"

    adopted = cli("tenants", "adopt", "--pool", pool_id)
    assert adopted.exit_code == 0, adopted.output
    assert "adopted acme (" in adopted.stdout and "refused initech-web" in adopted.stdout
    shown = json.loads(cli("tenants", "show", "acme", "--json").stdout)
    assert shown["status"] == "ready" and shown["adopted"]["standard"] is False
    plan = json.loads(cli("tenants", "plan", "acme", "--json").stdout)
    assert plan["changes"] == 0
    standard = cli("tenants", "plan", "acme", "--standard")
    assert "AllowedOAuthScopes" in standard.stdout
    again = cli("tenants", "adopt", "--pool", pool_id)
    assert again.exit_code == 0 and "nothing new to adopt" in again.stderr
