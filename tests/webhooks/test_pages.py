"""The admins' webhook pages: register an endpoint, see its secret once, edit, delete."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models import AuditEvent, WebhookEndpoint

SECRET_RE = re.compile(rb"whsec_[A-Za-z0-9+/=]+")


def test_admin_registers_an_endpoint_and_sees_the_secret_once(db, signed_in):
    admin = signed_in("admin")
    created = admin.post_form(
        "/admin/webhooks",
        {
            "url": "https://hooks.example.com/portal",
            "description": "back office",
            "events": ["tenant.created", "provisioning.failed"],
        },
    )
    assert created.status_code == 201
    secret = SECRET_RE.search(created.data).group(0)
    hook = db.session.scalar(select(WebhookEndpoint))
    assert hook.events == ["tenant.created", "provisioning.failed"]
    page = admin.get(f"/admin/webhooks/{hook.id}")
    assert page.status_code == 200 and secret not in page.data
    assert secret not in admin.get("/admin/webhooks").data
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "webhook.created"))
    assert secret.decode() not in str(event.details)


def test_errors_show_next_to_their_field_and_keep_what_was_typed(db, signed_in):
    admin = signed_in("admin")
    response = admin.post_form(
        "/admin/webhooks", {"url": "http://hooks.example.com/x", "description": "kept"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "webhooks are sent over https only" in html
    assert "choose at least one event" in html
    assert 'value="kept"' in html
    assert db.session.scalar(select(WebhookEndpoint)) is None
    hidden = admin.post_form(
        "/admin/webhooks", {"url": "https://0x7f000001/hook", "events": ["tenant.created"]}
    )
    html = hidden.get_data(as_text=True)
    assert 'id="url-error"' in html and "it is a loopback address" in html
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_edit_disable_and_delete(db, signed_in):
    admin = signed_in("admin")
    admin.post_form(
        "/admin/webhooks", {"url": "https://hooks.example.com/a", "events": ["tenant.created"]}
    )
    hook_id = db.session.scalar(select(WebhookEndpoint.id))
    page = f"/admin/webhooks/{hook_id}"
    saved = admin.post_form(
        page, {"url": "https://hooks.example.com/b", "events": ["tenant.offboarded"]}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    hook = db.session.get(WebhookEndpoint, hook_id)
    assert (hook.url, hook.events, hook.enabled) == (
        "https://hooks.example.com/b",
        ["tenant.offboarded"],
        False,  # the box was not ticked
    )
    rotated = admin.post_form(page, {}, post_url=f"{page}/rotate")
    assert SECRET_RE.search(rotated.data)
    deleted = admin.post_form(page, {}, post_url=f"{page}/delete")
    assert deleted.status_code == 302
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_only_admins_reach_the_webhook_pages(db, signed_in):
    for role in ("staff", "auditor"):
        assert signed_in(role).get("/admin/webhooks").status_code == 403
    nav = signed_in("admin").get("/").get_data(as_text=True)
    assert 'href="/admin/webhooks"' in nav
