"""The SAML metadata pre-flight: what a person giving a metadata URL or file is told."""

from __future__ import annotations

import pytest

from portal.devtools.saml_idp import metadata_xml
from portal.saml.metadata import (
    MAX_METADATA_CHARS,
    check_metadata_file,
    fetch_metadata,
)
from tests.support.idp import StubIdP
from tests.support.saml import ENTITY_ID, SLO_URL, SSO_URL, idp_metadata, signing_key


def errors(check) -> list[str]:
    return [f"{f.field}: {f.message}" for f in check.errors]


def test_a_complete_metadata_file_passes_and_yields_what_cognito_and_the_reminders_need() -> None:
    check = check_metadata_file(idp_metadata("valid", "renewed", slo_url=SLO_URL))
    assert check.ok, check.findings
    assert check.findings == []
    assert check.entity_id == ENTITY_ID
    assert check.sso_redirect_url == SSO_URL
    assert check.slo_url == SLO_URL
    assert [c.subject for c in check.certificates] == ["CN=acme-idp", "CN=acme-idp-2027"]
    # the reminders watch the last certificate to expire: sign-in works until then
    assert check.certificate_expires_at == signing_key("renewed").certificate.not_valid_after_utc
    assert len(check.sha256) == 64
    assert "<" not in str(check.summary())  # the audit sees the hash and entity ID, not XML


def test_bytes_with_a_byte_order_mark_are_read_as_utf8() -> None:
    check = check_metadata_file(b"\xef\xbb\xbf" + idp_metadata().encode())
    assert check.ok, check.findings


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("", "empty"),
        ("<html><body>Sign in</body></html", "HTML page"),
        ("<EntityDescriptor entityID='x'/>", "not SAML 2.0 metadata"),
        (
            '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
            "DTD or entity",
        ),
        (
            '<!DOCTYPE x SYSTEM "http://127.0.0.1:1/evil.dtd"><x/>',
            "DTD or entity",
        ),
    ],
    ids=["empty", "html", "no-namespace", "entity-expansion", "external-dtd"],
)
def test_documents_that_are_not_metadata_are_refused_with_the_reason(document, expected) -> None:
    check = check_metadata_file(document)
    assert not check.ok
    assert expected in errors(check)[0]


def test_a_service_provider_metadata_or_a_federation_aggregate_is_refused() -> None:
    sp = idp_metadata().replace("IDPSSODescriptor", "SPSSODescriptor")
    assert "service provider's metadata" in errors(check_metadata_file(sp))[0]
    one = idp_metadata().split("?>", 1)[1]
    aggregate = (
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        + one
        + one.replace(ENTITY_ID, "https://other.example.com")
        + "</md:EntitiesDescriptor>"
    )
    assert "aggregate of 2 entities" in errors(check_metadata_file(aggregate))[0]


def test_the_redirect_binding_cognito_sends_requests_with_is_required() -> None:
    document = idp_metadata(redirect_binding=False)
    assert "HTTP-Redirect" in errors(check_metadata_file(document))[0]


def test_a_plain_http_sign_in_address_is_refused() -> None:
    document = idp_metadata(sso_url="http://idp.example.com/sso")
    assert "must use https" in errors(check_metadata_file(document))[0]


def test_certificates_missing_broken_expired_or_too_long_are_refused() -> None:
    none = metadata_xml(ENTITY_ID, SSO_URL, [])
    assert "no signing certificate" in errors(check_metadata_file(none))[0]
    broken = metadata_xml(ENTITY_ID, SSO_URL, ["bm90IGEgY2VydA=="])
    assert "not a valid X.509" in errors(check_metadata_file(broken))[0]
    expired = check_metadata_file(idp_metadata("expired"))
    assert "expired on" in errors(expired)[0]
    too_long = metadata_xml(ENTITY_ID, SSO_URL, ["A" * 4_100])
    assert "at most 4,096" in errors(check_metadata_file(too_long))[0]


def test_a_certificate_expiring_within_30_days_is_a_warning_not_an_error() -> None:
    check = check_metadata_file(idp_metadata("expiring"))
    assert check.ok
    [warning] = check.warnings
    assert warning.field == "metadata_file"
    assert "in 10 day(s)" in warning.message


def test_a_document_longer_than_cognito_takes_is_refused() -> None:
    padding = "<!-- " + "x" * MAX_METADATA_CHARS + " -->"
    document = idp_metadata().replace("<md:NameIDFormat>", padding + "<md:NameIDFormat>")
    assert "at most 131,072" in errors(check_metadata_file(document))[0]


def test_idp_signout_needs_a_logout_service_and_signed_requests_are_suggested() -> None:
    check = check_metadata_file(idp_metadata(), idp_signout=True)
    assert [f.field for f in check.errors] == ["idp_signout"]
    check = check_metadata_file(idp_metadata(want_signed_requests=True))
    assert check.ok
    assert [f.field for f in check.warnings] == ["sign_requests"]
    check = check_metadata_file(idp_metadata(want_signed_requests=True), sign_requests=True)
    assert check.warnings == []


def test_a_metadata_url_is_fetched_through_the_ssrf_guard(idp: StubIdP) -> None:
    idp.serve("/saml/metadata", idp_metadata().encode(), content_type="application/xml")
    url = f"{idp.issuer}/saml/metadata"
    check = fetch_metadata(url, allow_loopback=True)
    assert check.ok, check.findings
    assert check.url == url and check.entity_id == ENTITY_ID
    refused = fetch_metadata(url)  # loopback is allowed only in development
    assert "will not fetch" in errors(refused)[0] and "https" in errors(refused)[0]
    private = fetch_metadata("https://10.1.2.3/metadata", allow_loopback=True)
    assert "private" in errors(private)[0]
    missing = fetch_metadata(f"{idp.issuer}/nowhere", allow_loopback=True)
    assert errors(missing)[0].startswith("metadata_url: ") and "HTTP 404" in errors(missing)[0]
