"""The OpenAPI document: valid 3.1, generated from the code, and true to what the API answers."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from portal.web.api.openapi import openapi_path
from portal.web.api.registry import OPERATIONS
from tests.support import factories as f
from tests.support.settings import set_settings
from tests.support.web import isolated

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    # Beyond the bar: invalid input is refused, auth is enforced, and methods the
    # document does not list answer 405.
    negative_data_rejection,
    ignored_auth,
    unsupported_method,
]


def test_the_document_is_valid_openapi_3_1_and_public(api_client):
    response = api_client(None).get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_the_document_lists_every_operation_with_its_roles(api_client):
    document = api_client(None).get("/api/v1/openapi.json").get_json()
    for op in OPERATIONS.values():
        documented = document["paths"][openapi_path(op.rule)][op.method.lower()]
        assert documented["x-portal-roles"] == sorted(op.allow)
        assert {"401", "403", "429"} <= set(documented["responses"])
    create = document["paths"]["/api/v1/tenants"]["post"]
    body = document["components"]["schemas"]["TenantCreate"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/TenantCreate"
    )
    assert set(body["required"]) == {"slug", "name", "callback_urls"}
    secret = document["components"]["schemas"]["IdpSettingsIn"]["properties"]["client_secret"]
    assert secret["writeOnly"] is True
    assert "client_secret" not in str(document["components"]["schemas"]["TenantView"])


class IsolatedWsgi:
    """The app as a WSGI callable whose requests never share the test's app context."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        return isolated(lambda: list(self.app.wsgi_app(environ, start_response)))


@pytest.fixture
def api_schema(app, db, api_tokens, cognito_emulator, oidc_idp, monkeypatch):
    """The live document, with a ready tenant named like the document's examples."""
    set_settings(monkeypatch, app, api_rate_limit=1_000_000)
    set_settings(monkeypatch, app, api_bad_token_limit=1_000_000)  # auth probes
    f.pool(cognito_emulator)
    [run] = f.onboard(f.tenant("acme-corp", oidc_idp))
    assert f.run_now(run) == "succeeded"
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", IsolatedWsgi(app))


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4.32 renames the test node through `_nodeid`, which pytest 9 dropped."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_to_its_document(case, api_tokens):
    """Schemathesis: no server error and no answer the document does not describe."""
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_tokens['admin']}"}, checks=CHECKS
    )
