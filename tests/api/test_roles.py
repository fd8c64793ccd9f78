"""Every API route against every kind of caller: the role rule of each operation holds."""

from __future__ import annotations

import re

import pytest

from portal.services.access.api_tokens import create_application_token, find_token, revoke_token
from portal.services.access.users import find_user
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from portal.web.access import API, PUBLIC, rule_of
from portal.web.api.registry import OPERATIONS, PRINCIPALS, WRITERS
from tests.support.factories import TEST_ACTOR
from tests.support.settings import set_settings

EXPECTED_RULES = {
    # endpoint: who may call it. A new API route fails this test until its rule is written here.
    "api.list_tenants": {"admin", "staff", "auditor"},
    "api.create_tenant": {"admin", "staff"},
    "api.get_tenant": {"admin", "staff", "auditor"},
    "api.set_idp": {"admin", "staff"},
    "api.set_saml_idp": {"admin", "staff"},
    "api.onboard_tenant": {"admin", "staff"},
    "api.list_tenant_runs": {"admin", "staff", "auditor"},
    "api.get_run": {"admin", "staff", "auditor"},
    "api.get_oidc_config": {"admin", "staff", "application"},
    "api.plan_tenant": {"admin", "staff"},
    "api.apply_tenant": {"admin", "staff"},
    "api.offboard_tenant": {"admin", "staff"},
    "api.list_audit_events": {"admin", "auditor"},
    "api.current_token": {"admin", "staff", "auditor", "application"},
    "api.create_setup_link": {"admin", "staff"},
    "api.list_setup_links": {"admin", "staff"},
    "api.revoke_setup_link": {"admin", "staff"},
    "api.create_adoption": {"admin"},
}


def api_routes(app):
    with app.test_request_context():
        return [
            rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("api.") and API in (rule_of(rule.endpoint) or ())
        ]


def concrete_path(rule, slug: str = "acme") -> str:
    return re.sub(
        r"<(?:[a-z]+:)?([a-z_]+)>",
        lambda m: {"slug": slug, "run_id": "1", "user_pool_id": "us-east-1_Nope"}[m.group(1)],
        rule.rule,
    )


def method_of(rule) -> str:
    methods = rule.methods - {"HEAD", "OPTIONS"}
    assert len(methods) == 1, rule
    return methods.pop()


def test_every_api_route_is_a_registered_operation_with_the_expected_rule(app):
    routes = api_routes(app)
    assert {r.endpoint for r in routes} == set(OPERATIONS) == set(EXPECTED_RULES)
    for endpoint, op in OPERATIONS.items():
        assert set(op.allow) == EXPECTED_RULES[endpoint], endpoint
        assert set(op.allow) <= set(PRINCIPALS)


def test_only_the_document_and_reference_are_public_under_the_api(app):
    with app.test_request_context():
        public = {
            r.endpoint
            for r in app.url_map.iter_rules()
            if r.rule.startswith("/api/") and PUBLIC in (rule_of(r.endpoint) or ())
        }
    assert public == {"api.openapi", "api.reference"}


def test_each_route_refuses_a_missing_or_invalid_token(app, api_client, api_tokens, monkeypatch):
    # Three bad tokens per route add up past the per-address limit on guessing; that limit has
    # its own test (test_idempotency_and_limits.py).
    set_settings(monkeypatch, app, api_bad_token_limit=1_000_000)
    no_token = api_client(None)
    forged = api_client(token=api_tokens["admin"][:-4] + "abcd")
    garbage = api_client(token="not-a-token")
    for rule in api_routes(app):
        for client in (no_token, forged, garbage):
            response = client.request(method_of(rule), concrete_path(rule), json_body={})
            assert response.status_code == 401, (rule.rule, response.get_json())
            assert response.content_type == "application/problem+json"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_each_route_against_each_role_and_token_kind(app, db, api_client, api_tokens):
    with acting_as(TEST_ACTOR):
        create_tenant("acme", "Acme", ["https://app.example.com/cb"])
        create_tenant("other", "Other", ["https://app.example.com/cb"])
        limited = create_application_token("limited app", ["other"]).plaintext
    callers = {kind: api_client(kind) for kind in ("admin", "staff", "auditor", "application")}
    callers["application (other tenants only)"] = api_client(token=limited)
    checked = 0
    for rule in api_routes(app):
        allowed = EXPECTED_RULES[rule.endpoint]
        for kind, client in callers.items():
            role = kind.split(" ")[0]
            response = client.request(method_of(rule), concrete_path(rule), json_body={})
            refused = response.status_code == 403
            should_refuse = role not in allowed or (
                kind.startswith("application (")
                and "{slug}" in rule.rule.replace("<slug>", "{slug}")
            )
            assert refused == should_refuse, (kind, rule.rule, response.status_code, response.data)
            assert response.status_code != 401
            checked += 1
    assert checked == len(EXPECTED_RULES) * len(callers)


def test_a_revoked_token_stops_at_once(db, api_client, api_tokens):
    client = api_client("staff")
    assert client.get("/api/v1/token").status_code == 200
    with acting_as(TEST_ACTOR):
        revoke_token(find_token(api_tokens["staff"]))
    assert client.get("/api/v1/token").status_code == 401


def test_the_token_acts_with_its_owners_role_at_the_time_of_the_call(db, api_client, api_users):
    client = api_client("staff")
    assert client.post("/api/v1/tenants", {"slug": "x-1"}).status_code == 422  # may write
    staff = find_user("api-staff@example.com")  # requests close the test's session: re-read
    staff.role = "auditor"
    db.session.commit()
    assert client.post("/api/v1/tenants", {"slug": "x-1"}).status_code == 403
    assert client.get("/api/v1/token").get_json()["role"] == "auditor"
    find_user("api-staff@example.com").is_enabled = False
    db.session.commit()
    assert client.get("/api/v1/token").status_code == 401


@pytest.mark.parametrize("endpoint", sorted(set(EXPECTED_RULES) - {"api.current_token"}))
def test_application_tokens_reach_nothing_but_oidc_config(endpoint):
    allowed = OPERATIONS[endpoint].allow
    assert ("application" in allowed) == (endpoint == "api.get_oidc_config")
    assert "application" not in WRITERS
