"""Browser sessions the server ends: sign-out, sign out everywhere, role changes, timeouts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.config import load_settings
from portal.models import AuditEvent, User, UserSession, utcnow
from portal.services.access.sessions import purge_old_sessions
from tests.support.web import PASSWORDS, Browser


def _user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _sessions(db, email: str) -> list[UserSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(UserSession).join(User).where(User.email == email).order_by(UserSession.id)
        )
    )


def _copy_cookie(app, browser: Browser) -> Browser:
    """Another browser holding a copy of BROWSER's session cookie (same address and agent)."""
    copy = Browser(app.test_client())
    cookie = browser.client.get_cookie("session")
    copy.client.set_cookie("session", cookie.value, domain="localhost")
    return copy


def _signed_in(browser: Browser) -> bool:
    return browser.get("/tenants").status_code == 200


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, signed_in, db):
    staff = signed_in("staff")
    stolen = _copy_cookie(app, staff)
    assert _signed_in(stolen)  # the copy works while the session lives
    staff.post_form("/", {}, post_url="/logout")
    replay = stolen.get("/tenants")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")
    assert stolen.get("/account").status_code == 302
    [record] = _sessions(db, "staff@example.com")
    assert record.ended_at is not None and record.end_reason == "signed_out"


def test_signing_out_ends_only_that_browser(app, signed_in, db):
    laptop, phone = signed_in("staff"), signed_in("staff")
    laptop.post_form("/", {}, post_url="/logout")
    assert not _signed_in(laptop)
    assert _signed_in(phone)


def test_the_account_page_lists_sessions_and_ends_another_one(app, signed_in, db):
    laptop, phone = signed_in("staff"), signed_in("staff")
    page = laptop.get("/account").get_data(as_text=True)
    assert page.count("this browser") == 1 and "Where you are signed in" in page
    other = _sessions(db, "staff@example.com")[-1]  # the phone's, signed in last
    laptop.post_form("/account", {}, post_url=f"/account/sessions/{other.id}/end")
    assert not _signed_in(phone)
    assert _signed_in(laptop)


def test_a_user_signs_out_everywhere_and_other_users_stay_signed_in(app, signed_in, db):
    laptop, phone, colleague = signed_in("staff"), signed_in("staff"), signed_in("admin")
    done = laptop.post_form("/account", {}, post_url="/account/sessions/end-all")
    assert done.headers["Location"] == "/login"
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _signed_in(colleague)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.sessions_ended")
    ).one()
    assert event.details["sessions_ended"] == 2
    # Signing in again works: only the sessions ended, not the account.
    assert _signed_in(signed_in("staff"))


def test_an_admin_signs_a_user_out_everywhere(app, signed_in, db):
    staff, admin = signed_in("staff"), signed_in("admin")
    staff_id = _user(db, "staff@example.com").id
    page = admin.post_form(
        "/admin/users", {}, post_url=f"/admin/users/{staff_id}/signout", follow_redirects=True
    )
    assert "signed out everywhere (1 session(s) ended)" in page.get_data(as_text=True)
    assert not _signed_in(staff)
    assert _signed_in(admin)
    assert "Your session was ended" in staff.get("/login").get_data(as_text=True)


def test_a_role_change_ends_every_session_of_the_user(app, signed_in, db):
    staff, admin = signed_in("staff"), signed_in("admin")
    staff_id = _user(db, "staff@example.com").id
    admin.post_form("/admin/users", {"role": "auditor"}, post_url=f"/admin/users/{staff_id}/role")
    assert _user(db, "staff@example.com").role == "auditor"
    assert not _signed_in(staff)
    again = Browser(app.test_client())
    again.login("staff@example.com", PASSWORDS["staff"])
    assert again.get("/tenants/new").status_code == 403  # an auditor now
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.role_changed")
    ).one()
    assert event.details["before"] == {"role": "staff"}
    assert event.details["after"] == {"role": "auditor"}
    # An admin cannot change their own role (nor lock the portal out of its last admin).
    admin_id = _user(db, "admin@example.com").id
    own = admin.post_form(
        "/admin/users",
        {"role": "staff"},
        post_url=f"/admin/users/{admin_id}/role",
        follow_redirects=True,
    )
    assert "cannot change your own role" in own.get_data(as_text=True)
    assert _user(db, "admin@example.com").role == "admin"


def test_a_session_idle_for_the_timeout_ends(app, signed_in, db):
    staff = signed_in("staff")
    [record] = _sessions(db, "staff@example.com")
    record.last_seen_at = utcnow() - timedelta(minutes=30, seconds=1)
    db.session.commit()
    refused = staff.get("/tenants", follow_redirects=True)
    assert "after 30 minutes without activity" in refused.get_data(as_text=True)
    assert not _signed_in(staff)
    [record] = _sessions(db, "staff@example.com")
    assert record.end_reason == "idle"


def test_activity_keeps_a_session_alive_and_self_refreshing_pages_do_not(app, signed_in, db):
    staff = signed_in("staff")
    [record] = _sessions(db, "staff@example.com")
    quiet_since = utcnow() - timedelta(minutes=29)
    record.last_seen_at = quiet_since
    db.session.commit()
    # A progress page polling by itself (static/js/portal.js) does not count as activity.
    assert staff.get("/tenants", headers={"X-Requested-With": "fetch"}).status_code == 200
    [record] = _sessions(db, "staff@example.com")
    assert record.last_seen_at == quiet_since
    assert _signed_in(staff)  # a person's request does
    [record] = _sessions(db, "staff@example.com")
    assert record.last_seen_at > utcnow() - timedelta(minutes=1)


def test_last_seen_is_written_at_most_once_a_minute(app, signed_in, db):
    staff = signed_in("staff")
    [record] = _sessions(db, "staff@example.com")
    seen = utcnow() - timedelta(seconds=58)
    record.last_seen_at = seen
    db.session.commit()
    assert _signed_in(staff)
    [record] = _sessions(db, "staff@example.com")
    assert record.last_seen_at == seen  # under a minute old: no write for this request
    seen = utcnow() - timedelta(seconds=61)
    record.last_seen_at = seen
    db.session.commit()
    assert _signed_in(staff)
    [record] = _sessions(db, "staff@example.com")
    assert record.last_seen_at > seen + timedelta(seconds=60)


def test_the_idle_timeout_holds_to_the_minute(app, signed_in, db):
    """Seen 29 min 58 s ago: still signed in. last_seen is not written while it is under a
    minute old, so a session ends at PORTAL_SESSION_IDLE_MINUTES after the person's last
    request or up to a minute before it, never after."""
    staff = signed_in("staff")
    [record] = _sessions(db, "staff@example.com")
    record.last_seen_at = utcnow() - timedelta(minutes=29, seconds=58)
    db.session.commit()
    assert _signed_in(staff)  # and this request marks the session seen now
    [record] = _sessions(db, "staff@example.com")
    assert record.last_seen_at > utcnow() - timedelta(minutes=1)
    # A request 59 s after that write is not recorded; 29 min 2 s after that request the
    # recorded time is 30 min 1 s old, and the session has ended (59 s early, within the minute).
    record.last_seen_at = utcnow() - timedelta(seconds=59)
    db.session.commit()
    assert _signed_in(staff)
    [record] = _sessions(db, "staff@example.com")
    record.last_seen_at -= timedelta(minutes=29, seconds=2)
    record.created_at -= timedelta(minutes=29, seconds=2)
    db.session.commit()
    refused = staff.get("/tenants", follow_redirects=True)
    assert "after 30 minutes without activity" in refused.get_data(as_text=True)
    [record] = _sessions(db, "staff@example.com")
    assert record.end_reason == "idle"


def test_a_disabled_user_or_an_old_session_version_signs_the_browser_out(app, signed_in, db):
    staff = signed_in("staff")
    user = _user(db, "staff@example.com")
    user.session_version += 1  # what a password reset does
    db.session.commit()
    assert not _signed_in(staff)
    auditor = signed_in("auditor")
    user = _user(db, "auditor@example.com")
    user.is_enabled = False
    db.session.commit()
    assert not _signed_in(auditor)


def test_a_session_ends_at_its_absolute_lifetime_however_active(app, signed_in, db):
    staff = signed_in("staff")
    [record] = _sessions(db, "staff@example.com")
    record.created_at = utcnow() - timedelta(hours=12, seconds=1)
    db.session.commit()
    refused = staff.get("/tenants", follow_redirects=True)
    assert "at most 12 hours" in refused.get_data(as_text=True)
    [record] = _sessions(db, "staff@example.com")
    assert record.end_reason == "expired"


def test_the_cookie_signature_expires_with_the_absolute_lifetime(app):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    settings = load_settings({"PORTAL_SESSION_IDLE_MINUTES": "5", "PORTAL_SESSION_MAX_HOURS": "2"})
    assert settings.session_idle_minutes == 5
    assert settings.flask_config()["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)


def test_a_password_change_keeps_this_session_and_ends_the_others(app, signed_in, db):
    laptop, phone = signed_in("staff"), signed_in("staff")
    changed = laptop.post_form(
        "/account",
        {
            "current_password": PASSWORDS["staff"],
            "new_password": "a-brand-new-password",
            "confirm": "a-brand-new-password",
        },
        post_url="/account/password",
    )
    assert changed.status_code == 302
    assert _signed_in(laptop) and not _signed_in(phone)
    reasons = [r.end_reason for r in _sessions(db, "staff@example.com")]
    assert reasons == [None, "password_changed"]


def test_old_sessions_are_purged_and_purging_twice_is_harmless(app, signed_in, db):
    staff = signed_in("staff")
    signed_in("staff").post_form("/", {}, post_url="/logout")
    old = _sessions(db, "staff@example.com")[1]
    old.ended_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert purge_old_sessions() == 1
    assert purge_old_sessions() == 0
    assert len(_sessions(db, "staff@example.com")) == 1
    assert _signed_in(staff)
