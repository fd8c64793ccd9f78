"""Personal API tokens obey the TOTP policy the web enforces (issue 16, item 2)."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from portal.crypto import encrypt
from portal.models import AuditEvent
from portal.services.access.portal_settings import REQUIRE_TOTP, set_setting
from portal.services.access.users import find_user
from portal.services.audit.actors import acting_as
from tests.support.factories import TEST_ACTOR

TOTP_REQUIRED = "urn:portal:problem:totp-required"


def _require_totp(on: bool) -> None:
    with acting_as(TEST_ACTOR):
        set_setting(REQUIRE_TOTP, on)


def test_a_token_of_a_user_without_totp_is_refused_while_totp_is_required(db, api_client):
    staff = api_client("staff")
    assert staff.get("/api/v1/tenants").status_code == 200
    _require_totp(True)
    for url in ("/api/v1/tenants", "/api/v1/tenants/acme/oidc-config", "/api/v1/token"):
        refused = staff.get(url)
        assert refused.status_code == 403, url
        assert refused.headers["Content-Type"] == "application/problem+json"
        problem = refused.get_json()
        assert problem["type"] == TOTP_REQUIRED
        assert "api-staff@example.com" in problem["detail"]
        assert "two-factor authentication (TOTP)" in problem["detail"]
    # Application tokens belong to no person: the policy does not apply to them.
    assert api_client("application").get("/api/v1/tenants/acme/oidc-config").status_code == 404
    _require_totp(False)
    assert staff.get("/api/v1/tenants").status_code == 200


def test_a_token_works_again_once_its_owner_enrols(db, api_client):
    _require_totp(True)
    staff = api_client("staff")
    assert staff.get("/api/v1/tenants").status_code == 403
    owner = find_user("api-staff@example.com")
    owner.totp_secret_encrypted = encrypt(pyotp.random_base32())
    db.session.commit()
    assert staff.get("/api/v1/tenants").status_code == 200


def test_turning_the_policy_on_is_audited_and_says_who_is_affected(signed_in, db, users):
    admin = signed_in("admin")
    page = admin.post_form(
        "/admin/users",
        {"require_totp": "y"},
        post_url="/admin/settings/totp",
        follow_redirects=True,
    )
    assert "3 user(s) have none yet" in page.get_data(as_text=True)
    assert "personal API tokens are refused" in page.get_data(as_text=True)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "settings.changed")
    ).one()
    assert event.actor_label == "admin@example.com"
    assert event.details["after"] == {"require_totp": True}
