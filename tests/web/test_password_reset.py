"""Admin-issued password-reset links: shown once, single use, expiring, audited, hash only."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pyotp
from sqlalchemy import select, update

from portal.crypto import encrypt
from portal.models import AuditEvent, PasswordReset, User, utcnow
from portal.services.access.password_resets import hash_token
from tests.support.web import PASSWORDS, Browser

NEW_PASSWORD = "a-brand-new-passphrase-42"


def user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def issue_on_users_page(admin: Browser, db, email: str) -> str:
    """The reset link the Users page shows once, as a path."""
    page = admin.post_form(
        "/admin/users", {}, post_url=f"/admin/users/{user(db, email).id}/reset"
    ).get_data(as_text=True)
    match = re.search(r'<code id="once-link">https?://[^/]+(/reset-password/[^<]+)</code>', page)
    assert match, "no reset link shown"
    assert "shown this once" in page
    return match.group(1)


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, signed_in, db):
    staff = signed_in("staff")
    admin = signed_in("admin")
    path = issue_on_users_page(admin, db, "staff@example.com")
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43
    assert "once-link" not in admin.get("/admin/users").get_data(as_text=True)
    # Issuing changes nothing yet: the user may still be signed in with the old password.
    assert staff.get("/tenants").status_code == 200
    [stored] = db.session.scalars(select(PasswordReset)).all()
    assert stored.token_hash == hash_token(token) and token not in json.dumps(
        [e.details for e in db.session.scalars(select(AuditEvent))], default=str
    )

    holder = Browser(app.test_client())
    form = holder.get(path)
    assert form.status_code == 200 and "staff@example.com" in form.get_data(as_text=True)
    short = holder.post_form(path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    differ = holder.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert differ.status_code == 422 and "The two passwords differ" in differ.get_data(as_text=True)
    done = holder.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    assert staff.get("/tenants").status_code == 302  # the old session has ended
    fresh = Browser(app.test_client())
    assert fresh.login("staff@example.com", PASSWORDS["staff"]).status_code == 401
    assert fresh.login("staff@example.com", NEW_PASSWORD).status_code == 302

    again = Browser(app.test_client()).get(path)
    assert again.status_code == 410
    assert "already used on" in again.get_data(as_text=True)
    done = actions(db)
    assert "user.password_reset_link_issued" in done and "user.password_reset_by_link" in done
    used = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.password_reset_by_link")
    )
    assert used.actor_label == "staff@example.com (reset link)" and used.details["sessions_ended"]


def test_an_expired_a_replaced_and_an_unknown_link_each_say_why(app, signed_in, db):
    admin = signed_in("admin")
    first = issue_on_users_page(admin, db, "staff@example.com")
    second = issue_on_users_page(admin, db, "staff@example.com")
    visitor = Browser(app.test_client())
    replaced = visitor.get(first)
    assert replaced.status_code == 410 and "newer reset link" in replaced.get_data(as_text=True)

    db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    expired = visitor.get(second)
    assert expired.status_code == 410
    assert "expired on" in expired.get_data(as_text=True)
    assert "Ask an admin" in expired.get_data(as_text=True)
    refused = visitor.post_form(
        "/login", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, post_url=second
    )
    assert refused.status_code == 410  # a closed link takes no password
    assert Browser(app.test_client()).login(
        "staff@example.com", PASSWORDS["staff"]
    ).status_code == (302)

    unknown = visitor.get("/reset-password/not-a-token-at-all")
    assert unknown.status_code == 404
    assert "not a valid password-reset link" in unknown.get_data(as_text=True)


def test_a_user_with_totp_must_give_a_current_code_to_use_the_link(app, signed_in, db):
    secret = pyotp.random_base32()
    staff_user = user(db, "staff@example.com")
    staff_user.totp_secret_encrypted = encrypt(secret)
    db.session.commit()
    admin = signed_in("admin")
    path = issue_on_users_page(admin, db, "staff@example.com")
    holder = Browser(app.test_client())
    assert "Authentication code" in holder.get(path).get_data(as_text=True)
    without = holder.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert without.status_code == 422 and "code does not match" in without.get_data(as_text=True)
    assert db.session.scalar(select(PasswordReset.used_at)) is None  # not spent by a failure
    code = pyotp.TOTP(secret).now()
    done = holder.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "code": code})
    assert done.status_code == 302
    # Signing in still asks for the second factor.
    signing = Browser(app.test_client()).login("staff@example.com", NEW_PASSWORD)
    assert signing.headers["Location"].endswith("/login/totp")


def test_a_disabled_user_gets_no_link(app, signed_in, db):
    admin = signed_in("admin")
    staff_id = user(db, "staff@example.com").id
    admin.post_form("/admin/users", {}, post_url=f"/admin/users/{staff_id}/disable")
    page = admin.post_form(
        "/admin/users", {}, post_url=f"/admin/users/{staff_id}/reset", follow_redirects=True
    ).get_data(as_text=True)
    assert "enable the account first" in page and "once-link" not in page


def test_the_sign_in_page_tells_a_user_who_forgot_whom_to_ask(browser, db):
    page = browser.get("/login").get_data(as_text=True)
    assert (
        "Forgot your password?" in page and "Ask an admin of this portal for a reset link" in page
    )


def test_the_cli_issues_a_link_once_and_audits_it(cli, db, users):
    result = cli("users", "reset-link", "staff@example.com", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    token = document["url"].rsplit("/reset-password/", 1)[1]
    assert db.session.scalar(select(PasswordReset.token_hash)) == hash_token(token)
    assert "user.password_reset_link_issued" in actions(db)
    missing = cli("users", "reset-link", "nobody@example.com")
    assert missing.exit_code == 2 and "no portal user" in missing.stderr
