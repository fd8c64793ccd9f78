"""Self-service test support: Cognito's hosted UI played locally, tenants and links.

moto has no hosted UI, so the test sign-in's /oauth2/authorize, /oauth2/token and signing keys
are played either by `oidc_provider_mock` (a real OIDC provider, for the whole flow) or by
`StubCognito`, which answers the token request with an ID token the test shapes (bad signature,
wrong audience, expired, wrong nonce).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from oidc_provider_mock import User, run_server_in_thread

from portal.extensions import db
from portal.models import SetupLink, Tenant
from portal.services.audit.actors import acting_as
from portal.services.selfservice.setup_links import create_link
from tests.support import factories as f
from tests.support.settings import set_settings

COGNITO_USERS = [
    User(
        sub="alice",
        claims={
            "email": "alice@example.com",
            "custom:groups": "[admins, staff]",
            "custom:roles": "[editor]",
        },
    ),
    User(sub="nogroups", claims={"email": "bob@example.com"}),
    User(sub="noemail", claims={"custom:groups": "[admins]"}),
    # Cognito form-encodes multi-valued attribute values, in either of two spellings.
    User(
        sub="plusgroups", claims={"email": "erin@example.com", "custom:groups": "[Domain+Admins]"}
    ),
    User(
        sub="pctgroups", claims={"email": "finn@example.com", "custom:groups": "[Domain%20Admins]"}
    ),
    User(sub="emptygroups", claims={"email": "carol@example.com", "custom:groups": "[]"}),
    User(
        sub="mallory",
        claims={
            "custom:roles": "<img src=x onerror=alert(1)>",
            "custom:groups": "[<script>alert('groups')</script>, ok]",
        },
    ),
]


def ready_tenant(emulator, issuer: str, slug: str = "acme", **kwargs: Any) -> Tenant:
    """A tenant onboarded into a fresh emulated pool, ready for a test sign-in."""
    f.pool(emulator)
    tenant = f.tenant(slug, issuer, **kwargs)
    [run] = f.onboard(tenant)
    assert f.run_now(run) == "succeeded"
    db.session.expire_all()
    return db.session.get(Tenant, tenant.id)


def new_link(tenant: Tenant, lifetime: timedelta = timedelta(days=7)) -> tuple[SetupLink, str]:
    with acting_as(f.TEST_ACTOR):
        link, token, _ = create_link(tenant, lifetime)
    return link, token


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class _StubHandler(BaseHTTPRequestHandler):
    server: StubCognito

    def do_GET(self) -> None:
        stub = self.server
        if self.path == "/.well-known/openid-configuration":
            self._json(200, {"issuer": stub.issuer, "jwks_uri": f"{stub.issuer}/jwks.json"})
        elif self.path == "/jwks.json":
            self._json(200, {"keys": [stub.key.as_dict(private=False)]})
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        stub = self.server
        stub.token_requests.append({"form": form, "authorization": self.headers["Authorization"]})
        if stub.token_error is not None:
            self._json(400, stub.token_error)
            return
        self._json(200, {"id_token": stub.id_token(form), "token_type": "Bearer"})

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


class StubCognito(ThreadingHTTPServer):
    """Cognito's token endpoint and keys, answering with the ID token a test shapes."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _StubHandler)
        self.issuer = f"http://127.0.0.1:{self.server_address[1]}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.signing_key = self.key
        self.nonce: str | None = None
        self.client_id: str | None = None
        self.overrides: dict[str, Any] = {}
        self.token_error: dict[str, str] | None = None
        self.token_requests: list[dict[str, Any]] = []

    def id_token(self, form: dict[str, str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id or form.get("client_id"),
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce,
            "token_use": "id",
            "email": "dana@example.com",
            "custom:groups": "[admins]",
        }
        claims.update(self.overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.signing_key)


def _every_claim(user: Any, scope: str) -> dict[str, object]:
    """Cognito's ID token for the openid scope: every attribute the client may read.

    The Cognito developer guide ("Understanding user pool JSON web tokens", the ID token) says
    the openid scope returns all user attributes readable by the client; oidc-provider-mock, like
    a generic provider, gives standard claims such as email only with their own scope.
    """
    return {"sub": user.sub, **user.claims} if "openid" in scope.split() else {"sub": user.sub}


@pytest.fixture(scope="session")
def mock_cognito() -> Iterator[str]:
    """A real OIDC provider playing Cognito's hosted UI and token endpoint."""
    from oidc_provider_mock import _app

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_app, "_user_claims_for_scope", _every_claim)
        with run_server_in_thread(user_claims=COGNITO_USERS) as server:
            yield f"http://localhost:{server.server_port}"


@pytest.fixture
def cognito_at(app, monkeypatch):
    """point(url): send the test sign-in's hosted-UI and issuer lookups to URL."""

    def point(url: str) -> None:
        set_settings(monkeypatch, app, cognito_domain_override=url)
        set_settings(monkeypatch, app, cognito_issuer_override=url)

    return point


@pytest.fixture
def stub_cognito() -> Iterator[StubCognito]:
    stub = StubCognito()
    thread = threading.Thread(target=stub.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield stub
    finally:
        stub.shutdown()
        stub.server_close()
