"""The admin page per pool: the scan, check-boxes, a dry-run preview and the result."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import Tenant
from tests.support import handmade


def test_an_admin_previews_then_adopts_the_ticked_clients(
    db, signed_in, cognito_emulator, oidc_idp
):
    pool_id = handmade.seed_pool(cognito_emulator)
    acme = handmade.console_tenant(pool_id, "acme", oidc_idp, scopes=handmade.CONSOLE_SCOPES)
    globex = handmade.console_tenant(pool_id, "globex", oidc_idp, style=False)
    handmade.client(pool_id, "vendor-admin", [], with_cognito_directory=True)
    handmade.register(pool_id)
    url = f"/admin/pools/{pool_id}/adopt"
    admin = signed_in("admin")

    assert f"/admin/pools/{pool_id}/adopt" in admin.get("/admin/pools").get_data(as_text=True)
    page = admin.get(url).get_data(as_text=True)
    assert f'value="{acme}"' in page and f'value="{globex}"' in page
    assert "no external identity provider" in page and "not adoptable" in page
    assert "scopes openid email phone profile" in page

    preview = admin.post_form(url, {"client_ids": [acme], "slug_from": "provider", "preview": "1"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "would be adopted (nothing recorded)" in text
    assert db.session.scalars(select(Tenant)).all() == []

    done = admin.post_form(url, {"client_ids": [acme, globex], "slug_from": "client", "adopt": "1"})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Adopted 2 tenants" in text
    assert sorted(db.session.scalars(select(Tenant.slug))) == ["acme", "globex"]
    tenant_page = admin.get("/tenants/acme").get_data(as_text=True)
    assert "onboarded by hand before the portal" in tenant_page and "--standard" in tenant_page
    after = admin.get(url).get_data(as_text=True)
    assert f'value="{acme}"' not in after  # adopted clients belong to tenants now

    nothing = admin.post_form(url, {"slug_from": "provider", "adopt": "1"})
    assert nothing.status_code == 400 and "Tick at least one" in nothing.get_data(as_text=True)
    assert signed_in("staff").get(url).status_code == 403
    assert admin.get("/admin/pools/us-east-1_Nope/adopt").status_code == 404
