"""API tokens: shown once, stored hashed, revoked in the browser and the CLI, audited."""

from __future__ import annotations

import hashlib
import json
import re

from click.testing import CliRunner
from sqlalchemy import select

from portal.models import ApiToken, AuditEvent
from portal.services.access.api_tokens import authenticate, create_personal_token
from portal.services.access.users import find_user
from portal.services.audit.actors import acting_as
from portal.services.tenants.records import create_tenant
from tests.support.factories import TEST_ACTOR
from tests.support.web import csrf_token

TOKEN_RE = re.compile(r"ptk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def test_tokens_are_stored_only_as_a_hash(db, api_users):
    with acting_as(TEST_ACTOR):
        issued = create_personal_token(find_user("api-staff@example.com"), "ci")
    prefix, secret = issued.plaintext.split("_", 2)[1:]
    row = db.session.scalar(select(ApiToken))
    assert row.prefix == prefix
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
    assert authenticate(issued.plaintext) is not None
    assert authenticate(issued.plaintext + "x") is None
    assert authenticate(f"ptk_{prefix}_") is None


def test_a_user_makes_sees_once_and_revokes_a_token_in_the_browser(db, signed_in, api_client):
    auditor = signed_in("auditor")
    page = auditor.get("/account/tokens")
    assert page.status_code == 200
    made = auditor.post_form("/account/tokens", {"name": "reporting"})
    assert made.status_code == 201
    token = TOKEN_RE.search(made.get_data(as_text=True)).group(0)
    listing = auditor.get("/account/tokens").get_data(as_text=True)
    assert token not in listing and "reporting" in listing
    client = api_client(token=token)
    assert client.get("/api/v1/token").get_json()["role"] == "auditor"
    token_id = token.split("_")[1]
    revoked = auditor.post_form(
        "/account/tokens", {}, post_url=f"/account/tokens/{token_id}/revoke"
    )
    assert revoked.status_code == 302
    assert client.get("/api/v1/token").status_code == 401


def test_nobody_revokes_someone_elses_token_but_an_admin(db, signed_in, api_users, api_tokens):
    token_id = api_tokens["staff"].split("_")[1]
    auditor = signed_in("auditor")
    refused = auditor.post_form(
        "/account/tokens", {}, post_url=f"/account/tokens/{token_id}/revoke"
    )
    assert refused.status_code == 403
    admin = signed_in("admin")
    done = admin.post_form(
        "/account/tokens/applications", {}, post_url=f"/account/tokens/{token_id}/revoke"
    )
    assert done.status_code == 302
    assert authenticate(api_tokens["staff"]) is None


def test_admins_make_application_tokens_limited_to_tenants(db, signed_in, api_client):
    with acting_as(TEST_ACTOR):
        create_tenant("acme", "Acme", ["https://app.example.com/cb"])
    admin = signed_in("admin")
    wrong = admin.post_form("/account/tokens/applications", {"name": "app", "tenants": "nope"})
    assert wrong.status_code == 200 and b"no tenant has the slug nope" in wrong.data
    made = admin.post_form("/account/tokens/applications", {"name": "app", "tenants": "acme"})
    assert made.status_code == 201
    token = TOKEN_RE.search(made.get_data(as_text=True)).group(0)
    info = api_client(token=token).get("/api/v1/token").get_json()
    assert (info["kind"], info["role"], info["tenants"]) == ("application", "application", ["acme"])
    assert signed_in("staff").get("/account/tokens/applications").status_code == 403


def test_token_pages_need_csrf(db, signed_in):
    staff = signed_in("staff")
    page = staff.get("/account/tokens").get_data(as_text=True)
    assert csrf_token(page)
    assert staff.post("/account/tokens", data={"name": "x"}).status_code == 400


def test_cli_create_list_and_revoke(app, db, api_users, api_client):
    runner = CliRunner()
    made = runner.invoke(
        app.cli, ["tokens", "create", "api-admin@example.com", "--name", "ops", "--json"]
    )
    assert made.exit_code == 0, made.output
    document = json.loads(made.stdout)
    assert document["role"] == "admin" and TOKEN_RE.fullmatch(document["token"])
    app_token = runner.invoke(app.cli, ["tokens", "create-app", "web app", "--json"])
    assert json.loads(app_token.stdout)["tenants"] is None
    unknown = runner.invoke(app.cli, ["tokens", "create", "nobody@example.com"])
    assert unknown.exit_code == 2
    listed = json.loads(runner.invoke(app.cli, ["tokens", "list", "--json"]).stdout)
    assert {t["token_id"] for t in listed} >= {document["token_id"]}
    assert "token" not in listed[0]
    revoked = runner.invoke(app.cli, ["tokens", "revoke", document["token_id"]])
    assert revoked.exit_code == 0
    assert api_client(token=document["token"]).get("/api/v1/token").status_code == 401
    assert runner.invoke(app.cli, ["tokens", "revoke", "ffffffffffff"]).exit_code == 2
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("api_token.created") >= 2 and "api_token.revoked" in actions
