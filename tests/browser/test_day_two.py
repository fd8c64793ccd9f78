"""Day two in Chromium: offboarded tenants, honest test results, safe secret actions, phones."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import AuditEvent, Run, RunStatus
from portal.services.audit.actors import acting_as
from portal.services.engine import lifecycle
from tests.support import factories as f
from tests.support.browser import overflows_horizontally, screenshot, sideways, sign_in
from tests.support.selfservice import new_link, ready_tenant
from tests.support.settings import set_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIZARD_STEPS = ("app-client", "attributes", "provider", "attach", "managed-login", "review")


def both_sizes(page, name: str) -> None:
    """A 1280 px and a 390 px screenshot of the current page; neither scrolls sideways."""
    screenshot(page, name, full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert not overflows_horizontally(page), f"{page.url} at 390 px: {sideways(page)}"
    screenshot(page, f"{name}-phone", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})


def test_an_offboarded_tenant_is_a_read_only_record(
    page, live_server, users, db, cognito_emulator, oidc_idp
):
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    with acting_as(f.TEST_ACTOR):
        lifecycle.offboard(tenant)
    assert f.run_latest(db, tenant) == RunStatus.SUCCEEDED
    sign_in(page, live_server)

    page.goto(f"{live_server}/tenants/acme")
    heading = page.get_by_role("heading", name="Offboarded on")
    expect(heading).to_be_visible()
    expect(heading).to_contain_text("by tester@example.com")
    for gone in ("Reveal", "Download .env", "Download JSON", "Rotate the client secret"):
        expect(page.get_by_role("button", name=gone)).to_have_count(0)
    expect(page.get_by_role("heading", name="Connection details")).to_have_count(0)
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.locator("#audit")).to_contain_text("tenant.offboarding")
    both_sizes(page, "tenant-offboarded")

    # A bookmarked or scripted reveal is answered 410 with when and why, not a Cognito error.
    token = page.locator("input[name=csrf_token]").first.input_value()
    for route in ("reveal", "credentials.env"):
        answer = page.request.post(
            f"{live_server}/tenants/acme/{route}", form={"csrf_token": token}
        )
        assert answer.status == 410, route
        assert "was offboarded on" in answer.text() and "may have been deleted" not in answer.text()


def test_a_test_sign_in_without_groups_says_so_and_does_not_verify(
    page, live_server, app, monkeypatch, users, db, cognito_emulator, oidc_idp, request
):
    set_settings(monkeypatch, app, public_url=live_server)
    request.getfixturevalue("cognito_at")(request.getfixturevalue("mock_cognito"))
    ready_tenant(cognito_emulator, oidc_idp)
    sign_in(page, live_server)

    page.goto(f"{live_server}/tenants/acme")
    page.get_by_role("button", name="Run a test sign-in").click()
    page.get_by_role("button", name="nogroups").click()
    expect(page.get_by_role("heading", name="signed in, claims missing")).to_be_visible()
    expect(page.locator('[data-claim="email"]')).to_contain_text("present")
    groups = page.locator('[data-claim="custom:groups"]')
    expect(groups).to_contain_text("missing")
    expect(groups).to_contain_text("Fix:")
    expect(groups).to_contain_text("'app_groups'")
    both_sizes(page, "test-signin-claims-missing")

    page.get_by_role("link", name="Back").click()
    expect(page.locator(".badge--verified")).to_have_count(0)
    page.get_by_role("button", name="Run a test sign-in").click()
    page.get_by_role("button", name="plusgroups").click()
    expect(page.get_by_role("heading", name="Test sign-in succeeded")).to_be_visible()
    expect(page.locator('[data-claim="custom:groups"] .chip')).to_have_text(["Domain Admins"])
    page.get_by_role("link", name="Back").click()
    expect(page.locator("h1 .badge--verified")).to_be_visible()


def test_secret_rotation_asks_first_labels_both_secrets_and_follows_the_run_live(
    page, live_server, users, db, cognito_emulator, oidc_idp
):
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    sign_in(page, live_server)
    page.goto(f"{live_server}/tenants/acme")

    page.get_by_text("More actions").click()
    page.get_by_role("link", name="Rotate the client secret…").click()
    expect(page.locator("#consequence")).to_contain_text("Both work until you retire the old one")
    both_sizes(page, "secret-rotate-confirm")
    page.get_by_role("button", name="Rotate the client secret").click()

    # The tenant page follows the run and shows the next actions when it ends, without a click.
    running = page.locator("#running")
    expect(running).to_contain_text("rotate secret")
    assert f.run_latest(db, tenant) == RunStatus.SUCCEEDED
    expect(page.get_by_role("link", name="Retire the old client secret…")).to_be_visible()
    expect(page.locator("#running")).to_have_count(0)
    expect(page.locator("[data-poll]")).to_have_count(0)  # no live connection while idle

    page.get_by_role("link", name="Retire the old client secret…").click()
    expect(page.locator("#consequence")).to_contain_text("never been revealed or downloaded")
    page.get_by_role("link", name="Keep things as they are").click()

    page.locator("#connection").get_by_role("button", name="Reveal").click()
    new, old = page.locator("#secret-new"), page.locator("#secret-old")
    expect(new).to_contain_text("New — switch your application to this")
    expect(old).to_contain_text("Old — stops working at retire")
    new_value = new.locator("code").inner_text()
    assert new_value and new_value not in old.inner_text()
    screenshot(
        page, "secret-reveal-during-rotation", full_page=True, mask=[page.locator(".secret code")]
    )

    page.goto(f"{live_server}/tenants/acme/secret/retire")
    expect(page.locator("#consequence")).to_contain_text("The new secret was first handed over on")
    expect(page.locator("#consequence")).to_contain_text("stops working at once")
    both_sizes(page, "secret-retire-confirm")
    page.get_by_role("button", name="Retire the old client secret").click()
    assert f.run_latest(db, tenant) == RunStatus.SUCCEEDED
    expect(page.locator(".menu__items a", has_text="Rotate the client secret…")).to_have_count(1)
    expect(page.locator("#running")).to_have_count(0)


def test_no_page_scrolls_sideways_on_a_phone(
    page, live_server, app, monkeypatch, users, db, cognito_emulator, oidc_idp
):
    set_settings(monkeypatch, app, public_url=live_server)
    tenant = f.ready_tenant(cognito_emulator, oidc_idp, slug="globex-international-holdings")
    _, token = new_link(tenant)
    run_id = f.fresh(db, tenant).id and db.session.scalar(select(Run.id))
    sign_in(page, live_server)
    page.set_viewport_size({"width": 390, "height": 844})

    # The menu collapses behind one button and opens on a tap.
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav.get_by_role("link", name="Tenants")).to_be_visible()
    nav.get_by_role("link", name="New tenant").click()
    page.get_by_label("Display name").fill("Initech Worldwide")
    page.get_by_label("Callback URLs").fill("http://localhost:3000/callback")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Custom attributes can never be removed")).to_be_visible()

    slug = tenant.slug
    pages = {
        "tenants list": "/tenants",
        "tenant": f"/tenants/{slug}",
        "progress": f"/tenants/{slug}/progress",
        "audit log": "/audit",
        "audit tenant": f"/audit/tenants/{slug}",
        "audit run": f"/audit/runs/{run_id}",
        **{
            f"wizard {step}": f"/tenants/initech-worldwide/wizard/{step}"
            for step in (
                "app-client",
                "attributes",
                "provider",
                "attach",
                "managed-login",
                "review",
            )
        },
        "setup links": f"/tenants/{slug}/setup-links",
        "setup page": f"/setup/{token}",
    }
    for kind, url in pages.items():
        page.goto(f"{live_server}{url}")
        assert not overflows_horizontally(page), f"{kind} ({url}) at 390 px: {sideways(page)}"
        screenshot(page, f"phone-{kind.replace(' ', '-')}", full_page=True)

    # The tenant page: primary actions visible, the rest behind More actions, Offboard apart.
    page.goto(f"{live_server}/tenants/{slug}")
    actions = page.locator(".actions")
    expect(actions.get_by_role("button", name="Run a test sign-in")).to_be_visible()
    expect(actions.get_by_role("link", name="Setup links")).to_be_hidden()
    expect(page.locator(".actions__danger").get_by_role("link", name="Offboard…")).to_be_visible()
    expect(page.locator(".actions__buttons").get_by_role("link", name="Offboard…")).to_have_count(0)
    actions.get_by_text("More actions").click()
    expect(actions.get_by_role("link", name="Setup links")).to_be_visible()
    screenshot(page, "phone-tenant-more-actions", full_page=True)

    # On a desktop, identifiers in the tenants list keep to one line.
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(f"{live_server}/tenants")
    for code in page.locator("tbody code").all():
        box = code.bounding_box()
        assert box and box["height"] < 30, f"{code.inner_text()} breaks across lines"
    screenshot(page, "tenants-list", full_page=True)


def test_the_plan_marks_each_item_and_warns_about_what_is_forever(
    page, live_server, users, db, cognito_emulator, oidc_idp
):
    f.ready_tenant(cognito_emulator, oidc_idp)
    sign_in(page, live_server)
    page.goto(f"{live_server}/tenants/acme/edit")
    page.get_by_label("Callback URLs (one per line)").fill(
        "https://app.example.com/callback\nhttps://app.example.com/second"
    )
    page.get_by_label("Roles claim (empty: not mapped)").fill("roles")
    page.get_by_role("button", name=re.compile("Save")).click()

    expect(
        page.get_by_role("heading", name="What applying would change in Cognito")
    ).to_be_visible()
    added = page.locator(".diff__line--add", has_text="https://app.example.com/second")
    expect(added).to_have_count(1)
    expect(page.locator(".diff__line", has_text="https://app.example.com/callback")).to_have_count(
        0
    )
    expect(page.locator("main")).not_to_contain_text("['")
    expect(page.locator("#irreversible")).to_contain_text("custom:roles can never be removed")
    expect(page.locator("[data-irreversible]")).to_contain_text("cannot be undone")
    both_sizes(page, "plan-diff")


def test_a_drift_check_that_finds_nothing_says_so(
    page, live_server, users, db, cognito_emulator, oidc_idp
):
    f.ready_tenant(cognito_emulator, oidc_idp)
    sign_in(page, live_server)
    page.goto(f"{live_server}/tenants/acme")
    page.get_by_text("More actions").click()
    page.get_by_role("button", name="Check for drift").click()
    flash = page.locator(".flash--success")
    expect(flash).to_have_text(re.compile(r"No drift: Cognito matches on \d+ fields, checked at "))
    expect(page.locator("main")).not_to_contain_text("findings are listed")
    expect(page.locator("#drift-status")).to_contain_text("No drift when last checked")
    both_sizes(page, "drift-none")


def focused(page) -> str:
    return page.evaluate("() => document.activeElement.id || document.activeElement.tagName")


def test_each_wizard_step_starts_with_the_keyboard_on_its_first_field(
    page, live_server, users, db, cognito_emulator, oidc_idp
):
    f.pool(cognito_emulator)
    sign_in(page, live_server)
    page.goto(f"{live_server}/tenants/new")
    expect(page.get_by_label("Display name")).to_be_focused()
    page.keyboard.type("Keyboard Co")
    page.get_by_label("Callback URLs").fill("http://localhost:3000/callback")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_text("Custom attributes can never be removed")).to_be_visible()
    first_field = page.locator(
        "[data-wizard-step] input:not([type=hidden]), [data-wizard-step] select"
    )
    if first_field.count():
        expect(first_field.first).to_be_focused()
    else:
        assert focused(page) == "step-title"
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Step 3 of 5: External provider")).to_be_visible()
    page.get_by_label("Issuer URI").fill(oidc_idp + "/not-here")
    page.get_by_label("Client ID").fill("kb-app")
    page.get_by_label("Client secret").fill("kb-secret-123456")
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator("#issuer-error")).to_be_visible()
    expect(page.get_by_label("Issuer URI")).to_be_focused()  # the first field needing attention
    page.get_by_label("Issuer URI").fill(oidc_idp)
    page.get_by_label("Client secret").fill("kb-secret-123456")
    page.get_by_role("button", name="Check and save").click()
    continue_link = page.get_by_role("link", name="Continue →")
    attach = page.get_by_role("heading", name="Step 4 of 5: Attach")
    expect(continue_link.or_(attach)).to_be_visible()
    if continue_link.is_visible():  # saved with warnings shown next to their fields
        continue_link.click()
    expect(attach).to_be_visible()
    assert focused(page) == "step-title"  # no field here: the next Tab stays in the step
    page.keyboard.press("Tab")
    in_step = "() => document.querySelector('[data-wizard-step]').contains(document.activeElement)"
    assert page.evaluate(in_step)
    screenshot(page, "wizard-focus-first-error")


def test_staff_change_a_live_tenants_identity_provider(
    page, live_server, users, db, cognito_emulator, oidc_idp
):
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    sign_in(page, live_server)
    page.goto(f"{live_server}/tenants/acme")
    page.get_by_role("link", name="Identity provider").click()
    expect(page.get_by_label("Issuer URI")).to_have_value(oidc_idp)
    page.get_by_label("Issuer URI").fill(oidc_idp + "/gone")
    page.get_by_label("New client secret (empty: keep the current one)").fill(
        "rotated-Entra-5ecret"
    )
    page.get_by_role("button", name="Check and review changes").click()
    expect(page.locator("#issuer-error")).to_contain_text("HTTP 404")
    expect(page.get_by_text("Enter the new secret again")).to_be_visible()
    both_sizes(page, "identity-provider-error")

    page.get_by_label("Issuer URI").fill(oidc_idp)
    page.get_by_label("New client secret (empty: keep the current one)").fill(
        "rotated-Entra-5ecret"
    )
    page.get_by_role("button", name="Check and review changes").click()
    expect(page.get_by_role("heading", name="What applying would change")).to_be_visible()
    expect(page.locator("main")).to_contain_text("ProviderDetails.client_secret")
    expect(page.locator("main")).not_to_contain_text("rotated-Entra-5ecret")
    page.get_by_role("button", name=re.compile(r"Apply \d+ change")).click()
    assert f.run_latest(db, tenant) == RunStatus.SUCCEEDED


def test_smaller_things_links_say_why_the_list_shows_verification_titles_fit(
    page, live_server, app, monkeypatch, users, db, cognito_emulator, oidc_idp
):
    set_settings(monkeypatch, app, vendor_contact="onboarding@globex.example")
    waiting = f.tenant("waiting", oidc_idp)
    link, token = new_link(waiting)
    tenant = f.ready_tenant(cognito_emulator, oidc_idp)
    with acting_as(f.TEST_ACTOR):
        lifecycle.update_tenant(tenant, logout_urls=["https://app.example.com/later"])
        lifecycle.apply_tenant(tenant)
    sign_in(page, live_server)

    page.goto(f"{live_server}/tenants")
    row = page.locator("tr", has=page.get_by_role("link", name="Waiting"))
    expect(row.locator('[data-label="Customer"]')).to_contain_text("waiting for customer")
    expect(page.get_by_role("columnheader", name="Verified")).to_be_visible()
    both_sizes(page, "tenants-list-customer")

    page.goto(f"{live_server}/tenants/acme/progress")
    expect(page.get_by_role("heading", level=1)).to_have_text("Applying changes to Acme")

    link.expires_at = link.expires_at.replace(year=2020)
    db.session.commit()
    customer = page.context.browser.new_context().new_page()
    answer = customer.goto(f"{live_server}/setup/{token}")
    assert answer.status == 410
    expect(customer.get_by_role("heading")).to_have_text("This set-up link has expired")
    expect(customer.locator("#closed")).to_contain_text("Ask onboarding@globex.example")
    expect(customer.locator("#closed")).not_to_contain_text("Waiting")
    screenshot(customer, "setup-link-expired")
    garbled = customer.goto(f"{live_server}/setup/{token[:-3]}xyz")
    assert garbled.status == 404
    expect(customer.get_by_role("heading")).to_have_text("This link does not work")
    customer.context.close()


def test_after_a_test_without_groups_the_customer_corrects_and_tests_again(
    page, live_server, app, monkeypatch, users, db, cognito_emulator, oidc_idp, request
):
    set_settings(monkeypatch, app, public_url=live_server)
    request.getfixturevalue("cognito_at")(request.getfixturevalue("mock_cognito"))
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    _, token = new_link(tenant)

    page.goto(f"{live_server}/setup/{token}")
    page.get_by_role("button", name="Run a test sign-in").click()
    page.get_by_role("button", name="nogroups").click()
    expect(page.get_by_role("heading", name="signed in, claims missing")).to_be_visible()
    page.get_by_role("link", name="Back").click()

    page.get_by_role("link", name="Correct your settings").click()
    page.get_by_role("textbox", name="Groups claim").fill("groups")
    page.get_by_label("Client secret").fill("corrected-Secret-9")
    page.get_by_role("button", name="Check and connect").click()
    assert f.run_latest(db, tenant) == RunStatus.SUCCEEDED
    page.goto(f"{live_server}/setup/{token}")
    screenshot(page, "setup-correct-after-test", full_page=True)
    page.get_by_role("button", name="Run a test sign-in").click()
    page.get_by_role("button", name="alice").click()
    expect(page.get_by_role("heading", name="Test sign-in succeeded")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    expect(page.locator("#idp-form")).to_have_count(0)  # verified: a new link is needed now
    actions = set(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == tenant.id))
    )
    assert {"signin_test.claims_missing", "setup_link.submitted", "tenant.verified"} <= actions
