"""Browsing the portal with Flask's test client, CSRF tokens and all."""

from __future__ import annotations

import re

import pytest
from flask.globals import _cv_app

from portal.models import Role
from portal.services.access.users import create_user
from portal.services.audit.actors import acting_as
from tests.support.factories import TEST_ACTOR

PASSWORDS = {role: f"{role}-password-123" for role in ("admin", "staff", "auditor")}
# What any signed-in user may do to their own session and account (API tokens act with the
# user's own role, so an auditor's token can read and never change anything either); and
# verifying the audit chain, which changes no tenant and is itself audited (issue #6).
SELF_SERVICE_PREFIXES = ("auth.logout", "account.", "tokens.index", "tokens.revoke", "audit.verify")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def isolated(call):
    """Run a request outside the test's app context, as a real request would be.

    Flask reuses an app context that is already pushed, which would share `g` (Flask-Login's
    cached user, the CSRF token) and the database session between the test and its requests.
    """
    outer = _cv_app.get(None)
    if outer is not None:
        outer.pop()
    try:
        return call()
    finally:
        if outer is not None:
            outer.push()


class Browser:
    """A test client that fills in the CSRF token of the page it posts from."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, url: str, **kwargs):
        return isolated(lambda: self.client.get(url, **kwargs))

    def post(self, url: str, **kwargs):
        return isolated(lambda: self.client.post(url, **kwargs))

    def post_form(self, page_url: str, data: dict, post_url: str | None = None, **kwargs):
        page = self.get(page_url)
        token = csrf_token(page.get_data(as_text=True))
        return self.post(post_url or page_url, data={"csrf_token": token, **data}, **kwargs)

    def login(self, email: str, password: str):
        return self.post_form("/login", {"email": email, "password": password})


@pytest.fixture
def users(db):
    with acting_as(TEST_ACTOR):
        return {
            role: create_user(f"{role}@example.com", Role(role), PASSWORDS[role])
            for role in PASSWORDS
        }


@pytest.fixture
def browser(app, db):
    return Browser(app.test_client())


@pytest.fixture
def signed_in(app, db, users):
    """browser_for(role): a test client signed in with that role."""

    def browser_for(role: str) -> Browser:
        browser = Browser(app.test_client())
        response = browser.login(f"{role}@example.com", PASSWORDS[role])
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return browser

    return browser_for
