"""Day two in Chromium, the rest: Google tenants without groups, reset links, the pools page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import Tenant
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.browser import overflows_horizontally, screenshot, sideways, sign_in
from tests.support.selfservice import new_link, ready_tenant
from tests.support.settings import set_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NEW_PASSWORD = "correct-horse-battery-42"

# Elements whose content is wider than their box and that scroll (or clip) it: an inner scroll.
INNER_OVERFLOW = """() => Array.from(document.querySelectorAll('main *')).filter(el => {
    const style = getComputedStyle(el);
    return el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
      && ['auto', 'scroll', 'hidden'].includes(style.overflowX)
      && style.textOverflow !== 'ellipsis';
  }).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
    + (el.closest('[id]') ? ' in #' + el.closest('[id]').id : ''))"""
# Elements reaching past the right edge of the card they sit in.
OUT_OF_CARD = """(selector) => { const out = [];
  document.querySelectorAll(selector).forEach(card => {
    const edge = card.getBoundingClientRect().right;
    card.querySelectorAll('*').forEach(el => {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > edge + 1) out.push(el.tagName.toLowerCase() + ' ' + r.right);
    });
  }); return out.slice(0, 5); }"""


def at_both_widths(page, name: str) -> None:
    """Screenshots at 1280 and 390 px; at neither does the page scroll sideways."""
    for width, suffix in ((1280, ""), (390, "-phone")):
        page.set_viewport_size({"width": width, "height": 860 if width > 400 else 844})
        assert not overflows_horizontally(page), f"{page.url} at {width} px: {sideways(page)}"
        screenshot(page, f"{name}{suffix}", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})


def test_a_google_workspace_customer_leaves_the_groups_claim_empty(
    page, live_server, app, monkeypatch, db, oidc_idp, cognito_emulator
):
    set_settings(monkeypatch, app, public_url=live_server)
    f.pool(cognito_emulator)
    with acting_as(f.TEST_ACTOR):
        tenant = create_tenant("initech", "Initech", ["https://app.example.com/callback"])
    tenant_id = tenant.id
    _, token = new_link(tenant)

    page.goto(f"{live_server}/setup/{token}")
    page.locator("#guide-google summary").click()
    guide = page.locator("#guide-google")
    expect(guide).to_contain_text("Leave the groups claim empty")
    expect(guide).to_contain_text("Google sends no groups claim")
    groups = page.get_by_role("textbox", name="Groups claim")
    expect(groups).to_have_value("groups")
    page.get_by_label("Issuer URL").fill(oidc_idp)
    page.get_by_label("Client ID").fill("initech-google-client")
    page.get_by_label("Client secret").fill("g00gle-client-secret-xyz")
    groups.fill("")
    at_both_widths(page, "setup-google-no-groups")
    page.get_by_role("button", name="Check and connect").click()
    expect(page.locator("#progress")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Tenant, tenant_id).groups_claim == ""


def test_a_tenant_without_groups_is_verified_on_the_e_mail_alone(
    page, live_server, app, monkeypatch, users, db, cognito_emulator, oidc_idp, request
):
    set_settings(monkeypatch, app, public_url=live_server)
    request.getfixturevalue("cognito_at")(request.getfixturevalue("mock_cognito"))
    ready_tenant(cognito_emulator, oidc_idp, groups_claim="")
    sign_in(page, live_server, "staff")

    page.goto(f"{live_server}/tenants/acme")
    expect(page.get_by_text("none: the IdP sends no groups").first).to_be_visible()
    page.get_by_role("button", name="Run a test sign-in").click()
    page.get_by_role("button", name="nogroups").click()
    expect(page.get_by_role("heading", name="Test sign-in succeeded")).to_be_visible()
    expect(page.locator('[data-claim="email"]')).to_contain_text("present")
    expect(page.locator('[data-claim="custom:groups"]')).to_have_count(0)
    expect(page.get_by_text("No groups claim is configured")).to_be_visible()
    at_both_widths(page, "test-signin-no-groups")
    page.get_by_role("link", name="Back").click()
    expect(page.locator("h1 .badge--verified")).to_be_visible()


def test_an_admin_issued_reset_link_works_once(
    page, chromium, live_server, app, monkeypatch, users, db
):
    set_settings(monkeypatch, app, public_url=live_server)
    # The staff member is signed in elsewhere; the reset will end that session.
    elsewhere = chromium.new_context(viewport={"width": 1280, "height": 860})
    staff_tab = elsewhere.new_page()
    sign_in(staff_tab, live_server, "staff")

    page.goto(f"{live_server}/login")
    expect(page.locator("#forgot")).to_contain_text("Ask an admin of this portal for a reset link")
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/users")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset link for staff@example.com").click()
    link = page.locator("#once-link")
    expect(link).to_be_visible()
    expect(page.locator("#reset-link")).to_contain_text("shown this once")
    url = link.inner_text()
    assert url.startswith(f"{live_server}/reset-password/")
    screenshot(page, "users-reset-link", full_page=True, mask=[link])

    holder = chromium.new_context(viewport={"width": 390, "height": 844})
    tab = holder.new_page()
    tab.goto(url)
    expect(tab.get_by_role("heading", name="Set a new password")).to_be_visible()
    expect(tab.get_by_text("staff@example.com")).to_be_visible()
    assert not overflows_horizontally(tab)
    tab.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    tab.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    screenshot(tab, "reset-password-phone", full_page=True)
    tab.get_by_role("button", name="Set the new password").click()
    expect(tab.get_by_text("Your new password is set. Sign in with it.")).to_be_visible()
    sign_in(tab, live_server, "staff", NEW_PASSWORD)

    staff_tab.goto(f"{live_server}/tenants")  # the session from before the reset has ended
    expect(staff_tab.get_by_role("heading", name="Sign in")).to_be_visible()

    tab.goto(url)
    expect(tab.locator("#reason")).to_contain_text("This link was already used on")
    assert not overflows_horizontally(tab)
    screenshot(tab, "reset-password-used-phone", full_page=True)
    holder.close()
    elsewhere.close()


def test_the_pools_page_fits_at_1280_and_390_px(page, live_server, users, db, cognito_emulator):
    f.pool(cognito_emulator)  # the emulator's long pool id
    f.pool(cognito_emulator, classic=True)
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/pools")
    expect(page.get_by_role("button", name="Close to new tenants").first).to_be_visible()
    page.get_by_role("button", name="Close to new tenants").first.click()
    expect(page.get_by_role("button", name="Open to new tenants")).to_be_visible()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 860})
        assert not overflows_horizontally(page), f"pools at {width} px: {sideways(page)}"
        assert page.evaluate(INNER_OVERFLOW) == [], f"an inner scroll at {width} px"
        assert page.evaluate(OUT_OF_CARD, ".pool") == [], f"out of its card at {width} px"
        for action in ("Check", "Scan and adopt"):  # reachable without any sideways scroll
            box = page.get_by_role("link", name=action).first.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (action, width)
        screenshot(page, "pools" if width == 1280 else "pools-phone", full_page=True)
    page.get_by_role("link", name="Scan and adopt").first.click()
    expect(page.get_by_role("heading", name="Adopt the tenants onboarded by hand")).to_be_visible()
    assert db.session.scalar(select(Tenant.id)) is None


def walk(page, base: str, role: str, paths: dict[str, str]) -> list[str]:
    """Visit each page at 1280 and 390 px with a screenshot; the pages that scroll sideways."""
    wide = []
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 860 if width > 400 else 844})
        for kind, path in paths.items():
            answer = page.goto(f"{base}{path}")
            assert answer is not None and answer.status < 500, (
                role,
                kind,
                answer and answer.status,
            )
            if overflows_horizontally(page):
                wide.append(f"{role} {kind} at {width} px: {sideways(page)}")
            inner = [
                e
                for e in page.evaluate(INNER_OVERFLOW)
                if not e.startswith("pre") and "visually-hidden" not in e
            ]
            if inner:  # a table or box whose content must be scrolled sideways inside it
                wide.append(f"{role} {kind} at {width} px scrolls inside: {inner[:3]}")
            name = f"walk-{role}-{kind.replace(' ', '-')}" + ("-phone" if width < 400 else "")
            screenshot(page, name, full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})
    return wide


def test_every_page_kind_fits_for_staff_customer_auditor_and_admin(
    page, chromium, live_server, app, monkeypatch, users, db, cognito_emulator, oidc_idp
):
    set_settings(monkeypatch, app, public_url=live_server)
    tenant = ready_tenant(cognito_emulator, oidc_idp, slug="globex-international-holdings")
    slug = tenant.slug
    _, token = new_link(tenant)
    with acting_as(f.TEST_ACTOR):
        google = create_tenant("initech", "Initech", ["https://app.example.com/callback"])
    _, google_token = new_link(google)
    wide: list[str] = []

    sign_in(page, live_server, "staff")
    wide += walk(
        page,
        live_server,
        "staff",
        {
            "home": "/",
            "tenants": "/tenants",
            "tenant": f"/tenants/{slug}",
            "edit": f"/tenants/{slug}/edit",
            "identity provider": f"/tenants/{slug}/identity-provider",
            "plan": f"/tenants/{slug}/plan",
            "setup links": f"/tenants/{slug}/setup-links",
            "progress": f"/tenants/{slug}/progress",
            "offboard": f"/tenants/{slug}/offboard",
            "move": f"/tenants/{slug}/move",
            "new tenant": "/tenants/new",
            "import": "/tenants/import",
            "account": "/account",
            "tokens": "/account/tokens",
        },
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/tenants")
    screenshot(page, "tenants-list-customer-phone", full_page=True)  # the README's
    page.set_viewport_size({"width": 1280, "height": 860})
    customer = chromium.new_context(viewport={"width": 1280, "height": 860})
    wide += walk(
        customer.new_page(),
        live_server,
        "customer",
        {
            "setup ready tenant": f"/setup/{token}",
            "setup new tenant": f"/setup/{google_token}",
            "sign in": "/login",
            "unknown reset link": "/reset-password/not-a-real-token",
        },
    )
    customer.close()
    auditor = chromium.new_context(viewport={"width": 1280, "height": 860})
    audit_page = auditor.new_page()
    sign_in(audit_page, live_server, "auditor")
    wide += walk(
        audit_page,
        live_server,
        "auditor",
        {"audit": "/audit", "audit tenant": f"/audit/tenants/{slug}", "tenant": f"/tenants/{slug}"},
    )
    auditor.close()
    admin = chromium.new_context(viewport={"width": 1280, "height": 860})
    admin_page = admin.new_page()
    sign_in(admin_page, live_server, "admin")
    pool_id = f.fresh(db, tenant).pool.user_pool_id
    wide += walk(
        admin_page,
        live_server,
        "admin",
        {
            "users": "/admin/users",
            "pools": "/admin/pools",
            "pool check": f"/admin/pools/{pool_id}/check",
            "adopt": f"/admin/pools/{pool_id}/adopt",
            "webhooks": "/admin/webhooks",
        },
    )
    admin.close()
    assert wide == [], "\n".join(wide)
