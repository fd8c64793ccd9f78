"""Step 3 of the wizard with a SAML 2.0 identity provider."""

from __future__ import annotations

import io

from sqlalchemy import select

from portal.models import Run, Tenant, TenantStatus
from tests.support import factories as f
from tests.support.saml import ENTITY_ID, idp_metadata
from tests.support.web import csrf_token

CALLBACK = "https://app.example.com/callback"


def to_step_three(staff) -> None:
    staff.post_form(
        "/tenants/new",
        {"name": "Acme Corp", "slug": "", "callback_urls": CALLBACK, "logout_urls": ""},
    )
    staff.post_form("/tenants/acme-corp/wizard/attributes", {"pool": ""})


def post_saml(staff, **fields):
    page = staff.get("/tenants/acme-corp/wizard/provider").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "mode": "now",
        "provider_type": "SAML",
        "preset": "entra",
        **fields,
    }
    return staff.post(
        "/tenants/acme-corp/wizard/provider", data=data, content_type="multipart/form-data"
    )


def test_a_saml_provider_from_an_uploaded_file_with_the_entra_preset(
    signed_in, db, cognito_emulator
):
    pool_id = f.pool(cognito_emulator).user_pool_id  # requests end the session: keep the value
    staff = signed_in("staff")
    to_step_three(staff)
    page = staff.get("/tenants/acme-corp/wizard/provider").get_data(as_text=True)
    assert f"urn:amazon:cognito:sp:{pool_id}" in page
    assert "/saml2/idpresponse" in page
    upload = (io.BytesIO(idp_metadata().encode()), "metadata.xml")
    response = post_saml(staff, metadata_url="", metadata_file=upload, idp_initiated="y")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/wizard/attach")
    tenant = db.session.scalar(select(Tenant))
    assert tenant.provider_type == "SAML" and tenant.saml_entity_id == ENTITY_ID
    assert tenant.groups_claim.endswith("/claims/groups") and tenant.saml_idp_initiated
    for step in ("attach", "managed-login", "review"):
        assert staff.post_form(f"/tenants/acme-corp/wizard/{step}", {}).status_code == 302
    assert db.session.scalar(select(Run.status)) == "queued"
    assert f.run_now(db.session.scalar(select(Run))) == "succeeded"
    assert f.fresh(db, tenant).status == TenantStatus.READY


def test_refused_metadata_is_shown_next_to_the_field_and_nothing_is_saved(
    signed_in, db, cognito_emulator
):
    f.pool(cognito_emulator)
    staff = signed_in("staff")
    to_step_three(staff)
    upload = (io.BytesIO(idp_metadata("expired").encode()), "metadata.xml")
    response = post_saml(staff, metadata_url="", metadata_file=upload)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="metadata_url-error"' in page
    assert "expired on" in page
    assert "one of them" in post_saml(staff, metadata_url="").get_data(as_text=True)
    tenant = db.session.scalar(select(Tenant))
    assert tenant.provider_type == "OIDC" and tenant.saml_metadata_xml is None


def test_the_customer_will_enter_saml_metadata_through_a_setup_link(
    signed_in, db, cognito_emulator
):
    f.pool(cognito_emulator)
    staff = signed_in("staff")
    to_step_three(staff)
    response = post_saml(staff, mode="customer", metadata_url="")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert db.session.scalar(select(Tenant)).provider_type == "SAML"


def test_the_tenant_page_shows_what_a_saml_customer_registers(signed_in, db, cognito_emulator):
    pool_id = f.pool(cognito_emulator).user_pool_id
    tenant = f.saml_tenant("acme", idp_metadata())
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    page = signed_in("auditor").get("/tenants/acme").get_data(as_text=True)
    assert f"urn:amazon:cognito:sp:{pool_id}" in page and "/saml2/idpresponse" in page
    assert ENTITY_ID in page and "SAML 2.0" in page
    assert "/oauth2/idpresponse" not in page
