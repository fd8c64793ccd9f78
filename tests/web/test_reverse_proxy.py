"""PORTAL_TRUSTED_PROXIES: the client's address and scheme behind proxies (issue 16, item 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import create_app
from portal.config import SettingsError, load_settings
from portal.models import AuditEvent
from tests.support.web import Browser


def _app_trusting(hops: int):
    return create_app({"TESTING": True}, settings={"trusted_proxies": hops})


def _failed_sign_in_source(app, db, headers: dict[str, str]) -> str:
    browser = Browser(app.test_client())
    browser.post_form(
        "/login",
        {"email": "nobody@example.com", "password": "wrong-password!"},
        headers=headers,
    )
    db.session.expire_all()
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "auth.sign_in_failed")
        .order_by(AuditEvent.id.desc())
    ).first()
    return event.source_ip


def test_behind_one_proxy_the_client_address_comes_from_x_forwarded_for(app, db):
    proxied = _app_trusting(1)
    # The client forged an entry; the proxy appended the address it saw: only that one counts.
    forwarded = {"X-Forwarded-For": "10.9.9.9, 203.0.113.50"}
    assert _failed_sign_in_source(proxied, db, forwarded) == "203.0.113.50"
    # The proxy terminated TLS: the portal knows the request was https (HSTS, secure cookies).
    page = Browser(proxied.test_client()).get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
    plain = Browser(app.test_client()).get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers


def test_per_address_limits_tell_clients_behind_the_proxy_apart(app, db, users):
    proxied = _app_trusting(1)
    noisy = Browser(proxied.test_client())
    quiet = Browser(proxied.test_client())
    for _ in range(5):
        noisy.post_form(
            "/login",
            {"email": "staff@example.com", "password": "wrong-password!"},
            headers={"X-Forwarded-For": "203.0.113.60"},
        )
    signed_in = quiet.post_form(
        "/login",
        {"email": "staff@example.com", "password": "staff-password-123"},
        headers={"X-Forwarded-For": "198.51.100.61"},
    )
    assert signed_in.status_code == 302


def test_without_trusted_proxies_the_header_is_ignored(app, db):
    assert _failed_sign_in_source(app, db, {"X-Forwarded-For": "203.0.113.70"}) == "127.0.0.1"


def test_the_setting_counts_hops_and_refuses_nonsense():
    assert load_settings({}).trusted_proxies == 0
    assert load_settings({"PORTAL_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    for bad in ("-1", "one"):
        with pytest.raises(SettingsError, match="PORTAL_TRUSTED_PROXIES"):
            load_settings({"PORTAL_TRUSTED_PROXIES": bad})
