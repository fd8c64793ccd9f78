"""An admin adopts hand-made tenants in Chromium: the scan, check-boxes, a preview, the result."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import handmade
from tests.support.browser import overflows_horizontally, screenshot, unlabelled_fields
from tests.support.web import PASSWORDS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_admin_scans_previews_and_adopts(page, live_server, users, cognito_emulator, oidc_idp):
    pool_id = handmade.seed_pool(cognito_emulator)
    handmade.console_tenant(pool_id, "acme", oidc_idp, scopes=handmade.CONSOLE_SCOPES)
    handmade.console_tenant(
        pool_id, "globex", oidc_idp, groups_readable=False, style=False, identifiers=["globex.com"]
    )
    handmade.provider(pool_id, "initech", oidc_idp)
    handmade.client(pool_id, "initech-web", ["initech"])
    handmade.client(pool_id, "initech-mobile", ["initech"], style=False)
    handmade.register(pool_id)

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORDS["admin"])
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/admin/pools")
    page.get_by_role("link", name="Scan and adopt").click()

    expect(page.get_by_role("heading", name="Adopt the tenants onboarded by hand")).to_be_visible()
    expect(page.get_by_label("Adopt acme")).to_be_checked()
    expect(page.get_by_label("Adopt globex")).to_be_checked()
    expect(page.get_by_label("Adopt initech-web")).to_have_count(0)  # no check-box: refused
    expect(page.get_by_text("e-mail domain globex.com (unverified)")).to_be_visible()
    assert unlabelled_fields(page) == []
    screenshot(page, "adopt-scan", full_page=True)

    page.get_by_label("Adopt globex").uncheck()
    page.get_by_role("button", name="Preview (dry run)").click()
    expect(
        page.get_by_text("Preview: 1 tenant would be adopted (nothing recorded)")
    ).to_be_visible()
    expect(page.get_by_label("Adopt globex")).not_to_be_checked()  # the choice is kept

    page.get_by_label("Adopt globex").check()
    page.get_by_role("button", name="Adopt the selected clients").click()
    expect(page.get_by_role("heading", name="Adopted 2 tenants")).to_be_visible()
    expect(page.get_by_label("Adopt acme")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    assert not overflows_horizontally(page)
    page.set_viewport_size({"width": 1280, "height": 860})
    page.get_by_role("link", name="acme", exact=True).click()
    expect(page.get_by_text("onboarded by hand before the portal")).to_be_visible()
