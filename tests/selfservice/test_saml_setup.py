"""A customer sets up SAML through a setup link: values to register, guides, metadata form."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from portal.models import Run, Tenant
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.saml import ENTITY_ID, idp_metadata
from tests.support.selfservice import new_link
from tests.support.web import Browser, csrf_token


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


@pytest.fixture
def saml_link(cognito_emulator, db):
    pool = f.pool(cognito_emulator)
    with acting_as(f.TEST_ACTOR):
        tenant = create_tenant("acme", "Acme Corp", ["https://app.example.com/callback"])
    tenant.provider_type = "SAML"
    db.session.commit()
    _, token = new_link(tenant)
    return pool.user_pool_id, pool.cognito_domain_url, token


def post_saml(browser: Browser, token: str, **fields):
    page = browser.get(f"/setup/{token}")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "preset": "entra", **fields}
    return browser.post(f"/setup/{token}/saml", data=data, content_type="multipart/form-data")


def test_a_saml_tenant_sees_what_to_register_and_a_guide_per_provider(browser, saml_link):
    pool_id, domain, token = saml_link
    text = text_of(browser.get(f"/setup/{token}"))
    assert f"urn:amazon:cognito:sp:{pool_id}" in text
    assert f"{domain}/saml2/idpresponse" in text
    for label in ("Microsoft Entra ID", "Okta", "Google Workspace", "ADFS", "JumpCloud"):
        assert label in text
    assert "overage" in text and "150 groups" in text  # Entra's group limit, explained
    assert "cannot send all of a user's groups" in text  # what Google Workspace cannot do


def test_uploaded_metadata_passes_is_stored_with_the_preset_names_and_onboarding_starts(
    browser, db, saml_link
):
    _, _, token = saml_link
    upload = (io.BytesIO(idp_metadata().encode()), "metadata.xml")
    response = post_saml(browser, token, metadata_url="", metadata_file=upload)
    assert response.status_code == 302, text_of(response)
    tenant = db.session.scalar(select(Tenant))
    assert tenant.saml_entity_id == ENTITY_ID
    assert tenant.email_attribute.endswith("/claims/emailaddress")  # the Entra preset
    assert tenant.groups_claim.endswith("/claims/groups")
    assert db.session.scalar(select(Run.kind)) == "onboard"


def test_refused_metadata_is_explained_next_to_the_field_and_nothing_is_saved(
    browser, db, saml_link
):
    _, _, token = saml_link
    upload = (io.BytesIO(idp_metadata("expired").encode()), "metadata.xml")
    response = post_saml(browser, token, metadata_url="", metadata_file=upload)
    assert response.status_code == 422
    assert "expired on" in text_of(response)
    neither = post_saml(browser, token, metadata_url="")
    assert neither.status_code == 422 and "one of them" in text_of(neither)
    assert db.session.scalar(select(Tenant)).saml_metadata_xml is None
    assert db.session.scalar(select(Run)) is None


def test_an_oidc_tenant_can_choose_saml_from_its_link(browser, db, cognito_emulator):
    f.pool(cognito_emulator)
    with acting_as(f.TEST_ACTOR):
        tenant = create_tenant("globex", "Globex", ["https://app.example.com/callback"])
    _, token = new_link(tenant)
    assert "Set up SAML instead" in text_of(browser.get(f"/setup/{token}"))
    assert "ACS URL" in text_of(browser.get(f"/setup/{token}?type=saml"))
    upload = (io.BytesIO(idp_metadata().encode()), "metadata.xml")
    response = post_saml(browser, token, metadata_url="", metadata_file=upload, preset="okta")
    assert response.status_code == 302
    tenant = db.session.scalar(select(Tenant))
    assert (tenant.provider_type, tenant.email_attribute, tenant.groups_claim) == (
        "SAML",
        "email",
        "groups",
    )
