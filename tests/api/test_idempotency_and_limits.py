"""Idempotency keys on POST, per-token rate limits, and the problem documents they answer with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import IdempotencyKey, Tenant, utcnow
from portal.services.access.idempotency import purge_expired
from tests.support.settings import set_settings

BODY = {"slug": "acme", "name": "Acme", "callback_urls": ["https://app.example.com/cb"]}


@pytest.mark.dialect
def test_same_key_and_body_replays_the_first_response(db, api_client):
    staff = api_client("staff")
    first = staff.post("/api/v1/tenants", BODY, headers={"Idempotency-Key": "create-acme-1"})
    second = staff.post(
        "/api/v1/tenants",
        {"callback_urls": BODY["callback_urls"], "name": "Acme", "slug": "acme"},  # same content
        headers={"Idempotency-Key": "create-acme-1"},
    )
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count(Tenant.id))) == 1


@pytest.mark.dialect
def test_same_key_with_another_body_is_refused(db, api_client):
    staff = api_client("staff")
    staff.post("/api/v1/tenants", BODY, headers={"Idempotency-Key": "k-1"})
    other = staff.post(
        "/api/v1/tenants", {**BODY, "slug": "globex"}, headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422
    assert other.get_json()["type"] == "urn:portal:problem:idempotency-key-reused"
    assert db.session.scalar(select(func.count(Tenant.id))) == 1


@pytest.mark.dialect
def test_keys_belong_to_one_token(db, api_client):
    first = api_client("staff").post("/api/v1/tenants", BODY, headers={"Idempotency-Key": "k"})
    second = api_client("admin").post("/api/v1/tenants", BODY, headers={"Idempotency-Key": "k"})
    assert first.status_code == 201
    assert second.status_code == 422 and "exists already" in second.get_json()["detail"]


@pytest.mark.dialect
def test_an_error_answer_is_replayed_too_and_keys_expire(db, api_client):
    staff = api_client("staff")
    assert staff.post("/api/v1/tenants", BODY).status_code == 201
    # The request was valid but the operation refused it: that answer is kept and replayed.
    first = staff.post("/api/v1/tenants", BODY, headers={"Idempotency-Key": "dup-1"})
    again = staff.post("/api/v1/tenants", BODY, headers={"Idempotency-Key": "dup-1"})
    assert first.status_code == again.status_code == 422
    assert again.headers["Idempotent-Replayed"] == "true"
    # A body the schema refuses never reaches the operation, so its key is not used up.
    bad = {**BODY, "callback_urls": []}
    refused = staff.post("/api/v1/tenants", bad, headers={"Idempotency-Key": "bad-1"})
    assert refused.status_code == 422 and "Idempotent-Replayed" not in refused.headers
    record = db.session.scalar(select(IdempotencyKey))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert purge_expired() == 1
    assert db.session.scalar(select(func.count(IdempotencyKey.id))) == 0


@pytest.mark.dialect
def test_a_key_still_in_progress_answers_409(db, api_client, api_tokens):
    from portal.services.access import idempotency
    from portal.services.access.api_tokens import find_token

    token = find_token(api_tokens["staff"])
    import json

    raw = json.dumps(BODY).encode()
    print_ = idempotency.fingerprint("POST", "/api/v1/tenants", raw)
    assert idempotency.claim(token.id, "busy", print_).outcome == "new"
    response = api_client("staff").post(
        "/api/v1/tenants", BODY, headers={"Idempotency-Key": "busy"}
    )
    assert response.status_code == 409
    assert response.get_json()["type"] == "urn:portal:problem:idempotency-key-in-progress"
    assert db.session.scalar(select(func.count(Tenant.id))) == 0


def test_invalid_keys_are_refused(db, api_client):
    response = api_client("staff").post(
        "/api/v1/tenants", BODY, headers={"Idempotency-Key": "x" * 256}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "Idempotency-Key"


def test_each_token_is_rate_limited_with_retry_after(app, db, api_client, monkeypatch):
    set_settings(monkeypatch, app, api_rate_limit=5)
    staff, auditor = api_client("staff"), api_client("auditor")
    statuses = [staff.get("/api/v1/token").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = staff.get("/api/v1/token")
    assert limited.content_type == "application/problem+json"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert auditor.get("/api/v1/token").status_code == 200  # another token has its own budget


def test_guessing_tokens_from_one_address_is_throttled(db, api_client):
    guesser = api_client(token="ptk_000000000000_guess")
    statuses = [guesser.get("/api/v1/token").status_code for _ in range(31)]
    assert statuses[0] == 401 and statuses[-1] == 429
