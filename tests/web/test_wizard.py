"""The new-tenant wizard: five steps and a review, each saved as a draft once it validates."""

from __future__ import annotations

from sqlalchemy import select

from portal.crypto import decrypt
from portal.models import AuditEvent, Run, Tenant, TenantStatus, WizardDraft
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f

CALLBACK = "https://app.acme.test/api/oidc/cognito/callback/"


def step1(browser, name="Acme Corp", slug="", callbacks=CALLBACK, logouts=""):
    return browser.post_form(
        "/tenants/new",
        {"name": name, "slug": slug, "callback_urls": callbacks, "logout_urls": logouts},
    )


def tenant_row(db, slug: str) -> Tenant:
    db.session.expire_all()
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def idp_form(issuer: str, **overrides) -> dict:
    return {
        "mode": "now",
        "issuer": issuer,
        "client_id": "acme-app",
        "client_secret": "s3cret-from-the-idp",
        "scopes": "openid email",
        "groups_claim": "app_groups",
        "roles_claim": "",
        "attributes_request_method": "GET",
        **overrides,
    }


def test_step_one_says_the_application_type_is_fixed_and_suggests_a_slug(signed_in):
    staff = signed_in("staff")
    page = staff.get("/tenants/new").get_data(as_text=True)
    assert "traditional web application" in page.lower()
    assert 'data-suggest-url="/tenants/new/slug"' in page
    suggestion = staff.get("/tenants/new/slug?name=Acme%20Corp,%20Inc.").get_json()
    assert suggestion == {"slug": "acme-corp-inc", "available": True}


def test_step_one_errors_appear_next_to_their_field_and_keep_the_input(signed_in, db):
    staff = signed_in("staff")
    response = step1(staff, name="Acme Corp", slug="Bad Slug!", callbacks="http://example.com/cb")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="slug-error"' in page and "is not a valid slug" in page
    assert 'id="callback_urls-error"' in page and "Cognito accepts only for localhost" in page
    assert 'value="Acme Corp"' in page  # nothing already entered is lost
    assert "http://example.com/cb" in page
    assert db.session.scalar(select(Tenant.id)) is None


def test_the_whole_wizard_saves_each_step_and_queues_onboarding(
    signed_in, db, cognito_emulator, oidc_idp
):
    pool = f.pool(cognito_emulator)
    pool_id, domain = pool.user_pool_id, pool.cognito_domain_url
    staff = signed_in("staff")

    first = step1(staff, logouts="https://app.acme.test/bye")
    assert first.status_code == 302
    assert first.headers["Location"] == "/tenants/acme-corp/wizard/attributes"
    tenant = tenant_row(db, "acme-corp")
    assert tenant.status == TenantStatus.DRAFT and tenant.callback_urls == [CALLBACK]
    assert db.session.get(WizardDraft, tenant.id).completed == 1

    attributes_page = staff.get("/tenants/acme-corp/wizard/attributes").get_data(as_text=True)
    assert "can never be removed" in attributes_page
    second = staff.post_form(
        "/tenants/acme-corp/wizard/attributes", {"pool": "", "include_roles": "y"}
    )
    assert second.headers["Location"] == "/tenants/acme-corp/wizard/provider"
    tenant = tenant_row(db, "acme-corp")
    assert tenant.pool.user_pool_id == pool_id and not tenant.pool_pinned

    provider_page = staff.get("/tenants/acme-corp/wizard/provider").get_data(as_text=True)
    assert f'data-copy="{domain}/oauth2/idpresponse"' in provider_page
    third = staff.post_form(
        "/tenants/acme-corp/wizard/provider", idp_form(oidc_idp, roles_claim="app_roles")
    )
    assert third.status_code in (200, 302)
    if third.status_code == 200:  # saved with warnings (the mock IdP lists no app_roles claim)
        page = third.get_data(as_text=True)
        assert "Saved." in page and "Warning:" in page
        assert "s3cret-from-the-idp" not in page
    tenant = tenant_row(db, "acme-corp")
    assert tenant.issuer == oidc_idp and tenant.groups_claim == "app_groups"
    assert tenant.roles_claim == "app_roles"
    assert decrypt(tenant.idp_client_secret_encrypted) == "s3cret-from-the-idp"

    attach = staff.get("/tenants/acme-corp/wizard/attach").get_data(as_text=True)
    assert CALLBACK in attach and "Only <code>openid</code>" in attach
    assert "/test-sign-in/callback" in attach
    assert staff.post_form("/tenants/acme-corp/wizard/attach", {}).status_code == 302
    login = staff.get("/tenants/acme-corp/wizard/managed-login").get_data(as_text=True)
    assert "Cognito&#39;s default look" in login or "Cognito's default look" in login
    assert staff.post_form("/tenants/acme-corp/wizard/managed-login", {}).status_code == 302

    review = staff.get("/tenants/acme-corp/wizard/review").get_data(as_text=True)
    assert "s3cret-from-the-idp" not in review and "app_groups" in review
    started = staff.post_form("/tenants/acme-corp/wizard/review", {})
    assert started.status_code == 302
    assert started.headers["Location"] == "/tenants/acme-corp/progress"
    tenant = tenant_row(db, "acme-corp")
    assert tenant.status == TenantStatus.QUEUED
    assert db.session.scalar(select(Run.status).where(Run.tenant_id == tenant.id)) == "queued"
    saved = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "tenant.draft_saved")
    ).all()
    assert {d["step"] for d in saved} >= {"attributes", "attach", "managed_login"}
    assert "s3cret" not in str(saved)
    # The wizard is closed once onboarding has started.
    assert staff.get("/tenants/acme-corp/wizard/review").headers["Location"] == "/tenants/acme-corp"


def test_a_failed_discovery_check_shows_next_to_the_issuer_and_asks_for_the_secret_again(
    signed_in, db, cognito_emulator, oidc_idp
):
    f.pool(cognito_emulator)
    staff = signed_in("staff")
    step1(staff)
    staff.post_form("/tenants/acme-corp/wizard/attributes", {"pool": ""})
    response = staff.post_form(
        "/tenants/acme-corp/wizard/provider",
        idp_form(oidc_idp + "/wrong", client_id="kept-client-id"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="issuer-error"' in page and "HTTP 404" in page
    assert "s3cret-from-the-idp" not in page  # never echoed back
    assert "Enter the client secret again" in page
    assert 'value="kept-client-id"' in page and 'value="app_groups"' in page
    tenant = tenant_row(db, "acme-corp")
    assert tenant.issuer is None and tenant.idp_client_secret_encrypted is None
    assert db.session.get(WizardDraft, tenant.id).completed == 2


def test_closing_the_tab_loses_nothing_and_skipping_ahead_is_refused(
    signed_in, db, cognito_emulator
):
    f.pool(cognito_emulator)
    staff = signed_in("staff")
    step1(staff, name="Globex")
    # A new session (the tab was closed) finds the draft and resumes at the first open step.
    again = signed_in("staff")
    assert "Globex" in again.get("/tenants/new").get_data(as_text=True)
    resumed = again.get("/tenants/globex/wizard")
    assert resumed.headers["Location"] == "/tenants/globex/wizard/attributes"
    skipped = again.get("/tenants/globex/wizard/review")
    assert skipped.headers["Location"] == "/tenants/globex/wizard/attributes"
    back = again.get("/tenants/globex/wizard/app-client").get_data(as_text=True)
    assert 'value="Globex"' in back and CALLBACK in back


def test_the_slug_may_change_while_a_draft(signed_in, db, cognito_emulator):
    staff = signed_in("staff")
    step1(staff, name="Initech")
    moved = staff.post_form(
        "/tenants/initech/wizard/app-client",
        {"name": "Initech Ltd", "slug": "initech-ltd", "callback_urls": CALLBACK},
    )
    assert moved.headers["Location"] == "/tenants/initech-ltd/wizard/attributes"
    tenant = tenant_row(db, "initech-ltd")
    assert tenant.name == "Initech Ltd" and tenant.provider_name == "initech-ltd"


def test_the_customer_can_enter_the_provider_instead(signed_in, db, cognito_emulator):
    f.pool(cognito_emulator)
    staff = signed_in("staff")
    step1(staff)
    staff.post_form("/tenants/acme-corp/wizard/attributes", {"pool": ""})
    chosen = staff.post_form("/tenants/acme-corp/wizard/provider", {"mode": "customer"})
    assert chosen.headers["Location"] == "/tenants/acme-corp/wizard/attach"
    staff.post_form("/tenants/acme-corp/wizard/attach", {})
    staff.post_form("/tenants/acme-corp/wizard/managed-login", {})
    review = staff.get("/tenants/acme-corp/wizard/review").get_data(as_text=True)
    assert "The customer will enter these settings" in review
    done = staff.post_form("/tenants/acme-corp/wizard/review", {})
    assert done.headers["Location"] == "/tenants/acme-corp"
    tenant = tenant_row(db, "acme-corp")
    assert tenant.status == TenantStatus.DRAFT
    draft = db.session.get(WizardDraft, tenant.id)
    assert draft.idp_by_customer and draft.submitted_at is not None


def test_choosing_a_full_pool_is_refused_next_to_the_field(signed_in, db, cognito_emulator):
    full = f.pool(cognito_emulator, max_clients=1).user_pool_id
    staff = signed_in("staff")
    with acting_as(f.TEST_ACTOR):
        create_tenant("other", "Other", [CALLBACK], pool_id=full)
    other = tenant_row(db, "other")
    other.status = TenantStatus.READY
    db.session.commit()
    step1(staff)
    refused = staff.post_form("/tenants/acme-corp/wizard/attributes", {"pool": full})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "pool-error" in page and "has no room" in page
