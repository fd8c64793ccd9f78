"""POST /api/v1/pools/{id}/adoptions: adopt the tenants onboarded by hand."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import Tenant
from tests.support import handmade


def test_the_adoptions_api(db, api_client, cognito_emulator, oidc_idp):
    pool_id = handmade.seed_pool(cognito_emulator)
    handmade.console_tenant(pool_id, "acme", oidc_idp, scopes=handmade.CONSOLE_SCOPES)
    handmade.provider(pool_id, "initech", oidc_idp)
    handmade.client(pool_id, "initech-web", ["initech"])
    handmade.client(pool_id, "initech-mobile", ["initech"], style=False)
    handmade.register(pool_id)
    admin = api_client("admin")
    url = f"/api/v1/pools/{pool_id}/adoptions"

    assert api_client("staff").post(url, {}).status_code == 403
    preview = admin.post(url, {"dry_run": True})
    assert preview.status_code == 200, preview.get_json()
    assert [a["slug"] for a in preview.get_json()["adopted"]] == ["acme"]
    assert db.session.scalars(select(Tenant)).all() == []

    done = admin.post(url, {"slug_from": "client"})
    body = done.get_json()
    assert done.status_code == 200 and body["dry_run"] is False
    [acme] = body["adopted"]
    assert acme["slug"] == "acme" and acme["deviations"]
    assert admin.get("/api/v1/tenants/acme").get_json()["status"] == "ready"
    assert admin.post(url, {}).get_json()["adopted"] == []
    assert admin.get("/api/v1/tenants/acme/plan").get_json()["changes"] == 0
    standard = admin.get("/api/v1/tenants/acme/plan?standard=true").get_json()
    fields = {c["field"] for r in standard["resources"] for c in r["changes"]}
    assert "AllowedOAuthScopes" in fields

    assert admin.post("/api/v1/pools/us-east-1_Nope/adoptions", {}).status_code == 404
    bad = admin.post(url, {"slug_from": "issuer"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "slug_from"
