"""The lifecycle in the browser: change → plan → apply, drift, rotation, offboarding, pools."""

from __future__ import annotations

import re

from portal.models import DriftFinding, RunStatus, Tenant, TenantStatus
from tests.support import factories as f
from tests.support.factories import ready_tenant, run_latest


def settle(db, tenant_id: int) -> str:
    """Run the tenant's latest run in this process, as a worker would."""
    db.session.expire_all()
    return run_latest(db, db.session.get(Tenant, tenant_id))


def tenant_page(browser, slug="acme") -> str:
    return browser.get(f"/tenants/{slug}").get_data(as_text=True)


def test_change_then_plan_then_apply(signed_in, db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    tenant_id, _pool_id = tenant.id, tenant.pool.user_pool_id
    staff = signed_in("staff")
    saved = staff.post_form(
        "/tenants/acme/edit",
        {
            "name": "Acme",
            "callback_urls": "https://new.example.com/cb\n",
            "logout_urls": "",
            "groups_claim": "app_groups",
            "roles_claim": "",
            "scopes": "openid email",
            "secret_expires": "",
        },
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/tenants/acme/plan")
    assert "Changes not applied yet" in tenant_page(staff)
    plan = staff.get("/tenants/acme/plan").get_data(as_text=True)
    assert "CallbackURLs" in plan and "https://new.example.com/cb" in plan
    applied = staff.post_form("/tenants/acme/plan", {}, post_url="/tenants/acme/apply")
    assert applied.status_code == 302
    assert settle(db, tenant_id) == RunStatus.SUCCEEDED
    assert "Cognito already holds exactly" in staff.get("/tenants/acme/plan").get_data(as_text=True)


def test_bad_settings_are_refused_next_to_the_field(signed_in, db, cognito_emulator, oidc_idp):
    ready_tenant(cognito_emulator, oidc_idp)
    staff = signed_in("staff")
    refused = staff.post_form(
        "/tenants/acme/edit",
        {
            "name": "Acme",
            "callback_urls": "http://app.example.com/cb",
            "logout_urls": "",
            "groups_claim": "app_groups",
            "roles_claim": "",
            "scopes": "openid",
            "secret_expires": "",
        },
    )
    assert refused.status_code == 422
    assert "accepts only for localhost" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(Tenant).one().callback_urls == ["https://app.example.com/callback"]


def test_a_clean_drift_check_says_how_much_matched_and_when(
    signed_in, db, cognito_emulator, oidc_idp
):
    ready_tenant(cognito_emulator, oidc_idp)
    staff = signed_in("staff")
    checked = staff.post_form(
        "/tenants/acme", {}, post_url="/tenants/acme/drift/check", follow_redirects=True
    )
    page = checked.get_data(as_text=True)
    assert re.search(r"No drift: Cognito matches on \d{2} fields, checked at \d{4}-\d\d-\d\d", page)
    assert "findings are listed" not in page
    assert "No drift when last checked" in page


def test_drift_is_flagged_and_repaired_from_the_page(signed_in, db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    tenant_id, _pool_id = tenant.id, tenant.pool.user_pool_id
    f.cognito_client().delete_managed_login_branding(
        UserPoolId=tenant.pool.user_pool_id,
        ManagedLoginBrandingId=db.session.get(Tenant, tenant.id).branding_id,
    )
    staff = signed_in("staff")
    staff.post_form("/tenants/acme", {}, post_url="/tenants/acme/drift/check")
    page = tenant_page(staff)
    assert "Drift" in page and "managed login style" in page
    assert "drift</span>" in staff.get("/tenants").get_data(as_text=True)
    staff.post_form("/tenants/acme", {}, post_url="/tenants/acme/drift/repair")
    assert settle(db, tenant_id) == RunStatus.SUCCEEDED
    db.session.expire_all()
    assert db.session.query(DriftFinding).one().status == "repaired"


def test_secret_rotation_buttons_follow_the_state(signed_in, db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    tenant_id, _pool_id = tenant.id, tenant.pool.user_pool_id
    staff = signed_in("staff")
    assert "Rotate the client secret…" in tenant_page(staff)
    confirm = staff.get("/tenants/acme/secret/rotate").get_data(as_text=True)
    assert "Both work until you retire the old one" in confirm
    staff.post_form("/tenants/acme/secret/rotate", {})
    running = tenant_page(staff)
    assert "Running now: rotate secret" in running and "data-poll=" in running
    settle(db, tenant_id)
    page = tenant_page(staff)
    assert "Retire the old client secret…" in page and "Both secrets work now" in page
    assert "data-poll=" not in page  # nothing runs: no live connection
    retire = staff.get("/tenants/acme/secret/retire").get_data(as_text=True)
    assert "stops working at once" in retire and "never been revealed or downloaded" in retire
    revealed = staff.post_form("/tenants/acme", {}, post_url="/tenants/acme/reveal")
    text = revealed.get_data(as_text=True)
    assert "New — switch your application to this" in text
    assert "Old — stops working at retire" in text
    retire = staff.get("/tenants/acme/secret/retire").get_data(as_text=True)
    assert "The new secret was first handed over on" in retire and "staff@example.com" in retire
    staff.post_form("/tenants/acme/secret/retire", {})
    settle(db, tenant_id)
    assert "Rotate the client secret…" in tenant_page(staff)


def test_offboarding_needs_the_slug_typed(signed_in, db, cognito_emulator, oidc_idp):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    tenant_id, _pool_id = tenant.id, tenant.pool.user_pool_id
    staff = signed_in("staff")
    page = staff.get("/tenants/acme/offboard").get_data(as_text=True)
    assert "acme_&lt;sub&gt;" in page  # says the federated users stay
    wrong = staff.post_form("/tenants/acme/offboard", {"confirm": "acm"})
    assert wrong.status_code == 422 and "Type acme exactly" in wrong.get_data(as_text=True)
    staff.post_form("/tenants/acme/offboard", {"confirm": "acme"})
    assert settle(db, tenant_id) == RunStatus.SUCCEEDED
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id).status == TenantStatus.OFFBOARDED
    assert "Offboard…" not in tenant_page(staff)


def test_auditors_see_no_lifecycle_buttons_and_cannot_post(
    signed_in, db, cognito_emulator, oidc_idp
):
    ready_tenant(cognito_emulator, oidc_idp)
    auditor = signed_in("auditor")
    page = tenant_page(auditor)
    assert "Offboard" not in page and "Rotate" not in page
    assert auditor.get("/tenants/acme/offboard").status_code == 403
    assert auditor.get("/tenants/acme/plan").status_code == 403


def test_admins_close_a_pool_and_record_quotas(signed_in, db, cognito_emulator):
    pool_id = f.pool(cognito_emulator).user_pool_id
    admin = signed_in("admin")
    admin.post_form("/admin/pools", {}, post_url=f"/admin/pools/{pool_id}/close")
    assert "Open to new tenants" in admin.get("/admin/pools").get_data(as_text=True)
    admin.post_form(
        "/admin/pools",
        {"max_clients": "2000", "max_identity_providers": ""},
        post_url=f"/admin/pools/{pool_id}/quotas",
    )
    db.session.expire_all()
    from portal.services.pools.registry import find_pool

    stored = find_pool(pool_id)
    assert stored.closed and stored.max_clients == 2000 and stored.max_identity_providers == 300


def test_moving_a_tenant_shows_the_customer_a_new_setup_link_once(
    signed_in, db, cognito_emulator, oidc_idp
):
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    tenant_id = tenant.id
    target = f.pool(cognito_emulator).user_pool_id
    staff = signed_in("staff")
    moved = staff.post_form("/tenants/acme/move", {"pool": target, "understood": "y"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/setup-links")
    page = staff.get("/tenants/acme/setup-links").get_data(as_text=True)
    assert "/setup/" in page and "redirect URI" in page
    again = staff.get("/tenants/acme/setup-links").get_data(as_text=True)
    assert page.count("/setup/") > again.count("/setup/")  # the URL was shown once
    assert settle(db, tenant_id) == RunStatus.SUCCEEDED
