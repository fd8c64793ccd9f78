"""`pools scan`: what a pool holds that no tenant owns, read without a single write."""

from __future__ import annotations

import json

import pytest

from portal.services.adoption.scan import registered_pool, scan_pool
from tests.support import factories as f
from tests.support import handmade


@pytest.mark.slow  # builds seven hand-made tenants, about 7 s
def test_the_scan_sorts_hand_made_tenants_into_adoptable_and_why_not(
    db, cognito_emulator, oidc_idp
):
    ids = handmade.vendor_pool(cognito_emulator, oidc_idp)
    cognito_emulator.clear_calls()

    report = scan_pool(registered_pool(ids["pool"]))

    by_name = {c.client_name: c for c in report.clients}
    assert set(by_name) == {
        "acme",
        "globex",
        "initech-web",
        "initech-mobile",
        "vendor-admin",
        "umbrella",
        "hooli",
    }
    assert {c.client_name for c in report.adoptable} == {"acme", "globex"}
    acme = by_name["acme"]
    assert acme.providers == [{"name": "acme", "type": "OIDC"}] and acme.style_id
    assert acme.deviations == [
        "scopes openid email phone profile aws.cognito.signin.user.admin (standard: openid only)"
    ]
    globex = by_name["globex"]
    assert "custom:groups not readable by the client" in globex.deviations
    assert "no managed-login style (the client has no login pages)" in globex.deviations
    assert globex.to_dict()["domains"] == [{"domain": "globex.com", "state": "unverified"}]
    for shared in ("initech-web", "initech-mobile"):
        [reason] = by_name[shared].refusals
        assert "provider initech is also attached to" in reason
    assert "no external identity provider" in by_name["vendor-admin"].refusals[0]
    assert "2 external providers (umbrella-eu, umbrella-us)" in by_name["umbrella"].refusals[0]
    assert "public client" in by_name["hooli"].refusals[0]
    notes = {p.name: p.note for p in report.providers}
    assert notes["initech"] == "shared by 2 app clients: cannot become one tenant"
    assert notes["acme"] is None
    # Reads only, and no secret in what the scan shows.
    operations = {c.operation for c in cognito_emulator.calls()}
    assert operations and all(o.startswith(("Describe", "List")) for o in operations)
    shown = json.dumps(report.to_dict())
    assert handmade.HANDMADE_IDP_SECRET not in shown and "ClientSecret" not in shown


def test_the_scan_leaves_out_what_tenants_own(db, cognito_emulator, oidc_idp):
    onboarded = f.ready_tenant(cognito_emulator, oidc_idp, slug="portal-made")
    pool_id = onboarded.pool.user_pool_id
    handmade.console_tenant(pool_id, "acme", oidc_idp)

    report = scan_pool(registered_pool(pool_id))

    assert [c.client_name for c in report.clients] == ["acme"]
    assert report.owned_clients == 1 and report.owned_providers == 1


@pytest.mark.slow  # builds seven hand-made tenants, about 7 s
def test_pools_scan_command(cli, cognito_emulator, oidc_idp):
    ids = handmade.vendor_pool(cognito_emulator, oidc_idp)

    result = cli("pools", "scan", ids["pool"], "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["adoptable"] == 2
    assert {c["client_name"] for c in document["clients"] if c["adoptable"]} == {"acme", "globex"}

    text = cli("pools", "scan", ids["pool"])
    assert "umbrella" in text.stdout and "cannot adopt: 2 external providers" in text.stdout
    assert "2 adoptable" in text.stdout

    unknown = cli("pools", "scan", "us-east-1_Unregistered")
    assert unknown.exit_code == 2 and "portal pools add" in unknown.stderr
