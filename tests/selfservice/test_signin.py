"""The test sign-in: authorize URL, callback, token exchange, ID-token checks, verification."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from html import unescape
from urllib.parse import unquote, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import select

from portal.models import AuditEvent, CognitoCall, SignInTest, Tenant, TenantStatus
from portal.services import events
from tests.support import factories as f
from tests.support.selfservice import StubCognito, new_link, query_of, ready_tenant
from tests.support.settings import set_settings
from tests.support.web import Browser


@pytest.fixture
def acme(db, cognito_emulator, oidc_idp):
    """(tenant id, setup-link token) for a ready tenant."""
    tenant = ready_tenant(cognito_emulator, oidc_idp)
    _, token = new_link(tenant)
    return tenant.id, token


def start_from_link(browser: Browser, token: str, slug: str = "acme"):
    return browser.post_form(
        f"/setup/{token}", {"tenant": slug, "link": token}, post_url="/test-sign-in/start"
    )


def authorize_url(started) -> str:
    """The sign-in service's URL the start page sends the browser to."""
    assert started.status_code == 200, started.get_data(as_text=True)[:1000]
    html = started.get_data(as_text=True)
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
    link = re.search(r'id="continue" href="([^"]+)"', html)
    assert refresh and link and unescape(refresh.group(1)) == unescape(link.group(1))
    return unescape(link.group(1))


def sign_in_at_mock(authorize_url: str, sub: str) -> str:
    """Pick the user on the provider's page; return the callback path it redirects to."""
    answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    target = urlsplit(answer.headers["Location"])
    return f"{target.path}?{target.query}"


def text_of(response) -> str:
    """The page's words, tags removed."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return unescape(re.sub(r"\s+", " ", words))


def latest(db) -> SignInTest:
    db.session.expire_all()
    return db.session.scalars(select(SignInTest).order_by(SignInTest.id.desc())).first()


def test_a_test_sign_in_shows_the_claims_and_marks_the_tenant_verified(
    app, browser, db, acme, mock_cognito, cognito_at
):
    cognito_at(mock_cognito)
    tenant_id, token = acme
    published = []
    events.subscribe(listener := lambda kind, t, data: published.append((kind, data)))
    try:
        started = start_from_link(browser, token)
        location = authorize_url(started)
        query = query_of(location)
        tenant = db.session.get(Tenant, tenant_id)
        assert location.startswith(f"{mock_cognito}/oauth2/authorize?")
        assert query["identity_provider"] == "acme"
        assert query["client_id"] == tenant.client_id
        assert query["response_type"] == "code" and query["scope"] == "openid"
        assert query["redirect_uri"] == "http://localhost:8000/test-sign-in/callback"
        assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
        assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43

        result = browser.get(sign_in_at_mock(location, "alice"))
    finally:
        events._listeners.remove(listener)

    assert result.status_code == 200, result.get_data(as_text=True)[:2000]
    html, text = result.get_data(as_text=True), text_of(result)
    assert "Test sign-in succeeded" in text
    assert '<li class="chip">admins</li>' in html and '<li class="chip">staff</li>' in html
    assert "[editor]" in text
    assert "Every expected claim arrived" in text and "claims missing" not in text
    assert f"/setup/{token}#test" in html  # the way back to the setup page

    test = latest(db)
    assert test.outcome == "succeeded" and test.actor_type == "setup_link"
    assert "nonce" not in test.claims and test.claims["custom:groups"] == "[admins, staff]"
    assert test.code_verifier_encrypted is None and test.return_token_encrypted is None
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.verified_at is not None and tenant.verified_by == "setup link for acme"
    assert (events.TENANT_VERIFIED, {"test_id": test.id, "verified_by": "setup link for acme"}) in (
        published
    )
    audit = {
        (e.action, e.actor_type)
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.tenant_id == tenant_id))
    }
    assert {
        ("signin_test.started", "setup_link"),
        ("signin_test.succeeded", "setup_link"),
        ("tenant.verified", "setup_link"),
    } <= audit
    # The client secret was read from Cognito for the exchange, and the ledger says so.
    reads = db.session.scalars(
        select(CognitoCall.operation).where(
            CognitoCall.tenant_id == tenant_id, CognitoCall.run_id.is_(None)
        )
    ).all()
    assert reads == ["DescribeUserPoolClient"]

    page = text_of(browser.get(f"/setup/{token}"))
    assert "Last test: succeeded" in page and "admins" in page

    replay = browser.get(sign_in_at_mock(location, "alice").split("&code=")[0] + "&code=x")
    assert replay.status_code == 400


def test_a_replayed_callback_is_refused(browser, db, acme, mock_cognito, cognito_at):
    cognito_at(mock_cognito)
    _, token = acme
    callback = sign_in_at_mock(authorize_url(start_from_link(browser, token)), "alice")
    assert browser.get(callback).status_code == 200
    again = browser.get(callback)
    assert again.status_code == 400
    assert "cannot be used twice" in text_of(again)
    refused = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "signin_test.replay_refused")
    ).all()
    assert len(refused) == 1


@pytest.mark.parametrize(
    ("sub", "missing", "state"),
    [
        ("nogroups", "custom:groups", "missing"),
        ("emptygroups", "custom:groups", "empty"),
        ("noemail", "email", "missing"),
    ],
)
def test_a_sign_in_without_an_expected_claim_does_not_verify(
    browser, db, acme, mock_cognito, cognito_at, sub, missing, state
):
    cognito_at(mock_cognito)
    tenant_id, token = acme
    result = browser.get(sign_in_at_mock(authorize_url(start_from_link(browser, token)), sub))
    assert result.status_code == 200
    html, text = result.get_data(as_text=True), text_of(result)
    assert "signed in, claims missing" in text and "not verified" in text
    assert f'data-claim="{missing}" data-state="{state}"' in html
    assert "Fix:" in text
    if missing == "custom:groups":
        assert "'app_groups'" in text  # the fix names the claim the customer configured
    assert latest(db).outcome == "claims_missing"
    assert db.session.get(Tenant, tenant_id).verified_at is None
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert "signin_test.claims_missing" in actions and "tenant.verified" not in actions
    page = text_of(browser.get(f"/setup/{token}"))
    assert "Last test: claims missing" in page


@pytest.mark.parametrize("sub", ["plusgroups", "pctgroups"])
def test_form_encoded_group_names_are_shown_decoded(
    browser, db, acme, mock_cognito, cognito_at, sub
):
    cognito_at(mock_cognito)
    _, token = acme
    result = browser.get(sign_in_at_mock(authorize_url(start_from_link(browser, token)), sub))
    html = result.get_data(as_text=True)
    assert '<li class="chip">Domain Admins</li>' in html
    assert "Domain+Admins</li>" not in html and "Domain%20Admins</li>" not in html
    assert latest(db).outcome == "succeeded"


def test_claim_values_from_the_idp_are_escaped(browser, db, acme, mock_cognito, cognito_at):
    cognito_at(mock_cognito)
    _, token = acme
    result = browser.get(sign_in_at_mock(authorize_url(start_from_link(browser, token)), "mallory"))
    html = result.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    staff_view = browser.get(f"/setup/{acme[1]}").get_data(as_text=True)
    assert "<script>alert" not in staff_view


def test_an_error_from_cognito_is_recorded_with_its_description(
    browser, db, acme, mock_cognito, cognito_at
):
    cognito_at(mock_cognito)
    tenant_id, token = acme
    state = query_of(authorize_url(start_from_link(browser, token)))["state"]
    result = browser.get(
        "/test-sign-in/callback",
        query_string={
            "state": state,
            "error": "invalid_request",
            "error_description": "<b>redirect_mismatch</b> for client",
        },
    )
    assert result.status_code == 422
    html = result.get_data(as_text=True)
    assert "&lt;b&gt;redirect_mismatch&lt;/b&gt;" in html and "<b>redirect_mismatch" not in html
    assert "redirect URI registered at your identity provider" in text_of(result)
    test = latest(db)
    assert (test.outcome, test.error_code) == ("failed", "invalid_request")
    assert test.error_description == "<b>redirect_mismatch</b> for client"
    assert db.session.get(Tenant, tenant_id).verified_at is None
    [failed] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "signin_test.failed")
    ).all()
    assert failed.details["error_description"] == "<b>redirect_mismatch</b> for client"


def _stub_flow(browser: Browser, token: str, stub: StubCognito, tenant_id: int, db):
    location = authorize_url(start_from_link(browser, token))
    query = query_of(location)
    stub.nonce = query["nonce"]
    response = browser.get(
        "/test-sign-in/callback", query_string={"state": query["state"], "code": "the-code"}
    )
    return response, query


def test_the_token_request_carries_pkce_and_the_clients_secret(
    browser, db, acme, stub_cognito, cognito_at
):
    cognito_at(stub_cognito.issuer)
    tenant_id, token = acme
    response, query = _stub_flow(browser, token, stub_cognito, tenant_id, db)
    assert response.status_code == 200, text_of(response)[:1500]
    [sent] = stub_cognito.token_requests
    verifier = sent["form"]["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert challenge.decode() == query["code_challenge"]
    assert sent["form"]["grant_type"] == "authorization_code"
    assert sent["form"]["code"] == "the-code"
    assert sent["form"]["redirect_uri"] == "http://localhost:8000/test-sign-in/callback"
    tenant = db.session.get(Tenant, tenant_id)
    secret = f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]["ClientSecret"]
    basic = base64.b64decode(sent["authorization"].removeprefix("Basic ")).decode()
    assert [unquote(part) for part in basic.split(":")] == [tenant.client_id, secret]
    everything = " ".join(
        str(e.details) for e in db.session.scalars(select(AuditEvent)).all()
    ) + " ".join(
        str(t.claims) + str(t.error_description) for t in db.session.scalars(select(SignInTest))
    )
    assert secret not in everything and secret not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("shape", "code"),
    [
        ("bad_signature", "bad_signature"),
        ("wrong_audience", "invalid_aud"),
        ("expired", "expired_token"),
        ("wrong_nonce", "invalid_nonce"),
        ("wrong_issuer", "invalid_iss"),
        ("access_token", "invalid_token_use"),
    ],
)
def test_id_tokens_that_fail_verification_are_refused(
    browser, db, acme, stub_cognito, cognito_at, shape, code
):
    cognito_at(stub_cognito.issuer)
    tenant_id, token = acme
    now = int(time.time())
    if shape == "bad_signature":  # same key id, another key: the signature cannot match
        stub_cognito.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    elif shape == "wrong_audience":
        stub_cognito.overrides = {"aud": "another-client"}
    elif shape == "expired":
        stub_cognito.overrides = {"iat": now - 7200, "exp": now - 3600}
    elif shape == "wrong_nonce":
        stub_cognito.overrides = {"nonce": "a-nonce-from-another-sign-in"}
    elif shape == "wrong_issuer":
        stub_cognito.overrides = {"iss": "https://cognito-idp.us-east-1.amazonaws.com/other"}
    elif shape == "access_token":
        stub_cognito.overrides = {"token_use": "access"}

    response, _ = _stub_flow(browser, token, stub_cognito, tenant_id, db)

    assert response.status_code == 422
    assert "Test sign-in failed" in text_of(response)
    test = latest(db)
    assert (test.outcome, test.error_code) == ("failed", code)
    assert db.session.get(Tenant, tenant_id).verified_at is None


def test_a_token_endpoint_error_is_recorded(browser, db, acme, stub_cognito, cognito_at):
    cognito_at(stub_cognito.issuer)
    stub_cognito.token_error = {"error": "invalid_grant", "error_description": "code expired"}
    response, _ = _stub_flow(browser, acme[1], stub_cognito, acme[0], db)
    assert response.status_code == 422
    assert (latest(db).error_code, latest(db).error_description) == (
        "invalid_grant",
        "code expired",
    )


def test_the_callback_fetches_go_through_the_ssrf_guard(
    app, browser, db, acme, stub_cognito, cognito_at, monkeypatch
):
    cognito_at(stub_cognito.issuer)
    set_settings(monkeypatch, app, allow_loopback_issuers=False)
    response, _ = _stub_flow(browser, acme[1], stub_cognito, acme[0], db)
    assert response.status_code == 422
    test = latest(db)
    assert test.error_code == "token_endpoint_unreachable"
    assert "http" in test.error_description
    assert stub_cognito.token_requests == []


def test_unknown_state_and_a_foreign_browser_are_refused(
    app, browser, db, acme, mock_cognito, cognito_at
):
    cognito_at(mock_cognito)
    unknown = browser.get("/test-sign-in/callback?state=made-up&code=x")
    assert unknown.status_code == 400 and "unknown" in text_of(unknown)
    callback = sign_in_at_mock(authorize_url(start_from_link(browser, acme[1])), "alice")
    stranger = Browser(app.test_client())
    refused = stranger.get(callback)
    assert refused.status_code == 400 and "another browser" in text_of(refused)
    assert browser.get(callback).status_code == 200  # the right browser can still finish it


def test_staff_can_start_a_test_and_are_recorded_as_the_verifier(
    signed_in, db, cognito_emulator, oidc_idp, mock_cognito, cognito_at
):
    cognito_at(mock_cognito)
    tenant_id = ready_tenant(cognito_emulator, oidc_idp).id
    staff = signed_in("staff")
    started = staff.post_form(
        "/tenants/acme/setup-links", {"tenant": "acme"}, post_url="/test-sign-in/start"
    )
    result = staff.get(sign_in_at_mock(authorize_url(started), "alice"))
    assert result.status_code == 200
    assert 'href="/tenants/acme"' in result.get_data(as_text=True)  # back to the tenant page
    tenant = db.session.get(Tenant, tenant_id)
    assert tenant.verified_by == "staff@example.com"
    page = text_of(staff.get("/tenants/acme/setup-links"))
    assert "verified" in page and "staff@example.com" in page and "admins" in page
    tenant_page = staff.get("/tenants/acme").get_data(as_text=True)
    assert 'class="badge badge--verified"' in tenant_page and "staff@example.com" in tenant_page
    assert 'href="/tenants/acme/setup-links"' in tenant_page
    assert 'action="/test-sign-in/start"' in tenant_page


def test_only_staff_or_a_link_holder_can_start_a_test(
    app, signed_in, db, cognito_emulator, oidc_idp
):
    ready_tenant(cognito_emulator, oidc_idp)
    auditor = signed_in("auditor")
    refused = auditor.post_form("/", {"tenant": "acme"}, post_url="/test-sign-in/start")
    assert refused.status_code == 403
    anonymous = Browser(app.test_client())
    response = anonymous.post_form("/login", {"tenant": "acme"}, post_url="/test-sign-in/start")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    forged = anonymous.post_form(
        "/login", {"tenant": "acme", "link": "A" * 43}, post_url="/test-sign-in/start"
    )
    assert forged.status_code == 404


def test_a_tenant_that_is_not_ready_cannot_be_tested(browser, db, cognito_emulator):
    from portal.services.audit.actors import acting_as
    from portal.services.tenants.records import create_tenant

    f.pool(cognito_emulator)
    with acting_as(f.TEST_ACTOR):
        tenant = create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    _, token = new_link(tenant)
    response = start_from_link(browser, token)
    assert response.status_code == 409
    assert "once the connection is ready" in text_of(response)
    assert db.session.get(Tenant, tenant.id if False else 1).status == TenantStatus.DRAFT


def test_a_tenant_without_a_groups_claim_is_verified_on_the_e_mail_alone(
    browser, db, cognito_emulator, oidc_idp, mock_cognito, cognito_at
):
    """Google Workspace sends no groups: such a tenant configures none and is verified anyway."""
    cognito_at(mock_cognito)
    tenant_id = ready_tenant(cognito_emulator, oidc_idp, slug="initech", groups_claim="").id
    _, token = new_link(db.session.get(Tenant, tenant_id))
    location = authorize_url(start_from_link(browser, token, slug="initech"))
    result = browser.get(sign_in_at_mock(location, "nogroups"))
    html, text = result.get_data(as_text=True), text_of(result)
    assert "Test sign-in succeeded" in text and "claims missing" not in text
    assert 'data-claim="email" data-state="present"' in html
    assert 'data-claim="custom:groups"' not in html  # not expected, so not listed as missing
    assert latest(db).outcome == "succeeded"
    assert db.session.get(Tenant, tenant_id).verified_at is not None


def test_a_configured_groups_claim_must_still_arrive_for_verified(
    browser, db, cognito_emulator, oidc_idp, mock_cognito, cognito_at
):
    cognito_at(mock_cognito)
    tenant_id = ready_tenant(cognito_emulator, oidc_idp, slug="initech", groups_claim="groups").id
    _, token = new_link(db.session.get(Tenant, tenant_id))
    location = authorize_url(start_from_link(browser, token, slug="initech"))
    result = browser.get(sign_in_at_mock(location, "nogroups"))
    assert 'data-claim="custom:groups" data-state="missing"' in result.get_data(as_text=True)
    assert latest(db).outcome == "claims_missing"
    assert db.session.get(Tenant, tenant_id).verified_at is None
