"""Admin pages: users, the TOTP policy and registered user pools."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from portal.crypto import decrypt
from portal.models import AuditEvent, User
from tests.support import factories as f
from tests.support.web import PASSWORDS, Browser


def shown_password(page: str) -> str:
    match = re.search(r'<code id="once-password">([^<]+)</code>', page)
    assert match, "no password shown"
    return match.group(1)


def user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_admin_creates_a_user_with_a_generated_password_shown_once(app, signed_in, db):
    admin = signed_in("admin")
    created = admin.post_form(
        "/admin/users", {"email": "new@example.com", "role": "staff", "password": ""}
    )
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "shown this once" in page
    password = shown_password(page)
    assert "once-password" not in admin.get("/admin/users").get_data(as_text=True)
    newcomer = Browser(app.test_client())
    assert newcomer.login("new@example.com", password).status_code == 302
    assert user(db, "new@example.com").role == "staff"
    assert password not in str(
        db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "user.created")
        ).all()
    )


def test_user_form_errors_appear_next_to_the_field(signed_in):
    admin = signed_in("admin")
    response = admin.post_form(
        "/admin/users", {"email": "staff@example.com", "role": "staff", "password": ""}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in page and "exists already" in page
    short = admin.post_form(
        "/admin/users", {"email": "x@example.com", "role": "auditor", "password": "short"}
    )
    assert 'id="password-error"' in short.get_data(as_text=True)


def test_disabling_ends_sessions_and_enabling_restores_access(signed_in, db, users):
    staff = signed_in("staff")
    admin = signed_in("admin")
    staff_id = user(db, "staff@example.com").id
    admin.post_form("/admin/users", {}, post_url=f"/admin/users/{staff_id}/disable")
    assert staff.get("/tenants").status_code == 302  # signed out at once
    assert not user(db, "staff@example.com").is_enabled
    admin.post_form("/admin/users", {}, post_url=f"/admin/users/{staff_id}/enable")
    assert signed_in("staff").get("/tenants").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.disabled" in actions and "user.enabled" in actions


def test_an_admin_cannot_disable_themselves(signed_in, db, users):
    admin = signed_in("admin")
    response = admin.post_form(
        "/admin/users",
        {},
        post_url=f"/admin/users/{user(db, 'admin@example.com').id}/disable",
        follow_redirects=True,
    )
    assert "cannot disable your own account" in response.get_data(as_text=True)
    assert user(db, "admin@example.com").is_enabled


def test_unlock_clears_a_lockout(app, signed_in, db, users):
    outsider = Browser(app.test_client())
    for _ in range(5):
        outsider.login("staff@example.com", "wrong-password!")
    assert outsider.login("staff@example.com", PASSWORDS["staff"]).status_code == 429
    admin = signed_in("admin")
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "sign-in delayed from 1 address" in listing
    admin.post_form(
        "/admin/users", {}, post_url=f"/admin/users/{user(db, 'staff@example.com').id}/unlock"
    )
    assert outsider.login("staff@example.com", PASSWORDS["staff"]).status_code == 302


def test_mandatory_totp_sends_users_to_enrol_before_anything_else(app, signed_in, db):
    admin = signed_in("admin")
    admin.post_form("/admin/users", {"require_totp": "y"}, post_url="/admin/settings/totp")
    staff = signed_in("staff")
    blocked = staff.get("/tenants")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/account"
    assert staff.get("/").headers["Location"] == "/account"
    staff.post_form("/account", {}, post_url="/account/totp/start")
    page = staff.get("/account").get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert 'src="data:image/svg+xml' in page and "otpauth://totp/" in page
    wrong = staff.post_form("/account", {"code": "000000"}, post_url="/account/totp/confirm")
    assert wrong.status_code == 400 and 'id="code-error"' in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    confirmed = staff.post_form("/account", {"code": code}, post_url="/account/totp/confirm")
    assert confirmed.status_code == 302
    assert staff.get("/tenants").status_code == 200
    stored = user(db, "staff@example.com").totp_secret_encrypted
    assert secret.encode() not in stored and decrypt(stored) == secret
    # Next sign-in asks for the code; turning TOTP off is refused while it is mandatory.
    again = Browser(app.test_client())
    assert again.login("staff@example.com", PASSWORDS["staff"]).headers["Location"] == (
        "/login/totp"
    )
    refused = staff.post_form(
        "/account", {"code": code}, post_url="/account/totp/disable", follow_redirects=True
    )
    assert "cannot be turned off" in refused.get_data(as_text=True)
    assert "settings.changed" in db.session.scalars(select(AuditEvent.action)).all()


def test_admin_registers_a_pool_and_sees_its_usage(signed_in, db, cognito_emulator):
    seeded = cognito_emulator.seed(pools=1)[0]
    admin = signed_in("admin")
    bad = admin.post_form("/admin/pools", {"user_pool_id": "not-a-pool-id"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert 'id="user_pool_id-error"' in page and "is not a user pool id" in page
    missing = admin.post_form("/admin/pools", {"user_pool_id": "us-east-1_doesNotExist1"})
    assert 'id="user_pool_id-error"' in missing.get_data(as_text=True)
    added = admin.post_form(
        "/admin/pools", {"user_pool_id": seeded.user_pool_id}, follow_redirects=True
    )
    page = added.get_data(as_text=True)
    assert f"Registered {seeded.user_pool_id}" in page
    assert "0 / 1000" in page and "0 / 300" in page and "0 / 20" in page
    again = admin.post_form("/admin/pools", {"user_pool_id": seeded.user_pool_id})
    assert "registered already" in again.get_data(as_text=True)


def test_staff_change_their_own_password(app, signed_in, db):
    staff = signed_in("staff")
    other = signed_in("staff")
    wrong = staff.post_form(
        "/account",
        {
            "current_password": "nope",
            "new_password": "a-new-password-1",
            "confirm": "a-new-password-1",
        },
        post_url="/account/password",
    )
    assert 'id="current_password-error"' in wrong.get_data(as_text=True)
    changed = staff.post_form(
        "/account",
        {
            "current_password": PASSWORDS["staff"],
            "new_password": "a-new-password-1",
            "confirm": "a-new-password-1",
        },
        post_url="/account/password",
    )
    assert changed.status_code == 302
    assert staff.get("/tenants").status_code == 200  # this session goes on
    assert other.get("/tenants").status_code == 302  # the other one ended
    assert (
        Browser(app.test_client()).login("staff@example.com", "a-new-password-1").status_code == 302
    )


def test_totp_can_be_turned_off_with_a_code_when_optional(signed_in, db):
    staff = signed_in("staff")
    staff.post_form("/account", {}, post_url="/account/totp/start")
    secret = re.search(
        r'<code id="totp-secret">([A-Z2-7]+)</code>', staff.get("/account").get_data(as_text=True)
    ).group(1)
    staff.post_form(
        "/account", {"code": pyotp.TOTP(secret).now()}, post_url="/account/totp/confirm"
    )
    assert user(db, "staff@example.com").totp_secret_encrypted is not None
    # The code that turned TOTP on is spent; the next one (within the clock-drift window) works.
    spent = staff.post_form(
        "/account", {"code": pyotp.TOTP(secret).now()}, post_url="/account/totp/disable"
    )
    assert spent.status_code == 400
    off = staff.post_form(
        "/account",
        {"code": pyotp.TOTP(secret).at(time.time() + 30)},
        post_url="/account/totp/disable",
    )
    assert off.status_code == 302
    assert user(db, "staff@example.com").totp_secret_encrypted is None


def test_the_pools_page_refuses_a_pool_with_required_attributes_and_checks_a_registered_one(
    signed_in, db, cognito_emulator
):
    cognito = f.cognito_client()
    strict = cognito.create_user_pool(
        PoolName="strict",
        Schema=[{"Name": "given_name", "AttributeDataType": "String", "Required": True}],
    )["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=strict, Domain="strict-check-pool")
    admin = signed_in("admin")
    refused = admin.post_form("/admin/pools", {"user_pool_id": strict})
    assert refused.status_code == 400
    assert "given_name" in refused.get_data(as_text=True)  # named next to the field

    seeded = cognito_emulator.seed(pools=1)[0]
    admin.post_form("/admin/pools", {"user_pool_id": seeded.user_pool_id})
    cognito_emulator.configure(denied_actions=["DeleteIdentityProvider"])
    page = admin.get(f"/admin/pools/{seeded.user_pool_id}/check").get_data(as_text=True)
    assert "cannot take tenants" in page
    assert "cognito-idp:DeleteIdentityProvider is not allowed" in page
    assert signed_in("staff").get(f"/admin/pools/{seeded.user_pool_id}/check").status_code == 403
