"""Every state change and every secret reveal leaves an event: who, what, when and from where."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import select, update

from portal.models import AuditEvent, Role, Run, RunStatus
from portal.services.access.users import create_user
from portal.services.audit.actors import acting_as
from portal.services.audit.chain import verify_chain
from portal.services.engine.execution import execute_run
from portal.services.tenants.handover import reveal_credentials
from tests.support import factories as f
from tests.support.web import Browser

# Actions recorded about a tenant, which must name it.
TENANT_ACTIONS = {
    "tenant.created",
    "tenant.idp_set",
    "run.queued",
    "run.started",
    "run.failed",
    "run.resumed",
    "run.postponed",
    "run.succeeded",
    "secret.revealed",
}


def events(db) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


@pytest.mark.slow
def test_walking_the_services_leaves_an_event_for_every_state_change(
    app, db, cognito_emulator, oidc_idp
):
    with acting_as(f.TEST_ACTOR):
        create_user("staff@example.com", Role.STAFF, "staff-password-123")
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)

    # A run that fails on a full quota, resumes, is postponed by errors, then succeeds.
    cognito_emulator.set_pool_quotas(pool.user_pool_id, max_identity_providers=0)
    [run] = f.onboard(tenant)
    assert f.run_now(run) == RunStatus.FAILED
    cognito_emulator.set_pool_quotas(pool.user_pool_id, max_identity_providers=300)
    [run] = f.onboard(tenant)
    cognito_emulator.configure(error_rate=1.0)
    assert execute_run(run.id, "worker-a").status == RunStatus.QUEUED
    cognito_emulator.configure(error_rate=0.0)
    db.session.execute(update(Run).where(Run.id == run.id).values(not_before=None))
    db.session.commit()
    assert f.run_now(run) == RunStatus.SUCCEEDED
    with acting_as(f.TEST_ACTOR):
        bundle = reveal_credentials(tenant, purpose="test handover")

    browser = Browser(app.test_client())
    assert browser.login("staff@example.com", "staff-password-123").status_code == 302
    assert browser.post_form("/", {}, post_url="/logout").status_code == 302

    recorded = events(db)
    actions = [e.action for e in recorded]
    for expected in (
        "user.created",
        "pool.registered",
        "tenant.created",
        "tenant.idp_set",
        "run.queued",
        "run.started",
        "cognito.app_client.created",
        "cognito.attributes.created",
        "run.failed",
        "run.resumed",
        "run.postponed",
        "cognito.provider.created",
        "cognito.managed_login.created",
        "run.succeeded",
        "secret.revealed",
        "auth.signed_in",
        "auth.signed_out",
    ):
        assert expected in actions, f"{expected} not audited; got {actions}"

    # The client is created with its provider attached: its event says so (no attach event).
    [created] = [e for e in recorded if e.action == "cognito.app_client.created"]
    fields = {c["field"]: c["after"] for c in created.details["changes"]}
    assert fields["SupportedIdentityProviders"] == [tenant.provider_name]
    assert fields["AllowedOAuthScopes"] == ["openid"]
    for event in recorded:
        assert event.at.tzinfo is not None and event.at.utcoffset() == UTC.utcoffset(None)
        assert event.actor_type and event.actor_label
        if event.actor_type == "user":
            assert event.request_id and event.source_ip and event.user_agent, event.action
        if event.action in TENANT_ACTIONS:
            assert event.tenant_id == tenant.id, event.action
        text = repr(event.details)
        assert f.IDP_SECRET not in text and bundle["client_secret"] not in text

    by_action = {e.action: e for e in recorded}
    failed = by_action["run.failed"]
    assert failed.details["before"] == {"status": "provisioning"}
    assert failed.details["after"] == {"status": "failed"}
    assert failed.details["error_code"] == "LimitExceededException"
    assert by_action["run.postponed"].details["after"] == {"status": "queued"}
    assert by_action["run.started"].details["worker"] == "test-worker"
    idp = by_action["tenant.idp_set"]
    assert idp.details["secret_replaced"] is True  # a flag, not a secret: kept
    assert idp.actor_label == f.TEST_ACTOR.label and idp.request_id == "req-test"
    assert by_action["secret.revealed"].details["purpose"] == "test handover"
    signed_in = by_action["auth.signed_in"]
    assert signed_in.actor_label == "staff@example.com" and signed_in.source_ip == "127.0.0.1"
    assert verify_chain().ok


def test_cli_events_carry_the_operator_and_one_request_id_per_command(app, db, monkeypatch):
    monkeypatch.setenv("SSH_CLIENT", "203.0.113.9 50000 22")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "ops@example.com", "--role", "auditor"])
    assert result.exit_code == 0, result.stderr
    [event] = events(db)
    assert event.action == "user.created" and event.actor_type == "cli"
    assert event.source_ip == "203.0.113.9"
    assert event.user_agent.startswith("portal-cli (") and "users create" in event.user_agent
    assert event.request_id.startswith("cli-")
