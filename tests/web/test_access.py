"""Sign-in, roles on every route, CSRF and security headers."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent
from portal.web.access import API, PUBLIC, rule_of
from tests.support.web import PASSWORDS, Browser

# The only pages reachable without signing in (issue #4): sign-in, an admin-issued password-reset
# link, setup links, the test sign-in callback, the probes, and the API's OpenAPI document and
# reference page.
PUBLIC_ENDPOINT_PREFIXES = (
    "auth.login",
    "auth.totp",
    "auth.reset_password",
    "health.",
    "setup.",
    "testsignin.",
    "api.openapi",
    "api.reference",
)


def test_every_route_has_an_explicit_access_rule(app):
    with app.test_request_context():
        missing = [
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and rule_of(rule.endpoint) is None
        ]
    assert missing == []


def test_only_the_listed_routes_are_public(app):
    with app.test_request_context():
        public = sorted(
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and PUBLIC in rule_of(rule.endpoint)
        )
        api = [
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and API in rule_of(rule.endpoint)
        ]
    assert public, "the sign-in page at least"
    for endpoint in public:
        assert endpoint.startswith(PUBLIC_ENDPOINT_PREFIXES), endpoint
    for endpoint in api:
        assert endpoint.startswith("api."), endpoint


def test_a_route_without_a_rule_is_refused(db):
    from portal import create_app

    fresh = create_app({"TESTING": True})
    fresh.add_url_rule("/__forgotten", "forgotten", lambda: "secret data")
    response = fresh.test_client().get("/__forgotten")
    assert response.status_code == 403
    assert b"secret data" not in response.data


def test_signed_out_visitors_are_sent_to_sign_in(app, db):
    client = Browser(app.test_client())
    with app.test_request_context():
        endpoints = [
            (rule, rule.endpoint)
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            and "GET" in rule.methods
            and not ({PUBLIC, API} & rule_of(rule.endpoint))
            and not rule.arguments
        ]
    for rule, _endpoint in endpoints:
        response = client.get(rule.rule)
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/login"), rule.rule


def test_sign_in_and_out(signed_in, db, users):
    browser = signed_in("staff")
    home = browser.get("/", follow_redirects=True)
    assert home.status_code == 200
    assert b"staff@example.com" in home.data
    out = browser.post_form("/", {}, post_url="/logout", follow_redirects=False)
    assert out.status_code == 302
    assert browser.get("/").status_code == 302  # signed out: back to sign-in
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert "auth.signed_in" in actions and "auth.signed_out" in actions


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(browser, users):
    wrong = browser.login("staff@example.com", "not-the-password")
    unknown = browser.login("nobody@example.com", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert b"e-mail address or password is not right" in wrong.data
    assert b"e-mail address or password is not right" in unknown.data


def test_repeated_failures_delay_further_attempts_from_that_address(browser, users, db):
    for _ in range(5):
        browser.login("staff@example.com", "wrong-password!")
    delayed = browser.login("staff@example.com", PASSWORDS["staff"])
    assert delayed.status_code == 429
    assert b"Too many failed sign-ins for this account from your address" in delayed.data
    assert 0 < int(delayed.headers["Retry-After"]) <= 30


def test_sign_in_is_throttled_per_address(browser, users):
    statuses = [
        browser.login(f"x{n}@example.com", "wrong-password!").status_code for n in range(31)
    ]
    assert statuses[-1] == 429 and statuses[0] == 401


def test_session_cookie_flags_and_fixation(app, browser, users):
    browser.get("/login")
    browser.client.set_cookie("session", "attacker-chosen", domain="localhost")
    response = browser.login("staff@example.com", PASSWORDS["staff"])
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "attacker-chosen" not in cookie


def test_forms_refuse_a_missing_or_wrong_csrf_token(app, users):
    client = Browser(app.test_client())
    missing = client.post(
        "/login", data={"email": "staff@example.com", "password": PASSWORDS["staff"]}
    )
    wrong = client.post(
        "/login",
        data={"email": "staff@example.com", "password": PASSWORDS["staff"], "csrf_token": "forged"},
    )
    for response in (missing, wrong):
        assert response.status_code == 400
        assert b"CSRF" in response.data
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_never_redirects_off_site(browser, users, target):
    page = browser.get(f"/login?next={target}")
    assert page.status_code == 200
    response = browser.post_form(
        f"/login?next={target}",
        {"email": "staff@example.com", "password": PASSWORDS["staff"], "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_security_headers_on_every_response(app, db):
    client = Browser(app.test_client())
    for url in ("/login", "/healthz", "/nope", "/"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Request-Id"]
