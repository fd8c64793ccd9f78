"""An auditor in Chromium: "Verify now" runs in a worker and the page shows the result in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import AuditVerification
from portal.services.audit.actors import SYSTEM, acting_as
from portal.services.audit.verifications import run_verification
from tests.support import factories as f
from tests.support.audit import as_superuser
from tests.support.browser import overflows_horizontally, screenshot, sign_in, unlabelled_fields

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_verify_now_shows_the_tampered_event_without_a_reload(
    page, live_server, users, db, cognito_emulator, oidc_idp
):
    f.pool(cognito_emulator)
    [run] = f.onboard(f.tenant("acme", oidc_idp))
    assert f.run_now(run) == "succeeded"
    as_superuser(db, "UPDATE audit_events SET actor_label = 'forged' WHERE id = 5")
    sign_in(page, live_server, "auditor")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.locator("#chain-status")).to_contain_text("not been verified yet")
    assert unlabelled_fields(page) == []
    page.get_by_role("button", name="Verify now").click()
    expect(page.get_by_role("button", name="Verify now")).to_be_disabled()
    queued = db.session.scalars(select(AuditVerification)).one()
    with acting_as(SYSTEM):  # the worker's part
        run_verification(queued.id)

    alert = page.locator("#chain-status [role=alert]")
    expect(alert).to_contain_text("Chain broken at event 5")
    expect(page.locator(".flashes")).to_contain_text("Verification started")  # no reload
    screenshot(page, "audit-log-broken-chain")
    alert.get_by_role("link", name="5", exact=True).click()
    expect(page.get_by_role("heading", name="Event 5")).to_be_visible()

    page.goto(f"{live_server}/audit/tenants/acme")
    expect(page.get_by_text("CreateManagedLoginBranding")).to_be_visible()
    screenshot(page, "audit-tenant-timeline", full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})
    for url in ("/audit", "/audit/tenants/acme", f"/audit/runs/{run.id}"):
        page.goto(f"{live_server}{url}")
        assert not overflows_horizontally(page), url
