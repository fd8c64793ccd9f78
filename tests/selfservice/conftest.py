"""Fixtures of the self-service tests, and the shared ones they use from other suites."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from oidc_provider_mock import run_server_in_thread

from tests.oidc.test_discovery import idp  # noqa: F401  (a stub IdP the test shapes)
from tests.selfservice.helpers import COGNITO_USERS, StubCognito
from tests.web.conftest import browser, signed_in, users  # noqa: F401
from tests.workers.conftest import start_worker  # noqa: F401


@pytest.fixture(scope="session")
def mock_cognito() -> Iterator[str]:
    """A real OIDC provider playing Cognito's hosted UI and token endpoint."""
    with run_server_in_thread(user_claims=COGNITO_USERS) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def cognito_at(app, monkeypatch):
    """point(url): send the test sign-in's hosted-UI and issuer lookups to URL."""

    def point(url: str) -> None:
        monkeypatch.setitem(app.config, "PORTAL_COGNITO_DOMAIN_OVERRIDE", url)
        monkeypatch.setitem(app.config, "PORTAL_COGNITO_ISSUER_OVERRIDE", url)

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
