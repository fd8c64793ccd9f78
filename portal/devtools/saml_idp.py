"""A demo SAML 2.0 identity provider's keys and metadata, for `portal dev` and the tests.

The product never signs SAML: only this development tool does (with signxml, in the dev extra).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from portal.saml.metadata import DS, HTTP_POST, HTTP_REDIRECT, MD, SAML2_PROTOCOL


@dataclass(frozen=True)
class SigningKey:
    """A private key and its self-signed certificate."""

    key: rsa.RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate

    @property
    def certificate_b64(self) -> str:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return base64.b64encode(der).decode("ascii")

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")


def make_signing_key(
    common_name: str = "demo-idp",
    *,
    valid_for: timedelta = timedelta(days=365),
    not_before: datetime | None = None,
    key_size: int = 2048,
) -> SigningKey:
    """A fresh RSA key with a self-signed certificate valid from NOT_BEFORE for VALID_FOR."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    start = not_before or (datetime.now(UTC) - timedelta(minutes=5))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + valid_for)
        .sign(key, hashes.SHA256())
    )
    return SigningKey(key, certificate)


def metadata_xml(
    entity_id: str,
    sso_url: str,
    certificates: list[str],
    *,
    slo_url: str | None = None,
    want_signed_requests: bool = False,
    redirect_binding: bool = True,
) -> str:
    """An IdP's SAML 2.0 metadata with the given signing certificates (base64 DER)."""
    keys = "".join(
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
        f"<ds:X509Certificate>{cert}</ds:X509Certificate>"
        f"</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for cert in certificates
    )
    binding = HTTP_REDIRECT if redirect_binding else HTTP_POST
    slo = (
        f'<md:SingleLogoutService Binding="{HTTP_REDIRECT}" Location={quoteattr(slo_url)}/>'
        if slo_url
        else ""
    )
    signed = ' WantAuthnRequestsSigned="true"' if want_signed_requests else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" entityID={quoteattr(entity_id)}>'
        f'<md:IDPSSODescriptor protocolSupportEnumeration="{SAML2_PROTOCOL}"{signed}>'
        f"{keys}{slo}"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>"
        f'<md:SingleSignOnService Binding="{binding}" Location={quoteattr(sso_url)}/>'
        f'<md:SingleSignOnService Binding="{HTTP_POST}" Location={quoteattr(sso_url)}/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


# --- The demo IdP as a web app: metadata, a user picker, signed responses --------------------

SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"


@dataclass(frozen=True)
class DemoUser:
    """A user of the demo IdP and the attributes it sends for them."""

    name_id: str
    attributes: dict[str, list[str]]


DEMO_USERS = (
    DemoUser(
        "alice",
        {"email": ["alice@example.com"], "groups": ["admins", "staff"], "roles": ["editor"]},
    ),
    DemoUser("bob", {"email": ["bob@example.com"], "groups": []}),
)


class DemoSamlIdp:
    """A WSGI SAML 2.0 IdP: GET /saml/metadata, GET /saml/sso (pick a user), POST /saml/sso.

    It signs each assertion with signxml (RSA-SHA256) and answers with an HTML form that posts
    the response to the service provider's ACS URL, as a real IdP's HTTP-POST binding does.
    """

    def __init__(
        self,
        base_url: str,
        users: tuple[DemoUser, ...] = DEMO_USERS,
        key: SigningKey | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.entity_id = f"{self.base_url}/saml/metadata"
        self.users = {u.name_id: u for u in users}
        self.key = key or make_signing_key("demo-saml-idp")

    def metadata(self) -> str:
        return metadata_xml(
            self.entity_id,
            f"{self.base_url}/saml/sso",
            [self.key.certificate_b64],
            slo_url=f"{self.base_url}/saml/slo",
        )

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        if request.path == "/saml/metadata":
            response = Response(self.metadata(), mimetype="application/samlmetadata+xml")
        elif request.path == "/saml/sso" and request.method == "GET":
            response = self._picker(request)
        elif request.path == "/saml/sso" and request.method == "POST":
            response = self._respond(request)
        else:
            response = Response("Not found", status=404, mimetype="text/plain")
        return response(environ, start_response)

    def _picker(self, request):
        from html import escape

        from werkzeug.wrappers import Response

        try:
            authn = parse_authn_request(request.args.get("SAMLRequest", ""))
        except ValueError as exc:
            return Response(f"Bad SAMLRequest: {exc}", status=400, mimetype="text/plain")
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{escape(v)}">'
            for k, v in {**authn, "RelayState": request.args.get("RelayState", "")}.items()
        )
        buttons = "".join(
            f'<button type="submit" name="user" value="{escape(u)}">{escape(u)}</button> '
            for u in self.users
        )
        page = (
            "<!doctype html><title>Demo SAML IdP</title><h1>Demo SAML IdP: sign in as</h1>"
            f'<form method="post" action="/saml/sso">{hidden}{buttons}</form>'
        )
        return Response(page, mimetype="text/html")

    def _respond(self, request):
        from html import escape

        from werkzeug.wrappers import Response

        user = self.users.get(request.form.get("user", ""))
        if user is None:
            return Response("Unknown user", status=400, mimetype="text/plain")
        document = self.signed_response(
            user,
            acs_url=request.form["acs_url"],
            audience=request.form["issuer"],
            in_response_to=request.form["request_id"],
        )
        encoded = base64.b64encode(document.encode("utf-8")).decode("ascii")
        relay = escape(request.form.get("RelayState", ""))
        page = (
            "<!doctype html><title>Signing in</title>"
            f'<form method="post" action="{escape(request.form["acs_url"])}" id="saml">'
            f'<input type="hidden" name="SAMLResponse" value="{encoded}">'
            f'<input type="hidden" name="RelayState" value="{relay}">'
            '<button type="submit">Continue</button></form>'
            "<script>document.getElementById('saml').submit()</script>"
        )
        return Response(page, mimetype="text/html")

    def signed_response(
        self, user: DemoUser, *, acs_url: str, audience: str, in_response_to: str
    ) -> str:
        """A Response whose Assertion is signed (enveloped, RSA-SHA256) by the IdP's key."""
        import secrets as token
        from xml.sax.saxutils import escape

        from lxml import etree
        from signxml import XMLSigner

        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        until = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assertion_id = "_" + token.token_hex(16)
        attributes = "".join(
            f'<saml:Attribute Name="{escape(name)}">'
            + "".join(f"<saml:AttributeValue>{escape(v)}</saml:AttributeValue>" for v in values)
            + "</saml:Attribute>"
            for name, values in user.attributes.items()
        )
        assertion = (
            f'<saml:Assertion xmlns:saml="{SAML_NS}" ID="{assertion_id}" Version="2.0" '
            f'IssueInstant="{stamp}"><saml:Issuer>{escape(self.entity_id)}</saml:Issuer>'
            '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="placeholder"/>'
            f'<saml:Subject><saml:NameID Format="{PERSISTENT}">{escape(user.name_id)}'
            "</saml:NameID>"
            f'<saml:SubjectConfirmation Method="{BEARER}">'
            f'<saml:SubjectConfirmationData InResponseTo="{escape(in_response_to)}" '
            f'NotOnOrAfter="{until}" Recipient="{escape(acs_url)}"/></saml:SubjectConfirmation>'
            f'</saml:Subject><saml:Conditions NotBefore="{stamp}" NotOnOrAfter="{until}">'
            f"<saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience>"
            "</saml:AudienceRestriction></saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{stamp}"><saml:AuthnContext>'
            "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
            "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
            f"<saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>"
        )
        # Exclusive canonicalisation, as SAML uses: the assertion's signature still holds once
        # it sits inside the Response, whose namespaces would otherwise be drawn in.
        signer = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        signed = signer.sign(
            etree.fromstring(assertion.encode("utf-8")),
            key=self.key.key_pem,
            cert=self.key.certificate_pem,
        )
        signed_text = etree.tostring(signed).decode("utf-8")
        return (
            f'<samlp:Response xmlns:samlp="{SAMLP_NS}" xmlns:saml="{SAML_NS}" '
            f'ID="_{token.token_hex(16)}" Version="2.0" IssueInstant="{stamp}" '
            f'Destination="{escape(acs_url)}" InResponseTo="{escape(in_response_to)}">'
            f"<saml:Issuer>{escape(self.entity_id)}</saml:Issuer>"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            f"</samlp:Status>{signed_text}</samlp:Response>"
        )


def parse_authn_request(encoded: str) -> dict[str, str]:
    """The ID, ACS URL and issuer of a deflated, base64 AuthnRequest (HTTP-Redirect binding)."""
    import zlib

    from defusedxml.ElementTree import fromstring

    try:
        xml = zlib.decompress(base64.b64decode(encoded), -15)
        root = fromstring(xml, forbid_dtd=True)
    except Exception as exc:
        raise ValueError(str(exc)) from exc
    issuer = root.find(f"{{{SAML_NS}}}Issuer")
    return {
        "request_id": root.get("ID", ""),
        "acs_url": root.get("AssertionConsumerServiceURL", ""),
        "issuer": (issuer.text or "").strip() if issuer is not None else "",
    }
