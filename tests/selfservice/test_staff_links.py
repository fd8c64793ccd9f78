"""Staff's setup-link page: states, the URL shown once, revoking, sending by e-mail."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, LinkState, SetupLink, utcnow
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.selfservice import new_link
from tests.support.settings import set_settings

PAGE = "/tenants/acme/setup-links"


@pytest.fixture
def acme(db, cognito_emulator) -> int:
    f.pool(cognito_emulator)
    with acting_as(f.TEST_ACTOR):
        tenant = create_tenant(
            "acme", "Acme Corp", ["https://app.example.com/cb"], contact_email="it@acme.example"
        )
    return tenant.id


def shown_url(response) -> str | None:
    match = re.search(r'data-copy="(http://localhost:8000/setup/[^"]+)"', response.get_data(True))
    return match.group(1) if match else None


def create(browser, **data):
    return browser.post_form(PAGE, {"expires": "7d", "send_to": "", **data})


def test_staff_create_a_link_and_see_its_url_exactly_once(app, signed_in, db, acme):
    staff = signed_in("staff")
    response = create(staff, expires="3d")
    assert response.status_code == 302
    page = staff.get(PAGE)
    url = shown_url(page)
    assert url is not None
    assert "This is the only time the link is shown" in page.get_data(True)
    token = url.rsplit("/", 1)[1]
    link = db.session.scalar(select(SetupLink))
    assert link.token_hash != token and link.created_by == "staff@example.com"
    assert timedelta(days=2, hours=23) < link.expires_at - utcnow() <= timedelta(days=3)
    assert shown_url(staff.get(PAGE)) is None  # gone on the next view
    # Between the two requests the token sat in the session cookie, encrypted only.
    staff.client.get("/login")
    for cookie in staff.client._cookies.values():
        assert token not in cookie.value


def test_a_new_link_replaces_the_old_one_and_states_are_listed(signed_in, db, acme):
    staff = signed_in("staff")
    create(staff)
    first = shown_url(staff.get(PAGE))
    create(staff)
    page = staff.get(PAGE)
    text = unescape(page.get_data(True))
    assert "this one replaces it" in text
    assert shown_url(page) != first
    assert 'badge--revoked">revoked' in text and 'badge--active">active' in text
    replaced = staff.get(first.removeprefix("http://localhost:8000"))
    assert replaced.status_code == 410 and "was replaced" in replaced.get_data(True)


def test_staff_revoke_a_link_and_it_stops_working(signed_in, db, acme):
    staff = signed_in("staff")
    create(staff)
    url = shown_url(staff.get(PAGE)).removeprefix("http://localhost:8000")
    link_id = db.session.scalar(select(SetupLink.id))
    revoked = staff.post_form(PAGE, {}, post_url=f"{PAGE}/{link_id}/revoke")
    assert revoked.status_code == 302
    db.session.expire_all()
    link = db.session.get(SetupLink, link_id)
    assert link.state() == LinkState.REVOKED and link.revoked_by == "staff@example.com"
    assert staff.get(url).status_code == 410
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "setup_link.revoked" in actions


def test_used_and_expired_links_are_labelled(signed_in, db, acme):
    tenant_id = acme
    from portal.models import Tenant

    link, _ = new_link(db.session.get(Tenant, tenant_id))
    link_id = link.id
    link.used_at = utcnow()
    db.session.commit()
    staff = signed_in("staff")
    assert 'badge--used">used' in staff.get(PAGE).get_data(True)
    link = db.session.get(SetupLink, link_id)
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert 'badge--expired">expired' in staff.get(PAGE).get_data(True)


def test_only_staff_and_admins_manage_links(app, signed_in, db, acme):
    assert signed_in("auditor").get(PAGE).status_code == 403
    assert signed_in("admin").get(PAGE).status_code == 200
    assert signed_in("staff").get("/tenants/nobody/setup-links").status_code == 404
    from tests.support.web import Browser

    anonymous = Browser(app.test_client()).get(PAGE)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_link_can_be_sent_by_email_when_smtp_is_configured(signed_in, db, acme, smtp_server):
    staff = signed_in("staff")
    form = staff.get(PAGE).get_data(True)
    assert 'value="it@acme.example"' in form  # the tenant's contact, prefilled
    create(staff, send_to="it@acme.example")
    page = unescape(staff.get(PAGE).get_data(True))
    assert "The link was sent to it@acme.example" in page
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["it@acme.example"]
    url = re.search(r"http://localhost:8000/setup/\S+", message).group(0)
    assert url in page  # the same link the page shows once
    assert "Subject: Set up single sign-on to Globex Cloud for Acme Corp" in message
    link = db.session.scalar(select(SetupLink))
    assert link.sent_to == "it@acme.example" and link.sent_at is not None
    [sent] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "setup_link.sent")
    ).all()
    assert sent.details["sent_to"] == "it@acme.example"
    assert url.rsplit("/", 1)[1] not in str(sent.details)


def test_a_failed_send_keeps_the_link_and_says_to_copy_it(app, signed_in, db, acme, monkeypatch):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    set_settings(monkeypatch, app, smtp_url=f"smtp://user:pw-Zz9@127.0.0.1:{port}")
    staff = signed_in("staff")
    create(staff, send_to="it@acme.example")
    page = staff.get(PAGE)
    text = unescape(page.get_data(True))
    assert "created but not sent" in text and "Copy it instead" in text
    assert "pw-Zz9" not in text
    assert shown_url(page) is not None
    assert db.session.scalar(select(SetupLink)).sent_to is None


def test_a_bad_address_is_refused_next_to_its_field(signed_in, db, acme, smtp_server):
    response = create(signed_in("staff"), send_to="not-an-address")
    assert response.status_code == 422
    assert 'id="send_to-error"' in response.get_data(True)
    assert db.session.scalar(select(SetupLink)) is None


def test_without_smtp_the_page_offers_copying_only(signed_in, db, acme):
    page = signed_in("staff").get(PAGE).get_data(True)
    assert 'name="send_to"' not in page
    assert "E-mail is not configured" in page
