"""The pre-flight as the customer meets it: each problem explained next to the issuer field."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.models import Tenant, TenantStatus
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support import factories as f
from tests.support.selfservice import new_link
from tests.support.settings import set_settings

SECRET = "preflight-s3cret-Qq1"


@pytest.fixture
def token(db, cognito_emulator) -> str:
    f.pool(cognito_emulator)
    with acting_as(f.TEST_ACTOR):
        tenant = create_tenant("acme", "Acme", ["https://app.example.com/callback"])
    return new_link(tenant)[1]


def submit(browser, token: str, issuer: str):
    return browser.post_form(
        f"/setup/{token}",
        {"issuer": issuer, "client_id": "app", "client_secret": SECRET, "groups_claim": "groups"},
    )


def issuer_error(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r'<p class="field__error" id="issuer-error">(.*?)</p>', html, re.S)
    assert match, "no error next to the issuer field"
    return unescape(match.group(1))


def refused_and_unsaved(db, response) -> str:
    assert response.status_code == 422
    assert SECRET not in response.get_data(as_text=True)
    db.session.expire_all()
    tenant = db.session.query(Tenant).one()
    assert tenant.issuer is None and tenant.status == TenantStatus.DRAFT
    return issuer_error(response)


@pytest.mark.parametrize(
    ("issuer", "reason"),
    [
        ("https://127.0.0.1/", "loopback"),
        ("https://localhost:8443/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://10.20.30.40/realms/acme", "private network"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("http://127.0.0.1:9/", "https"),
    ],
)
def test_internal_addresses_are_refused_when_loopback_is_not_allowed(
    app, browser, db, token, monkeypatch, issuer, reason
):
    set_settings(monkeypatch, app, allow_loopback_issuers=False)
    message = refused_and_unsaved(db, submit(browser, token, issuer))
    assert reason in message
    assert "will not" in message


def test_private_and_metadata_addresses_stay_refused_even_when_loopback_is_allowed(
    browser, db, token
):
    for issuer in ("https://10.0.0.1/", "https://169.254.169.254/"):
        assert "reachable over https from the public internet" in refused_and_unsaved(
            db, submit(browser, token, issuer)
        )


class _Redirect(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.server.target.replace("{self}", self.server.base))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def redirector() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    server.daemon_threads = True
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.target = ""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_an_issuer_that_redirects_to_the_metadata_service_is_refused(
    browser, db, token, redirector
):
    redirector.target = "http://169.254.169.254/latest/meta-data/"
    message = refused_and_unsaved(db, submit(browser, token, redirector.base))
    assert "169.254.169.254" in message and "link-local" in message


def test_an_issuer_that_redirects_in_circles_is_refused(browser, db, token, redirector):
    redirector.target = "{self}/again"
    assert "redirects more than 3 times" in refused_and_unsaved(
        db, submit(browser, token, redirector.base)
    )


def test_an_issuer_that_redirects_to_another_providers_document_is_refused(
    browser, db, token, redirector, oidc_idp
):
    redirector.target = f"{oidc_idp}/.well-known/openid-configuration"
    message = refused_and_unsaved(db, submit(browser, token, redirector.base))
    assert "another issuer" in message and oidc_idp in message


def test_an_issuer_that_never_answers_times_out(app, browser, db, token, monkeypatch):
    set_settings(monkeypatch, app, preflight_timeout_seconds=1.0)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # connections are accepted by the kernel; nothing ever answers
    try:
        port = silent.getsockname()[1]
        message = refused_and_unsaved(db, submit(browser, token, f"http://127.0.0.1:{port}"))
    finally:
        silent.close()
    assert "did not answer within 1 seconds" in message
    assert "reachable from the internet" in message


def test_an_issuer_serving_html_or_another_issuers_document(browser, db, token, idp):
    idp.serve("/.well-known/openid-configuration", b"<!doctype html><html>Sign in</html>")
    assert "looks like an HTML page" in refused_and_unsaved(db, submit(browser, token, idp.issuer))
    idp.publish(issuer="https://login.someone-else.example")
    message = refused_and_unsaved(db, submit(browser, token, idp.issuer))
    assert "another issuer ('https://login.someone-else.example')" in message


def test_an_unreachable_authorization_endpoint_is_an_error(browser, db, token, idp):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    idp.publish(authorization_endpoint=f"http://127.0.0.1:{port}/authorize")
    message = refused_and_unsaved(db, submit(browser, token, idp.issuer))
    assert "sign-in endpoint (authorization_endpoint)" in message and "cannot be reached" in message


def test_a_token_endpoint_answering_500_is_only_a_warning(browser, db, token, idp):
    idp.serve("/token", b"boom", 500)
    response = submit(browser, token, idp.issuer)
    assert response.status_code == 302
    page = unescape(browser.get(f"/setup/{token}").get_data(as_text=True))
    assert "token endpoint (token_endpoint)" in page and "HTTP 500" in page
    assert "/token" in idp.seen and "/authorize" in idp.seen  # both endpoints were probed
