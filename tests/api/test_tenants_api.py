"""The tenant API end to end: create, list, set the IdP, onboard, and the app's OIDC config."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Run, Tenant, TenantStatus
from portal.services.access.api_tokens import create_application_token
from portal.services.audit.actors import acting_as
from tests.support import factories as f

CALLBACK = "https://app.example.com/callback"


def new_tenant(client, slug: str, **extra):
    body = {"slug": slug, "name": slug.title(), "callback_urls": [CALLBACK], **extra}
    return client.post("/api/v1/tenants", body)


def test_create_and_read_a_tenant(db, api_client):
    staff = api_client("staff")
    created = new_tenant(staff, "acme", contact_email="IT@Acme.example")
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"] == "/api/v1/tenants/acme"
    body = created.get_json()
    assert body["status"] == "draft" and body["idp"]["secret"] == "none"
    assert body["contact_email"] == "it@acme.example"
    read = api_client("auditor").get("/api/v1/tenants/acme")
    assert read.status_code == 200
    assert read.get_json()["callback_urls"] == [CALLBACK]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tenant.created"))
    assert event.actor_type == "api_token"
    assert event.actor_label.startswith("api-staff@example.com via API token")


def test_invalid_input_is_reported_per_field(db, api_client):
    staff = api_client("staff")
    response = staff.post(
        "/api/v1/tenants",
        {"slug": "Not A Slug", "name": "", "callback_urls": ["http://x.example/cb"], "extra": 1},
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "urn:portal:problem:validation-error"
    assert problem["instance"] == "/api/v1/tenants"
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"slug", "name", "callback_urls.0", "extra"}
    assert (
        "lowercase letters" in next(e for e in problem["errors"] if e["field"] == "slug")["message"]
    )
    # The one URL rule, with its reason: app schemes and [::1] are fine, shell characters not.
    urls = {"slug": "acme-app", "name": "Acme", "callback_urls": ["myapp://cb", "http://[::1]/cb"]}
    assert staff.post("/api/v1/tenants", urls).status_code == 201
    hostile = {**urls, "slug": "acme-sh", "logout_urls": ["https://a.example.com/$(id)"]}
    refused = staff.post("/api/v1/tenants", hostile).get_json()
    [error] = refused["errors"]
    assert error["field"] == "logout_urls.0" and "contains $" in error["message"]
    # The service's own rules (here: no double hyphen) answer the same way.
    double = new_tenant(staff, "ac--me")
    assert double.status_code == 422
    assert double.get_json()["errors"][0]["field"] == "slug"
    assert new_tenant(staff, "acme").status_code == 201
    again = new_tenant(staff, "acme")
    assert again.status_code == 422 and "exists already" in again.get_json()["detail"]
    assert set(db.session.scalars(select(Tenant.slug))) == {"acme", "acme-app"}


def test_bodies_that_are_not_json_are_refused_clearly(db, api_client):
    staff = api_client("staff")
    text = staff.request("POST", "/api/v1/tenants", data="slug=acme")
    assert text.status_code == 415 and text.content_type == "application/problem+json"
    broken = staff.request(
        "POST", "/api/v1/tenants", data="{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    huge = staff.request(
        "POST",
        "/api/v1/tenants",
        data="[" + "1," * 600_000 + "1]",
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413


@pytest.mark.dialect
def test_list_tenants_with_pagination_and_filters(db, api_client):
    staff = api_client("staff")
    for slug in ("alpha", "bravo", "charlie", "delta", "echo"):
        assert new_tenant(staff, slug).status_code == 201
    reader = api_client("auditor")
    first = reader.get("/api/v1/tenants?per_page=2").get_json()
    assert [t["slug"] for t in first["items"]] == ["alpha", "bravo"]
    assert (first["total"], first["next_page"]) == (5, 2)
    last = reader.get("/api/v1/tenants?per_page=2&page=3").get_json()
    assert [t["slug"] for t in last["items"]] == ["echo"] and last["next_page"] is None
    found = reader.get("/api/v1/tenants?q=ARL").get_json()
    assert [t["slug"] for t in found["items"]] == ["charlie"]
    assert reader.get("/api/v1/tenants?status=ready").get_json()["total"] == 0
    bad = reader.get("/api/v1/tenants?per_page=0&status=nope")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"query.per_page", "query.status"}


def test_unknown_tenants_and_runs_are_404_problems(db, api_client):
    admin = api_client("admin")
    for url in ("/api/v1/tenants/nobody", "/api/v1/runs/999", "/api/v1/no-such-thing"):
        response = admin.get(url)
        assert response.status_code == 404, url
        assert response.content_type == "application/problem+json"
    wrong_method = admin.request("DELETE", "/api/v1/tenants/nobody")
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["Allow"]


def test_onboarding_through_the_api_and_the_applications_oidc_config(
    db, api_client, cognito_emulator, oidc_idp
):
    pool = f.pool(cognito_emulator)
    user_pool_id, domain = pool.user_pool_id, pool.cognito_domain_url
    staff = api_client("staff")
    assert new_tenant(staff, "acme").status_code == 201
    early = staff.post("/api/v1/tenants/acme/onboard")
    assert early.status_code == 409  # no IdP yet
    assert early.get_json()["errors"][0]["field"] == "idp"

    idp = staff.put(
        "/api/v1/tenants/acme/idp",
        {
            "issuer": oidc_idp,
            "client_id": "acme-client",
            "client_secret": f.IDP_SECRET,
            "groups_claim": "app_groups",
        },
    )
    assert idp.status_code == 200, idp.get_json()
    assert f.IDP_SECRET not in idp.get_data(as_text=True)
    assert idp.get_json()["tenant"]["idp"]["secret"] == "stored"

    queued = staff.post("/api/v1/tenants/acme/onboard")
    assert queued.status_code == 202
    run_id = queued.get_json()["id"]
    assert queued.headers["Location"] == f"/api/v1/runs/{run_id}"
    assert f.run_now(db.session.get(Run, run_id)) == "succeeded"
    run = api_client("auditor").get(f"/api/v1/runs/{run_id}").get_json()
    assert run["status"] == "succeeded" and len(run["steps"]) == 5
    runs = api_client("auditor").get("/api/v1/tenants/acme/runs").get_json()
    assert [r["id"] for r in runs["items"]] == [run_id]

    app_client = api_client("application")
    config = app_client.get("/api/v1/tenants/acme/oidc-config")
    assert config.status_code == 200, config.get_json()
    body = config.get_json()
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "acme"))
    assert tenant.status == TenantStatus.READY
    live = f.cognito_client().describe_user_pool_client(
        UserPoolId=user_pool_id, ClientId=tenant.client_id
    )["UserPoolClient"]
    assert body["client_id"] == live["ClientId"]
    assert body["client_secret"] == live["ClientSecret"]
    assert body["cognito_domain"] == domain
    assert "identity_provider=acme" in body["authorize_url"]
    reveal = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "secret.revealed")
    ).one()
    token_id = app_client.get("/api/v1/token").get_json()["token_id"]
    assert (reveal.actor_type, reveal.actor_id) == ("api_token", token_id)
    assert reveal.details["purpose"] == "api oidc-config"
    assert live["ClientSecret"] not in str(reveal.details)


def test_application_tokens_read_only_their_tenants(db, api_client, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    for slug in ("acme", "globex"):
        f.tenant(slug, oidc_idp)
    with acting_as(f.TEST_ACTOR):
        limited = create_application_token("acme app", ["acme"]).plaintext
    client = api_client(token=limited)
    assert client.get("/api/v1/tenants/acme/oidc-config").status_code == 409  # not yet onboarded
    assert client.get("/api/v1/tenants/globex/oidc-config").status_code == 403
    assert client.get("/api/v1/tenants/acme").status_code == 403
    assert client.get("/api/v1/token").get_json()["tenants"] == ["acme"]


def test_audit_events_for_auditors(db, api_client):
    assert new_tenant(api_client("staff"), "acme").status_code == 201
    auditor = api_client("auditor")
    page = auditor.get("/api/v1/audit-events?tenant=acme").get_json()
    assert [e["action"] for e in page["items"]] == ["tenant.created"]
    assert page["items"][0]["tenant"] == "acme"
    unknown = auditor.get("/api/v1/audit-events?tenant=nobody")
    assert unknown.status_code == 422
    assert api_client("staff").get("/api/v1/audit-events").status_code == 403


def test_absurdly_deep_json_is_a_400_problem(api_client):
    staff = api_client("staff")
    for body in ("[" * 100_000, '{"a":' * 100_000):
        response = staff.request(
            "POST",
            "/api/v1/tenants",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.status_code
        assert response.content_type == "application/problem+json"
        assert "nested too deeply" in response.get_json()["detail"]


def test_an_empty_groups_claim_means_the_idp_sends_no_groups(api_client, db, oidc_idp):
    staff = api_client("staff")
    assert new_tenant(staff, "acme").status_code == 201
    body = {"issuer": oidc_idp, "client_id": "c", "client_secret": f.IDP_SECRET}
    idp = staff.put("/api/v1/tenants/acme/idp", {**body, "groups_claim": ""})
    assert idp.status_code == 200, idp.get_json()
    assert idp.get_json()["tenant"]["idp"]["groups_claim"] == ""
    kept = staff.put("/api/v1/tenants/acme/idp", body)  # left out: kept as it is
    assert kept.get_json()["tenant"]["idp"]["groups_claim"] == ""
    bad = staff.put("/api/v1/tenants/acme/idp", {**body, "groups_claim": "has spaces"})
    assert bad.status_code == 422
