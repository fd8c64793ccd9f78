"""A stub OIDC issuer on 127.0.0.1 whose discovery document and JWKS each test shapes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

WELL_KNOWN = "/.well-known/openid-configuration"
JWK = {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB"}


class _Handler(BaseHTTPRequestHandler):
    server: StubIdP

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        status, content_type, body = self.server.routes.get(
            self.path, (404, "text/html", b"<html><body>Not Found</body></html>")
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class StubIdP(ThreadingHTTPServer):
    """A loopback server that serves a discovery document and JWKS the test shapes."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.seen: list[str] = []
        self.issuer = f"http://127.0.0.1:{self.server_address[1]}"
        self.publish()
        self.publish_jwks({"keys": [JWK]})

    def publish(self, **changes: Any) -> dict[str, Any]:
        """Serve a complete, valid document with CHANGES applied (None removes a key)."""
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code", "id_token", "code id_token"],
            "scopes_supported": ["openid", "email", "profile"],
            "claims_supported": ["sub", "email", "groups"],
        }
        document.update(changes)
        document = {key: value for key, value in document.items() if value is not None}
        self.serve(WELL_KNOWN, json.dumps(document).encode())
        return document

    def publish_jwks(self, jwks: object) -> None:
        self.serve("/jwks", json.dumps(jwks).encode())

    def serve(self, path: str, body: bytes, status: int = 200, content_type: str = "") -> None:
        self.routes[path] = (status, content_type or "application/json", body)


@pytest.fixture
def idp() -> Iterator[StubIdP]:
    stub = StubIdP()
    thread = threading.Thread(target=stub.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield stub
    finally:
        stub.shutdown()
        stub.server_close()
