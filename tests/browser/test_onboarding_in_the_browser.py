"""Staff onboard a tenant in Chromium: wizard, live progress with a real worker, reveal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import factories as f
from tests.support.browser import (
    SCREENSHOTS,
    overflows_horizontally,
    screenshot,
    sign_in,
    unlabelled_fields,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CALLBACK = "https://app.acme.test/api/oidc/cognito/callback/"


def assert_accessible(page) -> None:
    assert unlabelled_fields(page) == [], page.url


def test_staff_onboard_a_tenant_end_to_end(
    page, live_server, users, cognito_emulator, oidc_idp, start_worker
):
    pool = f.pool(cognito_emulator)
    pool_id, domain = pool.user_pool_id, pool.cognito_domain_url
    start_worker()
    sign_in(page, live_server, "staff")

    # Step 1: the slug is suggested from the display name as it is typed.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New tenant").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Application type: traditional web application.")).to_be_visible()
    page.get_by_label("Display name").fill("Acme Corp")
    expect(page.get_by_label("Slug")).to_have_value("acme-corp")
    page.get_by_label("Callback URLs").fill(CALLBACK)
    page.get_by_label("Logout URLs (optional)").fill("https://app.acme.test/bye")
    assert_accessible(page)
    screenshot(page, "wizard-1-app-client", full_page=True)
    page.get_by_role("button", name="Save and continue").click()

    # Step 2: placed automatically; the page warns that attributes are forever.
    expect(page.get_by_text("Custom attributes can never be removed")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()

    # Step 3: a wrong issuer first: the finding shows by the field; the secret must be typed again.
    expect(page.get_by_role("heading", name="Step 3 of 5: External provider")).to_be_visible()
    expect(page.locator(f'[data-copy="{domain}/oauth2/idpresponse"]')).to_be_visible()
    page.get_by_label("Issuer URI").fill(oidc_idp + "/not-here")
    page.get_by_label("Client ID").fill("acme-app")
    page.get_by_label("Client secret").fill("idp-secret-Q1w2e3")
    page.get_by_label("Groups claim").fill("app_groups")
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator("#issuer-error")).to_contain_text("HTTP 404")
    expect(page.get_by_label("Client secret")).to_have_value("")
    expect(page.get_by_text("Enter the client secret again")).to_be_visible()
    expect(page.get_by_label("Client ID")).to_have_value("acme-app")
    page.get_by_label("Issuer URI").fill(oidc_idp)
    page.get_by_label("Client secret").fill("idp-secret-Q1w2e3")
    assert_accessible(page)
    screenshot(page, "wizard-3-external-provider", full_page=True)
    page.get_by_role("button", name="Check and save").click()
    continue_link = page.get_by_role("link", name="Continue →")
    attach_heading = page.get_by_role("heading", name="Step 4 of 5: Attach")
    expect(continue_link.or_(attach_heading)).to_be_visible()
    if continue_link.is_visible():  # saved, with warnings shown next to their fields
        continue_link.click()

    # Step 4 and 5 show what will happen; then the review.
    expect(page.get_by_text("Only openid is allowed")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Cognito's default look")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    expect(page.get_by_text("idp-secret-Q1w2e3")).to_have_count(0)
    screenshot(page, "wizard-review", full_page=True)
    page.get_by_role("button", name="Start onboarding").click()

    # Progress: the page turns to ready by itself, without a reload.
    expect(page).to_have_url(f"{live_server}/tenants/acme-corp/progress")
    page.evaluate("() => { window.__sameDocument = true; }")
    expect(page.locator("#progress")).to_have_attribute("data-status", "ready", timeout=90_000)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    expect(page.locator("#progress li[data-status=succeeded]")).to_have_count(5)
    expect(page.get_by_text("Ready.", exact=False)).to_be_visible()
    screenshot(page, "progress-ready", full_page=True)

    # Result: every value with a copy button; the secret behind Reveal.
    page.get_by_role("link", name="See the connection details").click()
    connection = page.locator("#connection")
    expect(connection.get_by_role("button", name="Reveal")).to_be_visible()
    live = f.cognito_client().describe_user_pool_client(
        UserPoolId=pool_id, ClientId=page.locator("#connection dd code").first.inner_text()
    )["UserPoolClient"]
    expect(connection).to_contain_text(live["ClientId"])
    expect(connection).to_contain_text(domain)
    expect(connection).not_to_contain_text(live["ClientSecret"])
    assert connection.locator("[data-copy]").count() >= 10
    connection.screenshot(path=str(SCREENSHOTS / "result-connection-details.png"))

    page.set_viewport_size({"width": 375, "height": 800})
    assert not overflows_horizontally(page), "the tenant page scrolls sideways on a phone"
    screenshot(page, "result-narrow-screen", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 860})

    connection.get_by_role("button", name="Reveal").click()
    credentials = page.locator("#credentials")
    shown_secret = credentials.locator(".secret code").inner_text()
    shown_id = credentials.locator("dd code").first.inner_text()
    assert (shown_id, shown_secret) == (live["ClientId"], live["ClientSecret"])
    assert re.fullmatch(r"[a-z0-9]+", shown_secret)
    expect(credentials).to_contain_text(f"{domain}/oauth2/authorize")
    expect(credentials).to_contain_text("identity_provider=acme-corp")
    screenshot(page, "result-revealed", full_page=True, mask=[credentials.locator(".secret code")])


def test_the_wizard_works_on_a_narrow_screen(page, live_server, users, cognito_emulator):
    f.pool(cognito_emulator)
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, "staff")
    page.goto(f"{live_server}/tenants/new")
    assert not overflows_horizontally(page)
    page.get_by_label("Display name").fill("Narrow Screens Inc")
    expect(page.get_by_label("Slug")).to_have_value("narrow-screens-inc")
    page.get_by_label("Callback URLs").fill("http://localhost:3000/callback")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Custom attributes can never be removed")).to_be_visible()
    assert not overflows_horizontally(page)
    screenshot(page, "wizard-2-attributes-narrow", full_page=True)
