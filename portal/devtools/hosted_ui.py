"""A stand-in for Cognito's hosted UI with a SAML IdP, for `portal dev` and the tests.

moto has no hosted UI. This plays the part a test sign-in needs, against the local emulator:
/oauth2/authorize sends the user to the tenant's SAML IdP with an AuthnRequest (HTTP-Redirect),
/saml2/idpresponse receives the signed response (HTTP-POST), verifies it against the
certificates of the provider's metadata (signxml), checks audience, recipient, time and the
request it answers, applies the provider's AttributeMapping, and /oauth2/token returns a
Cognito-style ID token (custom:groups as Cognito stores an array: "[a, b]"). Only what is signed
is read, so a response with an unsigned assertion wrapped around a signed one is refused.
Development and test tool only (signxml and lxml come with the dev extra).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from portal.devtools.saml_idp import SAML_NS, SAMLP_NS
from portal.saml.metadata import check_metadata_file

CODE_TTL = 300
CLOCK_SKEW = 60


class Refused(Exception):
    """The stand-in cannot go on; the message is shown as a plain-text 400."""


@dataclass
class Pending:
    """A sign-in sent to a SAML IdP and waiting for its response."""

    request_id: str
    pool_id: str
    client_id: str
    provider: dict[str, Any]
    params: dict[str, str]
    started: float = field(default_factory=time.monotonic)


class HostedUi:
    """WSGI app; `base_url` is both its domain and the ID tokens' issuer."""

    def __init__(self, base_url: str, cognito: Any | None = None) -> None:
        from joserfc.jwk import RSAKey

        self.base_url = base_url.rstrip("/")
        self._cognito = cognito
        self.key = RSAKey.generate_key(2048, parameters={"kid": "stand-in", "use": "sig"})
        self.pending: dict[str, Pending] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    @property
    def cognito(self) -> Any:
        if self._cognito is None:
            import boto3

            self._cognito = boto3.client("cognito-idp")
        return self._cognito

    @property
    def acs_url(self) -> str:
        return f"{self.base_url}/saml2/idpresponse"

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/.well-known/jwks.json"): self._jwks,
            ("GET", "/oauth2/authorize"): self._authorize,
            ("POST", "/saml2/idpresponse"): self._idpresponse,
            ("POST", "/oauth2/token"): self._token,
        }
        handler = routes.get((request.method, request.path))
        try:
            if handler is None:
                raise Refused("not found")
            response = handler(request)
        except Refused as exc:
            response = Response(str(exc), status=400, mimetype="text/plain")
        return response(environ, start_response)

    # --- discovery and keys ----------------------------------------------------------------

    def _discovery(self, request):
        import json

        from werkzeug.wrappers import Response

        document = {
            "issuer": self.base_url,
            "authorization_endpoint": f"{self.base_url}/oauth2/authorize",
            "token_endpoint": f"{self.base_url}/oauth2/token",
            "jwks_uri": f"{self.base_url}/.well-known/jwks.json",
        }
        return Response(json.dumps(document), mimetype="application/json")

    def _jwks(self, request):
        import json

        from werkzeug.wrappers import Response

        return Response(
            json.dumps({"keys": [self.key.as_dict(private=False)]}), mimetype="application/json"
        )

    # --- the SP-initiated SAML flow ---------------------------------------------------------

    def _authorize(self, request):
        from werkzeug.utils import redirect

        params = {k: request.args.get(k, "") for k in AUTHORIZE_PARAMS}
        if params["response_type"] != "code":
            raise Refused("response_type must be code")
        pool_id, client = self._client(params["client_id"])
        if params["redirect_uri"] not in (client.get("CallbackURLs") or []):
            raise Refused("redirect_mismatch: the redirect_uri is not a callback URL of the client")
        name = params["identity_provider"]
        if name not in (client.get("SupportedIdentityProviders") or []):
            raise Refused(f"the client does not list the identity provider {name!r}")
        provider = self.cognito.describe_identity_provider(UserPoolId=pool_id, ProviderName=name)[
            "IdentityProvider"
        ]
        if provider.get("ProviderType") != "SAML":
            raise Refused("this stand-in plays Cognito's hosted UI for SAML providers only")
        check = self._metadata(provider)
        request_id = "_" + secrets.token_hex(16)
        relay = secrets.token_urlsafe(24)
        with self.lock:
            self.pending[relay] = Pending(
                request_id, pool_id, params["client_id"], provider, params
            )
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        authn = (
            f'<samlp:AuthnRequest xmlns:samlp="{SAMLP_NS}" xmlns:saml="{SAML_NS}" '
            f'ID="{request_id}" Version="2.0" IssueInstant="{stamp}" '
            f'Destination="{check.sso_redirect_url}" AssertionConsumerServiceURL="{self.acs_url}" '
            'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
            f"<saml:Issuer>urn:amazon:cognito:sp:{pool_id}</saml:Issuer></samlp:AuthnRequest>"
        )
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        encoded = base64.b64encode(deflater.compress(authn.encode()) + deflater.flush())
        query = urlencode({"SAMLRequest": encoded.decode("ascii"), "RelayState": relay})
        return redirect(f"{check.sso_redirect_url}?{query}")

    def _client(self, client_id: str) -> tuple[str, dict[str, Any]]:
        pools = self.cognito.list_user_pools(MaxResults=60)["UserPools"]
        for pool in pools:
            try:
                client = self.cognito.describe_user_pool_client(
                    UserPoolId=pool["Id"], ClientId=client_id
                )["UserPoolClient"]
            except self.cognito.exceptions.ResourceNotFoundException:
                continue
            return pool["Id"], client
        raise Refused(f"no app client {client_id!r}")

    def _metadata(self, provider: dict[str, Any]):
        details = provider.get("ProviderDetails", {})
        document = details.get("MetadataFile")
        if not document and details.get("MetadataURL"):
            import urllib.request

            url = details["MetadataURL"]
            if not url.startswith(("https://", "http://")):  # the emulator allowed no other
                raise Refused(f"the provider's MetadataURL is not http(s): {url}")
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310  # nosec B310
                document = answer.read().decode("utf-8-sig")
        check = check_metadata_file(document or "", allow_loopback=True)
        if not check.ok:
            raise Refused("the provider's metadata is unusable: " + check.errors[0].message)
        return check

    def _idpresponse(self, request):
        from werkzeug.utils import redirect

        relay = request.form.get("RelayState", "")
        with self.lock:
            pending = self.pending.pop(relay, None)
        if pending is None:
            raise Refused("unsolicited SAML response: no sign-in started with this RelayState")
        claims = self._verify(pending, request.form.get("SAMLResponse", ""))
        code = secrets.token_urlsafe(32)
        with self.lock:
            self.codes[code] = {"pending": pending, "claims": claims, "at": time.monotonic()}
        query = urlencode({"code": code, "state": pending.params["state"]})
        return redirect(f"{pending.params['redirect_uri']}?{query}")

    def _verify(self, pending: Pending, encoded: str) -> dict[str, Any]:
        from signxml import InvalidSignature, XMLVerifier

        try:
            document = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise Refused("SAMLResponse is not base64") from exc
        signed = None
        for cert in self._metadata(pending.provider).certificates:
            try:
                signed = XMLVerifier().verify(document, x509_cert=cert.pem).signed_xml
                break
            except InvalidSignature:
                continue
        if signed is None:
            raise Refused("Invalid SAML response received: SAML Assertion signature is invalid.")
        assertion = signed if signed.tag == f"{{{SAML_NS}}}Assertion" else None
        if assertion is None:
            assertion = signed.find(f"{{{SAML_NS}}}Assertion")
        if assertion is None:
            raise Refused("the signed part of the response holds no assertion")
        self._check_conditions(pending, assertion)
        name_id = assertion.findtext(f"{{{SAML_NS}}}Subject/{{{SAML_NS}}}NameID") or ""
        values: dict[str, list[str]] = {}
        for attribute in assertion.iter(f"{{{SAML_NS}}}Attribute"):
            values[attribute.get("Name", "")] = [
                v.text or "" for v in attribute.findall(f"{{{SAML_NS}}}AttributeValue")
            ]
        return self._mapped(pending, name_id, values)

    def _check_conditions(self, pending: Pending, assertion) -> None:
        audience = assertion.findtext(f".//{{{SAML_NS}}}Audience")
        if audience != f"urn:amazon:cognito:sp:{pending.pool_id}":
            raise Refused(f"Invalid SAML response received: audience {audience!r} is not ours")
        data = assertion.find(f".//{{{SAML_NS}}}SubjectConfirmationData")
        if data is None or data.get("Recipient") != self.acs_url:
            raise Refused("Invalid SAML response received: wrong recipient")
        if data.get("InResponseTo") != pending.request_id:
            raise Refused("Invalid SAML response received: it answers another request")
        until = data.get("NotOnOrAfter")
        if until:
            expires = datetime.fromisoformat(until.replace("Z", "+00:00"))
            if expires.timestamp() + CLOCK_SKEW < time.time():
                raise Refused("Invalid SAML response received: the assertion has expired")

    def _mapped(self, pending: Pending, name_id: str, values: dict[str, list[str]]) -> dict:
        """Cognito's attribute mapping: pool attribute <- SAML attribute; arrays as "[a, b]"."""
        mapping = pending.provider.get("AttributeMapping") or {}
        claims: dict[str, Any] = {
            "sub": hashlib.sha256(
                f"{pending.provider['ProviderName']}:{name_id}".encode()
            ).hexdigest()[:36],
            "cognito:username": f"{pending.provider['ProviderName']}_{name_id}",
        }
        for pool_attribute, saml_name in mapping.items():
            if pool_attribute == "username" or saml_name not in values:
                continue
            found = values[saml_name]
            if pool_attribute.startswith("custom:"):  # Cognito keeps an array as one string
                claims[pool_attribute] = "[" + ", ".join(found) + "]"
            else:
                claims[pool_attribute] = found[0] if found else ""
        return claims

    # --- the token endpoint -------------------------------------------------------------------

    def _token(self, request):
        import json

        from joserfc import jwt
        from werkzeug.wrappers import Response

        form = request.form
        with self.lock:
            granted = self.codes.pop(form.get("code", ""), None)
        if granted is None or time.monotonic() - granted["at"] > CODE_TTL:
            return _token_error("invalid_grant", "unknown or expired code")
        pending: Pending = granted["pending"]
        client_id, secret = _basic(request) or (form.get("client_id", ""), "")
        if (
            client_id != pending.client_id
            or form.get("redirect_uri") != pending.params["redirect_uri"]
        ):
            return _token_error("invalid_grant", "the code was issued to another client")
        live = self.cognito.describe_user_pool_client(
            UserPoolId=pending.pool_id, ClientId=client_id
        )["UserPoolClient"]
        if live.get("ClientSecret") and not secrets.compare_digest(secret, live["ClientSecret"]):
            return _token_error("invalid_client", "wrong client secret")
        challenge = pending.params.get("code_challenge")
        if challenge:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
                return _token_error("invalid_grant", "PKCE verification failed")
        now = int(time.time())
        claims = {
            **granted["claims"],
            "iss": self.base_url,
            "aud": client_id,
            "iat": now,
            "exp": now + 3600,
            "auth_time": now,
            "token_use": "id",
            "nonce": pending.params.get("nonce") or None,
            "identities": [
                {"providerName": pending.provider["ProviderName"], "providerType": "SAML"}
            ],
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        token = jwt.encode({"alg": "RS256", "kid": "stand-in"}, claims, self.key)
        body = {
            "id_token": token,
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
        }
        return Response(json.dumps(body), mimetype="application/json")


AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "nonce",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "identity_provider",
)


def _token_error(code: str, description: str):
    import json

    from werkzeug.wrappers import Response

    body = json.dumps({"error": code, "error_description": description})
    return Response(body, status=400, mimetype="application/json")


def _basic(request) -> tuple[str, str] | None:
    from urllib.parse import unquote

    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return unquote(user), unquote(password)
