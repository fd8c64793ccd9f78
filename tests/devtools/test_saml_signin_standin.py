"""The demo SAML IdP and the stand-in for Cognito's hosted UI: a SAML sign-in, end to end."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html import unescape

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from portal.devtools.hosted_ui import HostedUi
from portal.devtools.saml_idp import DemoSamlIdp
from tests.support import factories as f

CALLBACK = "https://app.example.com/callback"
# Each test onboards a tenant and signs RSA: a few seconds, so out of the fast lane.
pytestmark = pytest.mark.slow


def onboarded(db, cognito_emulator, demo_saml_idp: DemoSamlIdp, **options):
    f.pool(cognito_emulator)
    tenant = f.saml_tenant(
        "acme",
        f"{demo_saml_idp.base_url}/saml/metadata",
        email_attribute="email",
        groups_attribute="groups",
        **options,
    )
    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    return f.fresh(db, tenant)


def sign_in(hosted_ui: HostedUi, tenant, user: str = "alice", tamper=None):
    """Authorize -> IdP (pick USER) -> ACS -> code; returns (the redirect, verifier, nonce)."""
    session = requests.Session()
    verifier, nonce, state = (secrets.token_urlsafe(48) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": tenant.client_id,
        "redirect_uri": CALLBACK,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "identity_provider": tenant.provider_name,
    }
    picker = session.get(f"{hosted_ui.base_url}/oauth2/authorize", params=query)
    assert picker.status_code == 200, picker.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', picker.text))
    posted = session.post(picker.url.split("?")[0], data={**fields, "user": user})
    form = {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', posted.text)}
    if tamper:
        form["SAMLResponse"] = tamper(form["SAMLResponse"])
    acs = unescape(re.search(r'action="([^"]+)"', posted.text).group(1))
    assert acs == hosted_ui.acs_url
    back = session.post(acs, data=form, allow_redirects=False)
    return back, verifier, nonce, state


def test_a_signed_response_becomes_a_cognito_style_id_token_with_the_mapping_applied(
    db, cognito_emulator, demo_saml_idp, hosted_ui
):
    tenant = onboarded(db, cognito_emulator, demo_saml_idp)
    back, verifier, nonce, state = sign_in(hosted_ui, tenant)
    assert back.status_code == 302, back.text
    location = back.headers["Location"]
    assert location.startswith(CALLBACK) and f"state={state}" in location
    code = re.search(r"code=([^&]+)", location).group(1)
    secret = f.cognito_client().describe_user_pool_client(
        UserPoolId=tenant.pool.user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]["ClientSecret"]
    token = requests.post(
        f"{hosted_ui.base_url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(tenant.client_id, secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    jwks = requests.get(f"{hosted_ui.base_url}/.well-known/jwks.json", timeout=10).json()
    keys = KeySet.import_key_set(jwks)
    claims = jwt.decode(token.json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["email"] == "alice@example.com"
    assert claims["custom:groups"] == "[admins, staff]"
    assert claims["aud"] == tenant.client_id and claims["nonce"] == nonce
    assert claims["cognito:username"] == "acme_alice"
    replay = requests.post(
        f"{hosted_ui.base_url}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(tenant.client_id, secret),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_a_tampered_response_is_refused(db, cognito_emulator, demo_saml_idp, hosted_ui):
    tenant = onboarded(db, cognito_emulator, demo_saml_idp)

    def change_email(encoded: str) -> str:
        xml = base64.b64decode(encoded).replace(b"alice@example.com", b"mallory@example.com")
        return base64.b64encode(xml).decode()

    back, *_ = sign_in(hosted_ui, tenant, tamper=change_email)
    assert back.status_code == 400
    assert "signature is invalid" in back.text


def test_an_unsolicited_response_is_refused(db, cognito_emulator, demo_saml_idp, hosted_ui):
    onboarded(db, cognito_emulator, demo_saml_idp)
    answer = requests.post(
        hosted_ui.acs_url, data={"SAMLResponse": "eA==", "RelayState": "guessed"}, timeout=10
    )
    assert answer.status_code == 400 and "unsolicited" in answer.text
