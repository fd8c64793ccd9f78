"""Sessions in Chromium: sign-out ends a copied cookie too; an idle session ends (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.models import UserSession, utcnow
from tests.support.browser import overflows_horizontally, sign_in, unlabelled_fields

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_signing_out_ends_a_copy_of_the_session_cookie(chromium, page, live_server, users, db):
    sign_in(page, live_server, "staff")
    thief = chromium.new_context()
    thief.add_cookies(page.context.cookies())
    stolen = thief.new_page()
    stolen.goto(f"{live_server}/tenants")
    expect(stolen.get_by_role("heading", name="Tenants")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    stolen.goto(f"{live_server}/tenants")
    expect(stolen.get_by_role("button", name="Sign in")).to_be_visible()
    assert "/login" in stolen.url
    thief.close()


def test_an_idle_session_ends_and_the_account_page_lists_sessions(page, live_server, users, db):
    sign_in(page, live_server, "staff")
    page.goto(f"{live_server}/account")
    sessions = page.locator("#sessions")
    expect(sessions.get_by_text("this browser")).to_be_visible()
    assert unlabelled_fields(page) == []
    page.set_viewport_size({"width": 390, "height": 800})
    assert not overflows_horizontally(page)

    record = db.session.scalars(select(UserSession)).one()
    record.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    page.goto(f"{live_server}/tenants")
    expect(page.get_by_text("after 30 minutes without activity")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
