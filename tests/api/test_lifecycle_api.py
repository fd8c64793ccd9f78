"""Plan, apply and offboard through the API (portal.services.engine.lifecycle underneath)."""

from __future__ import annotations

from portal.models import Run, Tenant, TenantStatus
from tests.support import factories as f


def ready_tenant(db, emulator, issuer, slug="acme"):
    pool = f.pool(emulator)
    pool_id = pool.user_pool_id
    tenant = f.tenant(slug, issuer)
    [run] = f.onboard(tenant)
    assert f.run_now(run) == "succeeded"
    return pool_id, db.session.get(Tenant, tenant.id).client_id


def test_plan_shows_drift_and_apply_repairs_it(db, api_client, cognito_emulator, oidc_idp):
    pool_id, client_id = ready_tenant(db, cognito_emulator, oidc_idp)
    staff = api_client("staff")
    clean = staff.get("/api/v1/tenants/acme/plan")
    assert clean.status_code == 200, clean.get_json()
    assert clean.get_json()["changes"] == 0
    cognito = f.cognito_client()
    live = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]
    cognito.update_user_pool_client(  # someone edits the client behind the portal's back
        UserPoolId=pool_id,
        ClientId=client_id,
        ClientName=live["ClientName"],
        CallbackURLs=["https://evil.example.com/cb"],
        SupportedIdentityProviders=live["SupportedIdentityProviders"],
        AllowedOAuthFlows=live["AllowedOAuthFlows"],
        AllowedOAuthScopes=live["AllowedOAuthScopes"],
        AllowedOAuthFlowsUserPoolClient=True,
        ReadAttributes=live["ReadAttributes"],
        WriteAttributes=live["WriteAttributes"],
    )
    drifted = staff.get("/api/v1/tenants/acme/plan").get_json()
    assert drifted["changes"] >= 1
    assert any(c["field"] == "CallbackURLs" for r in drifted["resources"] for c in r["changes"]), (
        drifted
    )
    applied = staff.post("/api/v1/tenants/acme/apply")
    assert applied.status_code == 202, applied.get_json()
    assert f.run_now(db.session.get(Run, applied.get_json()["id"])) == "succeeded"
    assert staff.get("/api/v1/tenants/acme/plan").get_json()["changes"] == 0
    assert api_client("auditor").get("/api/v1/tenants/acme/plan").status_code == 403


def test_offboarding_needs_the_slug_and_is_safe_twice(db, api_client, cognito_emulator, oidc_idp):
    ready_tenant(db, cognito_emulator, oidc_idp)
    staff = api_client("staff")
    wrong = staff.post("/api/v1/tenants/acme/offboard", {"confirm": "other"})
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["field"] == "confirm"
    started = staff.post("/api/v1/tenants/acme/offboard", {"confirm": "acme"})
    assert started.status_code == 202, started.get_json()
    run_id = started.get_json()["run"]["id"]
    assert f.run_now(db.session.get(Run, run_id)) == "succeeded"
    tenant = staff.get("/api/v1/tenants/acme").get_json()
    assert tenant["status"] == TenantStatus.OFFBOARDED
    again = staff.post("/api/v1/tenants/acme/offboard", {"confirm": "acme"})
    assert again.status_code == 202 and again.get_json()["run"] is None
    gone = api_client("application").get("/api/v1/tenants/acme/oidc-config")
    problem = gone.get_json()
    assert gone.status_code == 410 and problem["title"] == "Offboarded"
    assert "was offboarded on" in problem["detail"]
    assert "by api-staff@example.com" in problem["detail"]
