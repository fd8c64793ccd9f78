"""SAML identity providers as strict as AWS, and GetSigningCertificate, which moto lacks.

Sources for each rule:
- ProviderDetails keys and values: the CreateIdentityProvider ProviderDetails documentation in
  botocore/data/cognito-idp/2016-04-18/service-2.json ("Create or update request with Metadata
  URL / file" and "Describe response"). The describe-only keys (ActiveEncryptionCertificate,
  SSORedirectBindingURI, SLORedirectBindingURI) appear only in the describe response; a request
  that sends them back is refused here so that a portal that forgets to strip them fails locally
  (a written choice: whether AWS ignores or refuses them is not documented).
- "At least one of the MetadataURL or MetadataFile should be provided." is AWS's own wording
  (hashicorp/terraform-provider-aws#4815).
- Metadata Cognito cannot read fails with InvalidParameterException ("Error retrieving metadata
  from <endpoint>", developer guide, "Adding and managing SAML identity providers"); expired
  signing certificates fail with "Signing certificates are expired"
  (hashicorp/terraform-provider-aws#36912).
- GetSigningCertificate returns the pool's x.509 signing certificate; Cognito renews it yearly
  and the old one stays valid (GetSigningCertificate documentation, same model file). The
  emulator makes one per pool on first use and keeps it while it runs.
"""

from __future__ import annotations

import threading
import urllib.request
from datetime import timedelta
from typing import Any

from portal.saml.metadata import check_metadata_file

from .call import Call
from .errors import invalid

FLAGS = ("IDPSignout", "EncryptedResponses", "IDPInit")
REQUEST_KEYS = frozenset({"MetadataURL", "MetadataFile", "RequestSigningAlgorithm", *FLAGS})
DESCRIBE_ONLY = frozenset(
    {"ActiveEncryptionCertificate", "SSORedirectBindingURI", "SLORedirectBindingURI"}
)
SIGNING_ALGORITHMS = frozenset({"rsa-sha256"})
FETCH_TIMEOUT = 5.0
MAX_FETCH_BYTES = 1024 * 1024
CERTIFICATE_LIFETIME = timedelta(days=3653)  # "Issued certificates are valid for 10 years"

_keys_lock = threading.Lock()
_pool_certificates: dict[tuple[str, str], str] = {}


def check_saml_details(details: dict[str, str]) -> dict[str, str]:
    """Refuse what AWS refuses; return the describe-only keys Cognito derives from the metadata."""
    sent_back = sorted(set(details) & DESCRIBE_ONLY)
    if sent_back:
        raise invalid(
            f"ProviderDetails {', '.join(sent_back)} cannot be set: Cognito derives it "
            "(DescribeIdentityProvider returns it; do not send it back)."
        )
    unknown = sorted(set(details) - REQUEST_KEYS)
    if unknown:
        raise invalid(f"Unsupported ProviderDetails for SAML: {', '.join(unknown)}")
    url, document = details.get("MetadataURL"), details.get("MetadataFile")
    if not url and not document:
        raise invalid("At least one of the MetadataURL or MetadataFile should be provided.")
    if url and document:
        raise invalid("Only one of the MetadataURL or MetadataFile should be provided.")
    for flag in FLAGS:
        if flag in details and str(details[flag]).lower() not in ("true", "false"):
            raise invalid(f"{flag} must be true or false.")
    algorithm = details.get("RequestSigningAlgorithm")
    if algorithm is not None and algorithm not in SIGNING_ALGORITHMS:
        raise invalid(f"RequestSigningAlgorithm must be one of: {', '.join(SIGNING_ALGORITHMS)}")
    if url:
        document = _fetch(url)
    check = check_metadata_file(document, allow_loopback=True)
    if not check.ok:
        messages = " ".join(f.message for f in check.errors)
        if any("expired on" in f.message for f in check.errors):
            raise invalid(f"Signing certificates are expired. {messages}")
        raise invalid(f"Invalid SAML metadata: {messages}")
    derived = {"SSORedirectBindingURI": check.sso_redirect_url or ""}
    if check.slo_url:
        derived["SLORedirectBindingURI"] = check.slo_url
    return derived


def _fetch(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
    if parts.scheme != "https" and not loopback:
        raise invalid(f"MetadataURL must be an https URL: {url}")
    try:
        # The scheme is checked above (https, or http on loopback for local metadata servers).
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # noqa: S310  # nosec B310
            return response.read(MAX_FETCH_BYTES).decode("utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"Error retrieving metadata from {url}: {exc}") from exc


def describe_only_keys(call: Call, pool_id: str, details: dict[str, str]) -> dict[str, str]:
    """What DescribeIdentityProvider adds: the derived URIs, and the encryption certificate."""
    derived = check_saml_details(details)
    if str(details.get("EncryptedResponses", "")).lower() == "true":
        derived["ActiveEncryptionCertificate"] = pool_certificate(call, pool_id, "encryption")
    return derived


def pool_certificate(call: Call, pool_id: str, use: str) -> str:
    """The pool's signing (or encryption) certificate, base64 DER, made on first use."""
    from portal.devtools.saml_idp import make_signing_key

    key = (f"{call.account_id}/{call.region}/{pool_id}", use)
    with _keys_lock:
        if key not in _pool_certificates:
            made = make_signing_key(f"{pool_id} {use}", valid_for=CERTIFICATE_LIFETIME)
            _pool_certificates[key] = made.certificate_b64
        return _pool_certificates[key]


def get_signing_certificate(call: Call) -> dict[str, Any]:
    """GetSigningCertificate: the pool's SAML signing certificate (moto has no such call)."""
    pool = call.pool()
    return {"Certificate": pool_certificate(call, pool.id, "signing")}


HANDLERS = {"GetSigningCertificate": get_signing_certificate}
