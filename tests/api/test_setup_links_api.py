"""Setup links through the API, and a setup link for each tenant a CSV import creates."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import AuditEvent, SetupLink
from portal.services.audit.actors import acting_as
from portal.services.selfservice.setup_links import hash_token
from portal.services.tenants.imports import import_tenants
from tests.support import factories as f


def test_create_list_and_revoke_a_setup_link(db, api_client, cognito_emulator):
    with acting_as(f.TEST_ACTOR):
        f.create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    staff = api_client("staff")

    created = staff.post("/api/v1/tenants/acme/setup-links", {"expires_in": "2d"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    token = body["url"].rsplit("/", 1)[-1]
    stored = db.session.scalars(select(SetupLink)).one()
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert body["state"] == "active"

    listed = staff.get("/api/v1/tenants/acme/setup-links").get_json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert "url" not in listed[0]  # the URL is shown once, at creation

    second = staff.post("/api/v1/tenants/acme/setup-links", {}).get_json()
    assert second["replaced_link_id"] == body["id"]
    revoked = staff.post("/api/v1/tenants/acme/setup-links/revoke")
    assert revoked.status_code == 200
    assert {i["state"] for i in revoked.get_json()["items"]} == {"revoked"}
    again = staff.post("/api/v1/tenants/acme/setup-links/revoke")
    assert again.status_code in (409, 422)
    bad = staff.post("/api/v1/tenants/acme/setup-links", {"expires_in": "200d"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "expires_in"
    assert api_client("auditor").post("/api/v1/tenants/acme/setup-links", {}).status_code == 403
    events = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "setup_link.created")
    ).all()
    assert token not in str(events)


def test_an_import_makes_a_setup_link_for_every_new_tenant(db):
    rows = "name,slug,callback_urls,contact_email\n" + "".join(
        f"Customer {n},customer-{n},https://app{n}.example.com/cb,it@customer{n}.example.com\n"
        for n in range(3)
    )
    with acting_as(f.TEST_ACTOR):
        report = import_tenants(rows.encode())
    assert report.ok and sorted(report.setup_links) == ["customer-0", "customer-1", "customer-2"]
    hashes = set(db.session.scalars(select(SetupLink.token_hash)))
    assert {hash_token(url.rsplit("/", 1)[-1]) for url in report.setup_links.values()} == hashes
