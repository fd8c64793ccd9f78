"""A SAML tenant onboarded and test-signed-in in Chromium, through the demo SAML IdP.

The portal is served by werkzeug on 127.0.0.1; the local Cognito emulator holds the SAML
provider; the stand-in for Cognito's hosted UI sends the AuthnRequest, verifies the signed
response against the metadata's certificate and applies the attribute mapping.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.models import SignInTest, Tenant
from tests.support import factories as f
from tests.support.settings import set_settings
from tests.support.web import PASSWORDS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_saml_tenant_is_test_signed_in_and_shows_its_mapped_claims(
    app, db, users, monkeypatch, cognito_emulator, chromium, demo_saml_idp, hosted_ui
):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    set_settings(monkeypatch, app, public_url=base)  # before onboarding: the test callback
    set_settings(monkeypatch, app, cognito_domain_override=hosted_ui.base_url)
    set_settings(monkeypatch, app, cognito_issuer_override=hosted_ui.base_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = chromium.new_context()
    try:
        f.pool(cognito_emulator)
        tenant = f.saml_tenant(
            "acme",
            f"{demo_saml_idp.base_url}/saml/metadata",
            email_attribute="email",
            groups_attribute="groups",
            roles_attribute="roles",
        )
        assert f.run_now(f.onboard(tenant)[0]) == "succeeded"

        page = context.new_page()
        page.goto(f"{base}/login")
        page.get_by_label("E-mail").fill("staff@example.com")
        page.get_by_label("Password").fill(PASSWORDS["staff"])
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/tenants/acme")
        expect(page.locator("main")).to_contain_text("/saml2/idpresponse")
        page.get_by_role("button", name="Run a test sign-in").click()
        # The demo SAML IdP asks who signs in; its signed response goes back by HTTP-POST.
        page.get_by_role("button", name="alice").click()
        expect(page.get_by_role("heading", name="Test sign-in succeeded")).to_be_visible()
        claims = page.locator(".claims")
        expect(claims.locator('[data-claim="custom:groups"] .chip')).to_have_text(
            ["admins", "staff"]
        )
        expect(claims).to_contain_text("alice@example.com")
        expect(claims.locator('[data-claim="custom:roles"] .chip')).to_have_text(["editor"])
    finally:
        context.close()
        server.shutdown()
        thread.join(5)
    db.session.expire_all()
    test = db.session.scalar(select(SignInTest))
    assert test.outcome == "succeeded"
    assert db.session.scalar(select(Tenant)).verified_at is not None
