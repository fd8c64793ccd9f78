"""The issuer pre-flight: what a person entering an issuer is told, field by field."""

from __future__ import annotations

import socket

import pytest
from oidc_provider_mock import run_server_in_thread

from portal.oidc.discovery import check_issuer
from tests.support.idp import JWK, WELL_KNOWN, StubIdP


def only_error(check) -> str:
    """The single error's message, which must be about the issuer field."""
    assert not check.ok
    assert [finding.field for finding in check.errors] == ["issuer"], check.findings
    return check.errors[0].message


# --- A real provider -------------------------------------------------------------------------


def test_a_real_oidc_provider_passes_and_its_document_is_kept() -> None:
    with run_server_in_thread() as server:
        issuer = f"http://localhost:{server.server_port}"
        check = check_issuer(issuer, allow_loopback=True, groups_claim="groups")
    assert check.ok, check.findings
    assert check.errors == []
    assert check.document is not None
    assert check.document["issuer"] == issuer
    assert check.document["jwks_uri"].startswith(issuer)


def test_a_loopback_issuer_is_refused_when_loopback_is_not_allowed(idp: StubIdP) -> None:
    for issuer in (idp.issuer, idp.issuer.replace("127.0.0.1", "localhost")):
        message = only_error(check_issuer(issuer))
        assert "will not fetch" in message
        assert "https" in message
    https_loopback = idp.issuer.replace("http://", "https://")
    assert "loopback" in only_error(check_issuer(https_loopback))
    assert idp.seen == []


def test_a_private_issuer_is_refused_even_in_development() -> None:
    message = only_error(check_issuer("https://10.0.0.7/realms/acme", allow_loopback=True))
    assert "private" in message


def test_an_empty_issuer_is_required() -> None:
    assert "required" in only_error(check_issuer("   "))


# --- The discovery document ------------------------------------------------------------------


def test_a_complete_document_passes_without_findings(idp: StubIdP) -> None:
    check = check_issuer(idp.issuer, allow_loopback=True, groups_claim="groups")
    assert check.ok
    assert check.findings == []
    assert check.document["token_endpoint"] == f"{idp.issuer}/token"
    assert idp.seen == [WELL_KNOWN, "/jwks"]


def test_surrounding_spaces_in_the_issuer_are_ignored(idp: StubIdP) -> None:
    check = check_issuer(f"  {idp.issuer}\n", allow_loopback=True)
    assert check.ok, check.findings
    assert check.issuer == idp.issuer


def test_an_html_page_instead_of_json_is_explained(idp: StubIdP) -> None:
    idp.serve(WELL_KNOWN, b"<!doctype html><html><body>Sign in</body></html>", 200, "text/html")
    message = only_error(check_issuer(idp.issuer, allow_loopback=True))
    assert "did not return JSON" in message
    assert "HTML" in message


def test_json_that_is_not_an_object_is_refused(idp: StubIdP) -> None:
    idp.serve(WELL_KNOWN, b'["issuer"]')
    assert "not an object" in only_error(check_issuer(idp.issuer, allow_loopback=True))


def test_a_missing_document_reports_the_status(idp: StubIdP) -> None:
    idp.routes.pop(WELL_KNOWN)
    message = only_error(check_issuer(f"{idp.issuer}/realms/missing", allow_loopback=True))
    assert "HTTP 404" in message
    assert f"{idp.issuer}/realms/missing{WELL_KNOWN}" in message


def test_an_issuer_that_does_not_answer_is_reported() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    message = only_error(check_issuer(f"http://127.0.0.1:{port}", allow_loopback=True, timeout=1))
    assert "Could not fetch the discovery document" in message


def test_a_document_for_another_issuer_is_refused(idp: StubIdP) -> None:
    idp.publish(issuer="https://login.other-company.example")
    message = only_error(check_issuer(idp.issuer, allow_loopback=True))
    assert "another issuer" in message
    assert "https://login.other-company.example" in message
    assert idp.issuer in message


@pytest.mark.parametrize("entered_slash", [True, False])
def test_a_trailing_slash_mismatch_says_so(idp: StubIdP, entered_slash: bool) -> None:
    stated = idp.issuer if entered_slash else idp.issuer + "/"
    entered = idp.issuer + "/" if entered_slash else idp.issuer
    idp.publish(issuer=stated)
    message = only_error(check_issuer(entered, allow_loopback=True))
    assert "trailing slash" in message
    assert repr(stated) in message


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("authorization_endpoint", "authorization endpoint"),
        ("token_endpoint", "token endpoint"),
        ("jwks_uri", "JWKS URL"),
    ],
)
def test_a_missing_endpoint_is_named(idp: StubIdP, key: str, label: str) -> None:
    idp.publish(**{key: None})
    message = only_error(check_issuer(idp.issuer, allow_loopback=True))
    assert label in message
    assert key in message


def test_response_types_without_code_are_refused(idp: StubIdP) -> None:
    idp.publish(response_types_supported=["id_token", "id_token token", "code id_token"])
    message = only_error(check_issuer(idp.issuer, allow_loopback=True))
    assert "authorization-code" in message


def test_scopes_without_openid_are_refused(idp: StubIdP) -> None:
    idp.publish(scopes_supported=["email", "profile"])
    assert "'openid' scope" in only_error(check_issuer(idp.issuer, allow_loopback=True))


# --- The signing keys ------------------------------------------------------------------------


@pytest.mark.parametrize("jwks", [{"keys": []}, {}, {"keys": "none"}])
def test_a_jwks_without_keys_is_refused(idp: StubIdP, jwks: object) -> None:
    idp.publish_jwks(jwks)
    assert "no signing keys" in only_error(check_issuer(idp.issuer, allow_loopback=True))


def test_a_jwks_with_entries_that_are_not_keys_is_refused(idp: StubIdP) -> None:
    idp.publish_jwks({"keys": [JWK, {"kid": "no-type"}]})
    message = only_error(check_issuer(idp.issuer, allow_loopback=True))
    assert "not JSON Web Keys" in message


def test_a_jwks_that_is_not_served_is_reported(idp: StubIdP) -> None:
    idp.routes.pop("/jwks")
    message = only_error(check_issuer(idp.issuer, allow_loopback=True))
    assert "HTTP 404" in message
    assert f"{idp.issuer}/jwks" in message


def test_a_jwks_on_a_forbidden_address_is_refused(idp: StubIdP) -> None:
    idp.publish(jwks_uri="http://169.254.169.254/latest/meta-data/")
    message = only_error(check_issuer(idp.issuer, allow_loopback=True))
    assert "signing keys" in message
    assert "will not fetch" in message


def test_the_jwks_can_be_skipped(idp: StubIdP) -> None:
    idp.publish_jwks({"keys": []})
    assert check_issuer(idp.issuer, allow_loopback=True, check_jwks=False).ok
    assert idp.seen == [WELL_KNOWN]


# --- Claims: warnings, not errors --------------------------------------------------------------


def test_an_unadvertised_groups_claim_is_a_warning_on_that_field(idp: StubIdP) -> None:
    idp.publish(claims_supported=["sub", "email"])
    check = check_issuer(idp.issuer, allow_loopback=True, groups_claim="groups")
    assert check.ok
    assert check.errors == []
    assert [(w.field, w.level) for w in check.warnings] == [("groups_claim", "warning")]
    assert "'groups'" in check.warnings[0].message


def test_an_unadvertised_roles_claim_is_a_warning_on_that_field(idp: StubIdP) -> None:
    check = check_issuer(
        idp.issuer, allow_loopback=True, groups_claim="groups", roles_claim="app_roles"
    )
    assert check.ok
    assert [w.to_dict()["field"] for w in check.warnings] == ["roles_claim"]
    assert "'app_roles'" in check.warnings[0].message


def test_no_claims_list_means_no_claim_warnings(idp: StubIdP) -> None:
    idp.publish(claims_supported=None)
    check = check_issuer(idp.issuer, allow_loopback=True, groups_claim="groups", roles_claim="r")
    assert check.findings == []
