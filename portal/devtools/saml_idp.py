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
