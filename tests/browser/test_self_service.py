"""The whole self-service flow in Chromium: staff send a link, the customer connects and tests.

The portal is served by werkzeug on 127.0.0.1, a real worker process onboards the tenant in the
local Cognito, one local OIDC provider plays the customer's IdP and another plays Cognito's
hosted UI for the test sign-in.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.models import AuditEvent, LinkState, SetupLink, Tenant, utcnow
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from portal.workers import celery_of
from tests.support import factories as f
from tests.support.leakscan import database_text
from tests.support.selfservice import new_link
from tests.support.settings import set_settings
from tests.support.web import PASSWORDS

SECRET = "Br0wser-Customer-Secret-7q"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Recorder:
    """WSGI middleware keeping every response body the portal sent."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app
        self.bodies: list[bytes] = []

    def __call__(self, environ, start_response):
        result = self.wsgi_app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        self.bodies.append(body)
        return [body]


@pytest.fixture
def portal_server(app, monkeypatch) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder(app)
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    set_settings(monkeypatch, app, public_url=base)
    set_settings(monkeypatch, app, vendor_name="Globex Cloud")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, recorder
    server.shutdown()
    thread.join(5)


@pytest.fixture
def sent_tasks(app, monkeypatch) -> list[dict]:
    """Every task message the web process sends to the broker."""
    celery = celery_of(app)
    original = celery.send_task
    seen: list[dict] = []

    def recording(name, args=None, kwargs=None, **options):
        seen.append({"name": name, "args": args, "kwargs": kwargs})
        return original(name, args=args, kwargs=kwargs, **options)

    monkeypatch.setattr(celery, "send_task", recording)
    return seen


def test_a_customer_connects_and_tests_their_idp_through_a_setup_link(
    request,
    db,
    users,
    cognito_emulator,
    oidc_idp,
    chromium,
    portal_server,
    sent_tasks,
    start_worker,
    caplog,
):
    caplog.set_level(logging.DEBUG)
    base, recorder = portal_server
    request.getfixturevalue("cognito_at")(request.getfixturevalue("mock_cognito"))
    f.pool(cognito_emulator)
    with acting_as(f.TEST_ACTOR):  # the wizard has its own browser test; here the service does it
        tenant_id = create_tenant("acme", "Acme Corp", ["https://app.acme.example/callback"]).id
    worker = start_worker(PORTAL_PUBLIC_URL=base)

    contexts = []
    try:
        # Staff sign in and create the link on their page.
        contexts.append(chromium.new_context())
        staff = contexts[-1].new_page()
        staff.goto(f"{base}/login")
        staff.get_by_label("E-mail").fill("staff@example.com")
        staff.get_by_label("Password").fill(PASSWORDS["staff"])
        staff.get_by_role("button", name="Sign in").click()
        staff.goto(f"{base}/tenants/acme/setup-links")
        staff.get_by_role("button", name="Create setup link").click()
        link_url = staff.locator(".new-link code").inner_text().strip()
        assert link_url.startswith(f"{base}/setup/")

        # The customer's IT admin: another browser context, no session.
        customer_context = chromium.new_context()
        contexts.append(customer_context)
        page = customer_context.new_page()
        page.goto(link_url)
        expect(
            page.get_by_role("heading", name="Set up single sign-on for Acme Corp")
        ).to_be_visible()
        expect(page.locator(".brand")).to_contain_text("Globex Cloud")
        guide = page.locator("#guide-generic")
        page.get_by_text("Another OpenID Connect provider").click()
        expect(guide).to_have_attribute("open", "")
        redirect_uri = guide.locator("[data-copy]").first.get_attribute("data-copy")
        assert redirect_uri.endswith("/oauth2/idpresponse")

        page.get_by_role("textbox", name="Issuer URL").fill(oidc_idp)
        page.get_by_role("textbox", name="Client ID", exact=True).fill("acme-sso-app")
        page.get_by_label("Client secret").fill(SECRET)
        page.get_by_role("textbox", name="Groups claim").fill("app_groups")
        page.get_by_role("button", name="Check and connect").click()

        # Progress updates in place until the tenant is ready.
        expect(page.locator("#progress-title")).to_contain_text("connected", timeout=90_000)
        expect(page.locator("#progress .steps li[data-status=succeeded]")).to_have_count(5)

        # The test sign-in: Cognito's hosted UI (played locally) sends the user to the IdP.
        page.get_by_role("button", name="Run a test sign-in").click()
        page.get_by_role("button", name="alice").click()
        expect(page.get_by_role("heading", name="Test sign-in succeeded")).to_be_visible()
        expect(page.locator(".claims .chip")).to_have_text(["admins", "staff"])

        # Back on the setup page: connected, tested, and no more submissions.
        page.get_by_role("link", name="Back").click()
        expect(page.locator("#test")).to_contain_text("Last test: succeeded")
        expect(page.locator("#idp-form")).to_have_count(0)
        expect(page.get_by_text("ask Globex Cloud for a new set-up link")).to_be_visible()
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
        second = customer_context.request.post(
            link_url,
            form={
                "csrf_token": csrf,
                "issuer": oidc_idp,
                "client_id": "another-app",
                "client_secret": "another-secret",
                "groups_claim": "groups",
            },
        )
        assert second.status == 409

        # Staff see the link used and the tenant verified by it.
        staff.reload()
        expect(staff.locator("tbody .badge--used")).to_have_text("used")
        expect(staff.get_by_text("by setup link for acme")).to_be_visible()

        # An expired link shows the expiry page, naming nobody.
        with acting_as(f.TEST_ACTOR):
            other = create_tenant("globex-two", "Initech", ["https://app.example.com/cb"])
        expired, token = new_link(other, timedelta(hours=1))
        expired.expires_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        response = page.goto(f"{base}/setup/{token}")
        assert response.status == 410  # expired: says so and whom to ask, names no tenant
        expect(page.get_by_role("heading", name="This set-up link has expired")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("Initech")
    finally:
        for context in contexts:
            context.close()

    db.session.expire_all()
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.status == "ready" and tenant.idp_client_id == "acme-sso-app"
    assert tenant.verified_by == "setup link for acme"
    link = db.session.scalar(select(SetupLink).where(SetupLink.tenant_id == tenant_id))
    assert link.state() == LinkState.USED and link.submissions == 1

    # The customer's secret appears nowhere: pages, logs, task messages, audit, database.
    assert recorder.bodies and all(SECRET.encode() not in body for body in recorder.bodies)
    assert SECRET not in caplog.text
    assert SECRET not in worker.log
    assert sent_tasks and SECRET not in json.dumps(sent_tasks)
    assert all(task["args"] == [task["args"][0]] for task in sent_tasks)  # a run id only
    details = [e.details for e in db.session.scalars(select(AuditEvent)).all()]
    assert SECRET not in json.dumps(details, default=str)
    assert SECRET not in database_text(db)
