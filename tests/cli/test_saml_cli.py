"""`portal tenants set-idp --type saml`, and the SAML keys of show/credentials."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Tenant
from tests.support import factories as f
from tests.support.idp import StubIdP
from tests.support.saml import ENTITY_ID, idp_metadata

EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


def create(cli) -> None:
    result = cli("tenants", "create", "acme", "--name", "Acme", "--callback-url", "https://a.io/cb")
    assert result.exit_code == 0, result.stderr


def test_set_idp_saml_from_a_file_then_onboard_show_and_credentials(
    cli, db, cognito_emulator, tmp_path
):
    pool = f.pool(cognito_emulator)
    create(cli)
    path = tmp_path / "metadata.xml"
    path.write_text(idp_metadata(), encoding="utf-8")
    result = cli(
        "tenants",
        "set-idp",
        "acme",
        "--type",
        "saml",
        "--metadata-file",
        str(path),
        "--email-attribute",
        EMAIL,
        "--groups-attribute",
        "memberOf",
        "--sign-requests",
    )
    assert result.exit_code == 0, result.stderr
    tenant = db.session.scalar(select(Tenant))
    assert tenant.provider_type == "SAML" and tenant.saml_entity_id == ENTITY_ID
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "tenant.idp_set")
    ).one()
    assert event.details["metadata"]["entity_id"] == ENTITY_ID
    assert event.details["after"]["saml_metadata_sha256"] == tenant.saml_metadata_sha256
    assert "<md:" not in json.dumps(event.details)  # the hash and entity ID, not the XML

    assert f.run_now(f.onboard(tenant)[0]) == "succeeded"
    shown = json.loads(cli("tenants", "show", "acme", "--json").stdout)
    assert shown["provider_type"] == "SAML"
    assert shown["saml_entity_id"] == f"urn:amazon:cognito:sp:{pool.user_pool_id}"
    assert shown["saml_acs_url"] == f"{pool.cognito_domain_url}/saml2/idpresponse"
    assert shown["idp_redirect_uri"] is None
    text = cli("tenants", "show", "acme").stdout
    assert "saml_acs_url" in text and "/saml2/idpresponse" in text
    bundle = json.loads(cli("tenants", "credentials", "acme", "--json").stdout)
    assert bundle["saml_entity_id"] == shown["saml_entity_id"]
    assert bundle["saml_acs_url"] == shown["saml_acs_url"]
    assert bundle["saml_signing_certificate"].startswith("MII")  # asked for: signed requests


def test_set_idp_saml_from_a_url(cli, db, cognito_emulator, idp: StubIdP):
    create(cli)
    idp.serve("/md", idp_metadata().encode(), content_type="application/xml")
    result = cli(
        "tenants",
        "set-idp",
        "acme",
        "--type",
        "saml",
        "--metadata-url",
        f"{idp.issuer}/md",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"slug": "acme", "ok": True, "findings": []}
    assert db.session.scalar(select(Tenant)).saml_metadata_url == f"{idp.issuer}/md"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --metadata-url, --metadata-file"),
        (["--metadata-url", "https://10.0.0.1/md"], "private network"),
        (["--metadata-file", "{expired}"], "expired on"),
        (["--metadata-file", "{good}", "--idp-signout"], "idp_signout"),
        (["--metadata-file", "{good}", "--issuer", "https://x.example"], "does not take --issuer"),
        (["--metadata-file", "{good}", "--groups-attribute", "bad attr"], "groups_attribute"),
    ],
    ids=["no-metadata", "ssrf", "expired", "signout-without-slo", "oidc-option", "bad-attribute"],
)
def test_refused_saml_input_exits_2_with_the_reason_and_stores_nothing(
    cli, db, tmp_path, args, message
):
    create(cli)
    files = {"good": idp_metadata(), "expired": idp_metadata("expired")}
    for name, content in files.items():
        (tmp_path / f"{name}.xml").write_text(content, encoding="utf-8")
    args = [a.format(**{k: str(tmp_path / f"{k}.xml") for k in files}) for a in args]
    result = cli("tenants", "set-idp", "acme", "--type", "saml", *args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert message in result.stderr
    tenant = db.session.scalar(select(Tenant))
    assert tenant.provider_type == "OIDC" and tenant.saml_metadata_xml is None


def test_saml_options_need_the_saml_type(cli, db):
    create(cli)
    result = cli("tenants", "set-idp", "acme", "--metadata-url", "https://idp.example.com/md")
    assert result.exit_code == 2 and "need --type saml" in result.stderr
