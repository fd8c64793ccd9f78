"""An auditor in Chromium narrows the log with a pick-list and part of a tenant, sees the filter
as chips, removes one by keyboard and sees the results widen; no sideways scroll on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.audit import seed_events
from tests.support.browser import overflows_horizontally, screenshot, sign_in, unlabelled_fields

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def shown_actions(page) -> list[str]:
    return page.locator("td code.action").all_inner_texts()


def test_an_action_family_and_part_of_a_tenant_narrow_the_log_and_chips_undo_them(
    page, live_server, users, db
):
    with acting_as(f.TEST_ACTOR):
        eu = create_tenant("globex-eu", "Globex Europe", ["https://app.example.com/cb"])
        us = create_tenant("globex-us", "Globex Americas", ["https://app.example.com/cb"])
        acme = create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    seed_events(db, 2, "client_secret.rotation_started", tenant=eu)
    seed_events(db, 1, "client_secret.kept", tenant=us)
    seed_events(db, 1, "secret.revealed", tenant=us)
    seed_events(db, 2, "client_secret.kept", tenant=acme)
    sign_in(page, live_server, "auditor")
    page.goto(f"{live_server}/audit")
    assert unlabelled_fields(page) == []

    page.get_by_label("Action", exact=True).select_option(label="Every client_secret.* action")
    page.get_by_label("Tenant", exact=True).fill("GLOB")
    page.get_by_role("button", name="Apply").click()

    chips = page.get_by_role("list", name="Filtered by")
    expect(chips.get_by_role("link")).to_have_count(2)
    expect(chips).to_contain_text("Tenant contains “GLOB”")
    expect(chips).to_contain_text("Action: every client_secret.* action")
    assert sorted(shown_actions(page)) == [
        "client_secret.kept",
        "client_secret.rotation_started",
        "client_secret.rotation_started",
    ]  # not acme's, not the reveal
    expect(page.get_by_label("Action", exact=True)).to_have_value("client_secret.")
    expect(page.get_by_label("Tenant", exact=True)).to_have_value("GLOB")
    page.locator("#events-title").evaluate("heading => heading.scrollIntoView()")
    screenshot(page, "audit-log-filter-chips")

    # Remove the action filter from the keyboard: the tenant filter stays, the results widen.
    remove_action = chips.get_by_role(
        "link", name="Remove the filter: Action: every client_secret.* action"
    )
    remove_action.focus()
    page.keyboard.press("Enter")
    expect(chips.get_by_role("link")).to_have_count(1)
    expect(chips).to_contain_text("Tenant contains “GLOB”")
    expect(page.locator("td code.action", has_text="secret.revealed")).to_have_count(1)
    widened = shown_actions(page)
    assert "tenant.created" in widened and len(widened) == 6  # 2 created, 4 of theirs
    expect(page.get_by_label("Action", exact=True)).to_have_value("")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/audit?tenant=glob&action=client_secret.&actor=test&actor_type=user")
    expect(page.get_by_role("list", name="Filtered by").get_by_role("link")).to_have_count(4)
    assert not overflows_horizontally(page)
    page.get_by_role("list", name="Filtered by").scroll_into_view_if_needed()
    screenshot(page, "audit-log-filter-chips-phone")
