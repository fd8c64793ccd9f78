"""The API for SAML tenants: PUT /tenants/<slug>/saml-idp and the tenant view's SAML keys."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import Tenant
from tests.support.saml import ENTITY_ID, idp_metadata

CALLBACK = "https://app.example.com/callback"


def test_a_saml_idp_from_a_document_is_checked_stored_and_shown(db, api_client):
    staff = api_client("staff")
    assert (
        staff.post(
            "/api/v1/tenants", {"slug": "acme", "name": "Acme", "callback_urls": [CALLBACK]}
        ).status_code
        == 201
    )
    response = staff.put(
        "/api/v1/tenants/acme/saml-idp",
        {
            "metadata_xml": idp_metadata("expiring"),
            "email_attribute": "email",
            "groups_attribute": "memberOf",
            "idp_initiated": True,
        },
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [f["field"] for f in body["findings"]] == ["metadata_xml"]  # expires in 10 days
    view = body["tenant"]
    assert view["provider_type"] == "SAML" and view["idp_redirect_uri"] is None
    assert view["saml"]["idp_entity_id"] == ENTITY_ID
    assert view["saml"]["groups_attribute"] == "memberOf" and view["saml"]["idp_initiated"]
    assert "<md:" not in response.get_data(as_text=True)  # the document is never returned
    read = api_client("auditor").get("/api/v1/tenants/acme").get_json()
    assert read["saml"]["metadata_sha256"] == db.session.scalar(select(Tenant)).saml_metadata_sha256


def test_refused_metadata_answers_422_per_field_and_stores_nothing(db, api_client):
    staff = api_client("staff")
    staff.post("/api/v1/tenants", {"slug": "acme", "name": "Acme", "callback_urls": [CALLBACK]})
    expired = staff.put("/api/v1/tenants/acme/saml-idp", {"metadata_xml": idp_metadata("expired")})
    assert expired.status_code == 422
    problem = expired.get_json()
    assert problem["type"] == "urn:portal:problem:saml-metadata-check-failed"
    assert problem["errors"][0]["field"] == "metadata_xml"
    assert "expired" in problem["errors"][0]["message"]
    neither = staff.put("/api/v1/tenants/acme/saml-idp", {"sign_requests": True})
    assert neither.status_code == 422
    unknown = staff.put("/api/v1/tenants/acme/saml-idp", {"metadata_xml": "<x/>", "typo": 1})
    assert unknown.status_code == 422
    assert db.session.scalar(select(Tenant)).provider_type == "OIDC"
    auditor = api_client("auditor").put("/api/v1/tenants/acme/saml-idp", {"metadata_xml": "<x/>"})
    assert auditor.status_code == 403
