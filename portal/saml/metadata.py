"""Pre-flight checks of a customer's SAML 2.0 IdP metadata, before anything reaches Cognito.

The facts checked, with their sources:
- Cognito sends its AuthnRequest with the HTTP-Redirect binding and receives the response with
  HTTP-POST at /saml2/idpresponse (developer guide, "Things to know about SAML IdPs in Amazon
  Cognito user pools" and "The IdP SAML assertion endpoint"); so the IdP must offer a
  SingleSignOnService with the HTTP-Redirect binding.
- "The signing certificate in your SAML provider metadata must not be expired when you configure
  the SAML IdP", and "Each signing certificate must be no longer than 4,096 characters" (same page).
- A metadata document travels as a ProviderDetails value, whose botocore shape (StringType in
  botocore/data/cognito-idp/2016-04-18/service-2.json) allows at most 131,072 characters: no other
  size is documented, so that is the cap for a document, fetched or uploaded.
- IdP sign-out needs a SingleLogoutService in the metadata: Cognito sends the signed
  LogoutRequest there (developer guide, "Adding and managing SAML identity providers").
Parsing uses defusedxml with DTDs forbidden: SAML metadata never needs one, and a DTD is where
entity expansion and external references live.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.oidc.discovery import Finding, Findings
from portal.oidc.ssrf import FetchFailed, FetchRefused, guarded_get

MAX_METADATA_CHARS = 131_072
MAX_CERTIFICATE_CHARS = 4_096
EXPIRY_WARNING_DAYS = 30

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
ACCEPT = "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"

URL_FIELD = "metadata_url"
FILE_FIELD = "metadata_file"


@dataclass(frozen=True)
class SigningCertificate:
    """One signing certificate from the metadata, as a person recognises it."""

    subject: str
    not_after: datetime
    sha256: str  # fingerprint of the DER bytes, hex
    b64: str = field(default="", repr=False)  # the certificate itself, base64 DER

    @property
    def pem(self) -> str:
        lines = [self.b64[i : i + 64] for i in range(0, len(self.b64), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"

    def to_dict(self) -> dict[str, str]:
        return {
            "subject": self.subject,
            "not_after": self.not_after.isoformat(),
            "sha256": self.sha256,
        }


@dataclass
class MetadataCheck(Findings):
    """What the pre-flight learnt about a metadata document."""

    field: str  # the form field the document came from: metadata_url or metadata_file
    url: str | None = None
    document: str | None = None
    entity_id: str | None = None
    sso_redirect_url: str | None = None
    slo_url: str | None = None
    wants_signed_requests: bool = False
    certificates: list[SigningCertificate] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def sha256(self) -> str | None:
        return document_hash(self.document) if self.document is not None else None

    @property
    def certificate_expires_at(self) -> datetime | None:
        """When the last signing certificate expires: sign-in stops working then."""
        return max((c.not_after for c in self.certificates), default=None)

    def summary(self) -> dict[str, Any]:
        """What the audit trail and the API show: the hash and entity ID, never the XML."""
        return {
            "entity_id": self.entity_id,
            "sha256": self.sha256,
            "sso_redirect_url": self.sso_redirect_url,
            "slo_url": self.slo_url,
            "certificates": [c.to_dict() for c in self.certificates],
        }


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def fetch_metadata(
    url: str, *, allow_loopback: bool = False, timeout: float = 5.0, **options: Any
) -> MetadataCheck:
    """Fetch the metadata URL through the SSRF guard, then check the document."""
    url = (url or "").strip()
    options["allow_loopback"] = allow_loopback  # the document's own URLs follow the same rule
    result = MetadataCheck(URL_FIELD, url=url)
    if not url:
        result.error(URL_FIELD, "the metadata URL is required")
        return result
    try:
        fetched = guarded_get(
            url,
            allow_loopback=allow_loopback,
            timeout=timeout,
            max_bytes=MAX_METADATA_CHARS * 4,  # UTF-8: the character cap is checked after
            accept=ACCEPT,
        )
    except FetchRefused as exc:
        result.error(
            URL_FIELD,
            f"The portal will not fetch the metadata: {exc}. The metadata URL must be https and "
            "reachable from the public internet, because Cognito fetches it from there.",
        )
        return result
    except FetchFailed as exc:
        result.error(URL_FIELD, f"Could not fetch the metadata at {url}: {exc}.")
        return result
    if fetched.status != 200:
        result.error(
            URL_FIELD,
            f"{url} answered HTTP {fetched.status}, not 200. Copy the metadata URL again from "
            "your identity provider's application settings.",
        )
        return result
    try:
        text = fetched.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.error(URL_FIELD, f"{url} did not return UTF-8 text (SAML metadata is XML).")
        return result
    return _check_document(result, text, **options)


def check_metadata_file(document: str | bytes, **options: Any) -> MetadataCheck:
    """Check an uploaded metadata document."""
    result = MetadataCheck(FILE_FIELD)
    if isinstance(document, bytes):
        try:
            document = document.decode("utf-8-sig")
        except UnicodeDecodeError:
            result.error(FILE_FIELD, "The file is not UTF-8 text; SAML metadata is an XML file.")
            return result
    if not (document or "").strip():
        result.error(FILE_FIELD, "the metadata file is empty")
        return result
    return _check_document(result, document, **options)


def _check_document(
    result: MetadataCheck,
    text: str,
    *,
    idp_signout: bool = False,
    sign_requests: bool = False,
    allow_loopback: bool = False,
    now: datetime | None = None,
) -> MetadataCheck:
    name = result.field
    text = text.strip()
    if len(text) > MAX_METADATA_CHARS:
        result.error(
            name,
            f"The metadata is {len(text):,} characters long; Cognito takes at most "
            f"{MAX_METADATA_CHARS:,}. Download the metadata of this one application, not a "
            "federation's aggregate.",
        )
        return result
    root = _parse(result, text)
    if root is None:
        return result
    result.document = text
    entity = _entity(result, root)
    if entity is None:
        return result
    result.entity_id = (entity.get("entityID") or "").strip() or None
    if not result.entity_id:
        result.error(name, "The EntityDescriptor has no entityID.")
    idp = _idp_descriptor(result, entity)
    if idp is None:
        return result
    result.wants_signed_requests = (idp.get("WantAuthnRequestsSigned") or "").lower() == "true"
    _check_services(result, idp, idp_signout, allow_loopback)
    _check_certificates(result, idp, now or datetime.now(UTC))
    if result.wants_signed_requests and not sign_requests:
        result.warn(
            "sign_requests",
            "The identity provider asks for signed sign-in requests (WantAuthnRequestsSigned). "
            "Choose 'sign requests', and register Cognito's signing certificate with it.",
        )
    return result


def _parse(result: MetadataCheck, text: str):
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        result.error(
            result.field,
            "The metadata contains a DTD or entity declarations, which the portal refuses "
            "(SAML metadata needs neither; they are how XML attacks work).",
        )
    except ParseError as exc:
        hint = " (it looks like an HTML page)" if "<html" in text[:2048].lower() else ""
        result.error(result.field, f"The metadata is not well-formed XML{hint}: {exc}.")
    return None


def _entity(result: MetadataCheck, root):
    if root.tag == f"{{{MD}}}EntitiesDescriptor":
        count = len(root.findall(f".//{{{MD}}}EntityDescriptor"))
        result.error(
            result.field,
            f"This is a federation's aggregate of {count} entities (EntitiesDescriptor). "
            "Cognito needs the metadata of your one identity provider (one EntityDescriptor).",
        )
        return None
    if root.tag != f"{{{MD}}}EntityDescriptor":
        result.error(
            result.field,
            "The document is XML but not SAML 2.0 metadata: its root element is not an "
            f"EntityDescriptor in the {MD} namespace.",
        )
        return None
    return root


def _idp_descriptor(result: MetadataCheck, entity):
    for idp in entity.findall(f"{{{MD}}}IDPSSODescriptor"):
        if SAML2_PROTOCOL in (idp.get("protocolSupportEnumeration") or "").split():
            return idp
    if entity.find(f"{{{MD}}}SPSSODescriptor") is not None:
        result.error(
            result.field,
            "This is a service provider's metadata (SPSSODescriptor), not an identity "
            "provider's. Download the metadata of your identity provider (IdP) instead.",
        )
    else:
        result.error(
            result.field,
            "The metadata describes no SAML 2.0 identity provider (no IDPSSODescriptor with "
            "the SAML 2.0 protocol).",
        )
    return None


def _check_services(result: MetadataCheck, idp, idp_signout: bool, allow_loopback: bool) -> None:
    for service in idp.findall(f"{{{MD}}}SingleSignOnService"):
        if service.get("Binding") == HTTP_REDIRECT and service.get("Location"):
            result.sso_redirect_url = service.get("Location").strip()
            break
    if result.sso_redirect_url is None:
        result.error(
            result.field,
            "The identity provider offers no SingleSignOnService with the HTTP-Redirect binding, "
            "which Cognito uses to send the sign-in request.",
        )
    elif not _https_or_loopback(result.sso_redirect_url, allow_loopback):
        result.error(
            result.field,
            f"The sign-in address {result.sso_redirect_url!r} must use https.",
        )
    for service in idp.findall(f"{{{MD}}}SingleLogoutService"):
        if service.get("Binding") in (HTTP_REDIRECT, HTTP_POST) and service.get("Location"):
            result.slo_url = service.get("Location").strip()
            break
    if idp_signout and result.slo_url is None:
        result.error(
            "idp_signout",
            "IdP sign-out needs a SingleLogoutService in the metadata, and this metadata has "
            "none. Turn sign-out on at your identity provider, or leave this option off.",
        )


def _https_or_loopback(url: str, allow_loopback: bool) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return (
        allow_loopback and parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
    )


def signing_certificates(idp) -> list[str]:
    """The base64 text of each signing certificate (a KeyDescriptor without `use` signs too)."""
    texts = []
    for key in idp.findall(f"{{{MD}}}KeyDescriptor"):
        if key.get("use") not in (None, "", "signing"):
            continue
        for cert in key.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate"):
            texts.append("".join((cert.text or "").split()))
    return texts


def _check_certificates(result: MetadataCheck, idp, now: datetime) -> None:
    from cryptography import x509

    texts = signing_certificates(idp)
    if not texts:
        result.error(
            result.field,
            "The metadata has no signing certificate (KeyDescriptor with an X509Certificate); "
            "Cognito could not check any sign-in response.",
        )
        return
    for number, text in enumerate(texts, start=1):
        label = f"signing certificate {number}" if len(texts) > 1 else "The signing certificate"
        if len(text) > MAX_CERTIFICATE_CHARS:
            result.error(
                result.field,
                f"{label.capitalize()} is {len(text):,} characters long; Cognito accepts at most "
                f"{MAX_CERTIFICATE_CHARS:,} per certificate. Use a 2048- or 3072-bit RSA key.",
            )
            continue
        try:
            der = base64.b64decode(text, validate=True)
            cert = x509.load_der_x509_certificate(der)
        except (binascii.Error, ValueError):
            result.error(result.field, f"{label.capitalize()} is not a valid X.509 certificate.")
            continue
        info = SigningCertificate(
            subject=cert.subject.rfc4514_string() or "(no subject)",
            not_after=cert.not_valid_after_utc,
            sha256=hashlib.sha256(der).hexdigest(),
            b64=text,
        )
        result.certificates.append(info)
        day = info.not_after.date().isoformat()
        if info.not_after <= now:
            result.error(
                result.field,
                f"{label.capitalize()} ({info.subject}) expired on {day}; Cognito refuses "
                "metadata with an expired signing certificate. Download the metadata again "
                "after renewing it, and remove the old certificate.",
            )
        elif info.not_after <= now + timedelta(days=EXPIRY_WARNING_DAYS):
            days = (info.not_after - now).days
            result.warn(
                result.field,
                f"{label.capitalize()} ({info.subject}) expires on {day}, in {days} day(s). "
                "Sign-in stops working then unless a new certificate is added before.",
            )
