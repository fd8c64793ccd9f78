"""SAML test material: signing keys (made once per session: RSA keys are slow) and metadata."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from werkzeug.serving import make_server

from portal.devtools.hosted_ui import HostedUi
from portal.devtools.saml_idp import (
    DemoSamlIdp,
    SigningKey,
    make_signing_key,
    metadata_xml,
)

ENTITY_ID = "https://idp.example.com/saml/metadata"
SSO_URL = "https://idp.example.com/saml/sso"
SLO_URL = "https://idp.example.com/saml/slo"


@cache
def signing_key(kind: str = "valid") -> SigningKey:
    """A key whose certificate is valid for a year or two, expires soon, or has expired."""
    now = datetime.now(UTC)
    if kind == "valid":
        return make_signing_key("acme-idp", valid_for=timedelta(days=365))
    if kind == "renewed":
        return make_signing_key("acme-idp-2027", valid_for=timedelta(days=730))
    if kind == "expiring":
        return make_signing_key("acme-idp", valid_for=timedelta(days=10, hours=1))
    if kind == "expired":
        return make_signing_key(
            "acme-idp", not_before=now - timedelta(days=400), valid_for=timedelta(days=365)
        )
    raise ValueError(kind)


def idp_metadata(
    *kinds: str,
    entity_id: str = ENTITY_ID,
    sso_url: str = SSO_URL,
    slo_url: str | None = None,
    **options,
) -> str:
    """Metadata signed by the keys of KINDS (default: one valid key)."""
    certs = [signing_key(kind).certificate_b64 for kind in (kinds or ("valid",))]
    return metadata_xml(entity_id, sso_url, certs, slo_url=slo_url, **options)


class _Late:
    """A WSGI app chosen once the server's port is known."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@contextmanager
def serve(make_app: Callable[[str], Any]) -> Iterator[Any]:
    """Run make_app(base_url) on 127.0.0.1 in a thread; yield the app."""
    late = _Late()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    late.app = make_app(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield late.app
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def demo_saml_idp() -> Iterator[DemoSamlIdp]:
    """The demo SAML IdP of `portal dev` (users alice and bob), on 127.0.0.1."""
    with serve(lambda base: DemoSamlIdp(base, key=signing_key("valid"))) as idp:
        yield idp


@pytest.fixture
def hosted_ui(cognito_emulator) -> Iterator[HostedUi]:
    """The stand-in for Cognito's hosted UI with SAML, against the emulator."""
    with serve(HostedUi) as standin:
        yield standin
