"""Sign-in that tells nobody which accounts exist nor lets strangers lock them; TOTP codes once."""

from __future__ import annotations

import threading
import time

import pyotp
import pytest
from argon2 import extract_parameters
from sqlalchemy import select

from portal.crypto import encrypt
from portal.models import AuditEvent, User
from portal.services.access import lockout
from portal.services.access import users as users_service
from portal.services.access.totp import spend_step
from tests.support.web import PASSWORDS, Browser

SECRET = pyotp.random_base32()


def _from(app, address: str) -> Browser:
    browser = Browser(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def _with_totp(db, email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    user.totp_secret_encrypted = encrypt(SECRET)
    db.session.commit()
    return user


def _password_step(browser: Browser, email: str, password: str):
    response = browser.login(email, password)
    assert response.headers["Location"] == "/login/totp", response.status_code
    return response


def _code_step(browser: Browser, code: str):
    return browser.post_form("/login/totp", {"code": code})


# --- TOTP: each code once; the delay applies at the code step too (issue 16, item 3) ----------


def test_a_totp_code_signs_in_once_only(app, db, users):
    _with_totp(db, "staff@example.com")
    code = pyotp.TOTP(SECRET).now()
    first = _from(app, "10.0.0.1")
    _password_step(first, "staff@example.com", PASSWORDS["staff"])
    assert _code_step(first, code).status_code == 302
    second = _from(app, "10.0.0.2")  # another browser replaying the same code
    _password_step(second, "staff@example.com", PASSWORDS["staff"])
    replay = _code_step(second, code)
    assert replay.status_code == 401
    assert b"used already" in replay.data
    assert second.get("/tenants").status_code == 302
    # The next code works (codes of the next 30-second step are accepted for clock drift).
    assert _code_step(second, pyotp.TOTP(SECRET).at(time.time() + 30)).status_code == 302


@pytest.mark.dialect
def test_an_older_code_than_the_last_accepted_one_is_refused(db, users):
    user = _with_totp(db, "staff@example.com")
    assert spend_step(user, 1000) is True
    assert spend_step(user, 1000) is False  # the same step again (a replay, or a race lost)
    assert spend_step(user, 999) is False  # an earlier one
    assert spend_step(user, 1001) is True


@pytest.mark.dialect
def test_two_requests_racing_with_one_code_spend_it_once(app, db, users):
    user_id = _with_totp(db, "staff@example.com").id
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def submit() -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            results.append(spend_step(user, 2000))
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, False, False, True]


def test_wrong_codes_delay_the_code_step_and_do_not_reset_on_the_password(app, db, users):
    _with_totp(db, "staff@example.com")
    browser = _from(app, "10.0.0.3")
    _password_step(browser, "staff@example.com", PASSWORDS["staff"])
    for _ in range(5):
        assert _code_step(browser, "000000").status_code == 401
    right = _code_step(browser, pyotp.TOTP(SECRET).now())
    assert right.status_code == 429  # even the right code waits
    assert browser.get("/tenants").status_code == 302
    # The right password again does not clear the count: the password step waits as well.
    again = browser.login("staff@example.com", PASSWORDS["staff"])
    assert again.status_code == 429
    actions = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "auth.sign_in_failed")
    ).all()
    assert [d["step"] for d in actions] == ["totp"] * 5


# --- No enumeration, no lockout of the owner by strangers (issue 16, item 4) -----------------


def test_unknown_and_existing_accounts_get_the_same_answers(app, db, users):
    existing, unknown = _from(app, "10.0.1.1"), _from(app, "10.0.1.2")
    answers = []
    for browser, email in ((existing, "staff@example.com"), (unknown, "nobody@example.com")):
        statuses = [browser.login(email, "wrong-password!").status_code for _ in range(6)]
        last = browser.login(email, "wrong-password!")
        answers.append((statuses, last.status_code, last.headers.get("Retry-After")))
        assert b"Too many failed sign-ins for this account from your address" in last.data
    assert answers[0] == answers[1]
    assert answers[0][0] == [401, 401, 401, 401, 401, 429]


def test_a_failed_sign_in_checks_a_password_hash_whether_or_not_the_account_exists(
    app, db, users, monkeypatch
):
    checks: list[str] = []
    hasher = users_service._hasher

    class Counting:
        def __getattr__(self, name):
            return getattr(hasher, name)

        def verify(self, stored, password):
            checks.append(stored)
            return hasher.verify(stored, password)

    monkeypatch.setattr(users_service, "_hasher", Counting())
    browser = _from(app, "10.0.1.3")
    db.session.scalar(select(User).where(User.email == "auditor@example.com")).is_enabled = False
    db.session.commit()
    for email in ("staff@example.com", "nobody@example.com", "auditor@example.com"):
        checks.clear()
        assert browser.login(email, "wrong-password!").status_code == 401
        assert len(checks) == 1 and checks[0].startswith("$argon2id$"), email


def test_a_stranger_cannot_lock_the_owner_out(app, db, users):
    stranger, owner = _from(app, "203.0.113.7"), _from(app, "198.51.100.4")
    for _ in range(12):
        stranger.login("admin@example.com", "guess-guess-guess")
    assert stranger.login("admin@example.com", PASSWORDS["admin"]).status_code == 429
    assert owner.login("admin@example.com", PASSWORDS["admin"]).status_code == 302
    assert owner.get("/admin/users").status_code == 200


def test_unknown_accounts_failures_are_audited_like_known_ones(app, db, users):
    browser = _from(app, "10.0.1.4")
    browser.login("nobody@example.com", "wrong-password!")
    browser.login("staff@example.com", "wrong-password!")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")
    ).all()
    assert [e.actor_type for e in events] == ["anonymous", "user"]
    assert events[0].details["email"] == "nobody@example.com"
    assert events[0].source_ip == events[1].source_ip == "10.0.1.4"


def test_a_sign_in_clears_the_failures_of_its_address(app, db, users):
    browser = _from(app, "10.0.1.5")
    for _ in range(4):
        browser.login("staff@example.com", "wrong-password!")
    assert browser.login("staff@example.com", PASSWORDS["staff"]).status_code == 302
    browser.post_form("/", {}, post_url="/logout")
    for _ in range(4):  # four more, without delay: the count started again
        assert browser.login("staff@example.com", "wrong-password!").status_code == 401


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(1, 0), (4, 0), (5, 30), (6, 60), (7, 120), (9, 480), (10, 900), (30, 900)],
)
def test_the_delay_doubles_with_each_failure_up_to_fifteen_minutes(failures, delay):
    assert lockout.delay_after(failures) == delay


def test_a_delay_passes(app, db, users, redis_client):
    browser = _from(app, "10.0.1.6")
    for _ in range(5):
        browser.login("staff@example.com", "wrong-password!")
    assert browser.login("staff@example.com", PASSWORDS["staff"]).status_code == 429
    for key in redis_client.scan_iter(match=f"{lockout.PREFIX}:*"):
        redis_client.hset(key, "until", time.time() - 1)  # 30 seconds later
    assert browser.login("staff@example.com", PASSWORDS["staff"]).status_code == 302


def test_the_decoy_hash_costs_what_a_real_hash_costs(db, users):
    users_service.verify_password_or_decoy(None, "anything")
    decoy = extract_parameters(users_service._decoy[1])
    assert decoy == extract_parameters(users_service.hash_password("anything"))


def test_without_redis_the_delays_are_kept_in_the_process(app, monkeypatch):
    monkeypatch.setattr(lockout, "redis_client", lambda: None)
    with app.app_context():
        for _ in range(4):
            assert lockout.record_failure("Solo@example.com", "10.0.2.1") == 0
        assert lockout.wait_seconds("solo@example.com", "10.0.2.1") == 0
        assert lockout.record_failure("solo@example.com", "10.0.2.1") == 30
        assert 29 <= lockout.wait_seconds("solo@example.com", "10.0.2.1") <= 30
        assert lockout.wait_seconds("solo@example.com", "10.0.2.2") == 0  # another address
        assert lockout.delayed_addresses(["solo@example.com"]) == {"solo@example.com": 1}
        assert lockout.clear_account("solo@example.com") == 1
        assert lockout.wait_seconds("solo@example.com", "10.0.2.1") == 0
