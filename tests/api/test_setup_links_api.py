"""Setup links through the API, and a setup link for each tenant a CSV import creates."""

from __future__ import annotations

import importlib.util
from datetime import timedelta

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select

from portal.models import AuditEvent, IdempotencyKey, SetupLink, utcnow
from portal.services.access import idempotency
from portal.services.audit.actors import acting_as
from portal.services.selfservice.setup_links import hash_token
from portal.services.tenants.imports import import_tenants
from tests.support import factories as f
from tests.support.environment import ROOT


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


def test_a_setup_link_replayed_for_an_idempotency_key_is_never_kept_in_plain_text(
    db, api_client, cognito_emulator
):
    with acting_as(f.TEST_ACTOR):
        f.create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    staff = api_client("staff")
    headers = {"Idempotency-Key": "link-1"}
    first = staff.post("/api/v1/tenants/acme/setup-links", {}, headers=headers)
    assert first.status_code == 201
    token = first.get_json()["url"].rsplit("/", 1)[-1]
    kept = db.session.scalars(select(IdempotencyKey.response_body)).one()
    assert token not in kept and "/setup/" not in kept  # encrypted at rest
    # A retry (say, after a timeout) gets the same link back, and no second link is made.
    again = staff.post("/api/v1/tenants/acme/setup-links", {}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(db.session.scalars(select(SetupLink)).all()) == 1


@pytest.mark.dialect
def test_the_migration_drops_setup_links_cached_in_plain_text(db, api_client, cognito_emulator):
    with acting_as(f.TEST_ACTOR):
        f.create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    staff = api_client("staff")
    staff.post("/api/v1/tenants/acme/setup-links", {}, headers={"Idempotency-Key": "new"})
    staff.post(
        "/api/v1/tenants",
        {"slug": "beta", "name": "Beta", "callback_urls": ["myapp://cb"]},
        headers={"Idempotency-Key": "plain"},
    )
    # As the portal kept them before: the link's URL in plain text, and a body with no secret.
    old = IdempotencyKey(
        token_id=db.session.scalars(select(IdempotencyKey.token_id)).first(),
        key="old",
        fingerprint="0" * 64,
        status_code=201,
        response_body='{"url": "https://portal.example.com/setup/plain-token-0123456789"}',
        response_headers={},
        expires_at=utcnow() + timedelta(hours=1),
    )
    legacy = db.session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == "plain")).one()
    legacy.response_body = idempotency.stored_body(legacy)  # stored before bodies were encrypted
    db.session.add(old)
    db.session.commit()
    migration = ROOT / "migrations/versions/20261202_c3e5a7f1b9d2_secb_idempotency_secrets.py"
    spec = importlib.util.spec_from_file_location("secb_migration", migration)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with (
        db.engine.begin() as connection,
        Operations.context(MigrationContext.configure(connection)),
    ):
        module.upgrade()
    db.session.expire_all()
    assert set(db.session.scalars(select(IdempotencyKey.key))) == {"new", "plain"}
    replay = staff.post(
        "/api/v1/tenants",
        {"slug": "beta", "name": "Beta", "callback_urls": ["myapp://cb"]},
        headers={"Idempotency-Key": "plain"},
    )
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
