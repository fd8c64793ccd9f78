"""API clients holding tokens of each kind: personal tokens per role and application tokens."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from portal.models import Role
from portal.services.access.api_tokens import create_application_token, create_personal_token
from portal.services.access.users import create_user
from portal.services.audit.actors import acting_as
from tests.support.factories import TEST_ACTOR
from tests.support.web import isolated


@dataclass
class ApiClient:
    """A test client that sends its bearer token with every request, outside the test's context."""

    client: object
    token: str | None = None

    def request(self, method: str, url: str, *, json_body=None, headers=None, **kwargs):
        sent = dict(headers or {})
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        if json_body is not None:
            kwargs["data"] = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        return isolated(lambda: self.client.open(url, method=method, headers=sent, **kwargs))

    def get(self, url: str, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url: str, body=None, **kwargs):
        return self.request("POST", url, json_body=body, **kwargs)

    def put(self, url: str, body=None, **kwargs):
        return self.request("PUT", url, json_body=body, **kwargs)


@pytest.fixture
def api_users(db):
    with acting_as(TEST_ACTOR):
        return {
            role.value: create_user(f"api-{role.value}@example.com", role, "long-password-123")
            for role in Role
        }


@pytest.fixture
def api_tokens(api_users):
    """Plain tokens: admin/staff/auditor personal tokens and an all-tenants application token."""
    with acting_as(TEST_ACTOR):
        tokens = {
            role: create_personal_token(user, f"{role} script").plaintext
            for role, user in api_users.items()
        }
        tokens["application"] = create_application_token("vendor app").plaintext
    return tokens


@pytest.fixture
def api_client(app, api_tokens):
    """api_client(kind) -> ApiClient with that token; kind None sends no token."""

    def make(kind: str | None = "admin", token: str | None = None) -> ApiClient:
        return ApiClient(app.test_client(), token or (api_tokens[kind] if kind else None))

    return make
