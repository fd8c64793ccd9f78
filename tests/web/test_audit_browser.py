"""In Chromium: "Verify now" runs in a worker and the page shows the result without a reload."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.models import AuditVerification
from portal.services.actors import SYSTEM, acting_as
from portal.services.audit_verifications import run_verification
from tests.audit.helpers import as_superuser, seed_events
from tests.web.conftest import PASSWORDS

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@pytest.fixture
def served(app, db, users):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.browser
def test_verify_now_updates_the_page_in_place(served, db):
    seed_events(db, 5)
    as_superuser(db, "UPDATE audit_events SET actor_label = 'forged' WHERE id = 2")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{served}/login")
        page.fill("#email", "auditor@example.com")
        page.fill("#password", PASSWORDS["auditor"])
        page.keyboard.press("Enter")
        page.wait_for_url(f"{served}/")
        page.goto(f"{served}/audit")
        assert "not been verified yet" in page.inner_text("#chain-status")

        page.get_by_role("button", name="Verify now").click()
        page.wait_for_selector("#chain-status[data-poll]")
        assert page.get_by_role("button", name="Verify now").is_disabled()
        queued = db.session.scalars(select(AuditVerification)).one()
        with acting_as(SYSTEM):  # the worker's part
            run_verification(queued.id)

        alert = page.wait_for_selector("#chain-status [role=alert]", timeout=15_000)
        assert "Chain broken at event 2" in alert.inner_text()
        assert page.get_by_role("link", name="2", exact=True).get_attribute("href") == (
            "/audit/events/2"
        )
        assert "Verification started" in page.inner_text(".flashes")  # no reload happened
        browser.close()
