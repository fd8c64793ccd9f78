"""Permanent errors stop a run with a reason; transient ones are retried; resume redoes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import CognitoCall, Run, RunStatus, StepStatus, Tenant, TenantStatus
from tests.support import factories as f


def ops(db, run_id: int) -> list[str]:
    rows = db.session.scalars(
        select(CognitoCall).where(CognitoCall.run_id == run_id).order_by(CognitoCall.id)
    )
    return [(c.operation, c.outcome) for c in rows]


@pytest.mark.dialect
def test_permanent_error_stops_the_run_and_resume_redoes_nothing(db, cognito_emulator, oidc_idp):
    pool = f.pool(cognito_emulator)
    cognito_emulator.set_pool_quotas(pool.user_pool_id, max_identity_providers=0)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)

    assert f.run_now(run) == RunStatus.FAILED

    run = db.session.get(Run, run.id)
    steps = {s.name: s for s in run.steps}
    assert steps["attributes"].status == StepStatus.SUCCEEDED
    assert steps["provider"].status == StepStatus.FAILED
    assert steps["provider"].error_code == "LimitExceededException"
    assert "quota" in steps["provider"].error_message
    assert steps["app_client"].status == steps["attach"].status == StepStatus.PENDING
    pool_clients = f.cognito_client().list_user_pool_clients(
        UserPoolId=pool.user_pool_id, MaxResults=60
    )["UserPoolClients"]
    assert pool_clients == []  # no half-made client is left behind by a failed provider
    tenant = db.session.get(Tenant, tenant.id)
    assert tenant.status == TenantStatus.FAILED and "quota" in tenant.last_error
    assert tenant.idp_client_secret_encrypted is not None  # kept until Cognito holds it

    # The cause is fixed (AWS raised the quota); onboarding again resumes from the failed step.
    cognito_emulator.set_pool_quotas(pool.user_pool_id, max_identity_providers=300)
    calls_before = len(ops(db, run.id))
    [resumed] = f.onboard(tenant)
    assert resumed.id == run.id
    assert f.run_now(resumed) == RunStatus.SUCCEEDED

    after = [op for op, _ in ops(db, run.id)[calls_before:]]
    # The attributes added before the failure are not read again; the rest is made once.
    assert after == [
        "CreateIdentityProvider",
        "CreateUserPoolClient",
        "CreateManagedLoginBranding",
    ]
    assert [s.attempts for s in db.session.get(Run, run.id).steps] == [1, 2, 1, 1, 1]
    clients = f.cognito_client().list_user_pool_clients(
        UserPoolId=pool.user_pool_id, MaxResults=60
    )["UserPoolClients"]
    assert len(clients) == 1


@pytest.mark.slow
def test_throttling_and_internal_errors_are_retried_and_recorded(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(3)]
    runs = f.onboard(*tenants)
    cognito_emulator.configure(throttle_rate=0.3, error_rate=0.05, seed=7)

    assert [f.run_now(r) for r in runs] == [RunStatus.SUCCEEDED] * 3

    outcomes = [o for r in runs for _, o in ops(db, r.id)]
    assert outcomes.count("throttled") > 0
    for tenant in tenants:
        assert db.session.get(Tenant, tenant.id).status == TenantStatus.READY


@pytest.mark.dialect
def test_a_run_that_keeps_failing_transiently_is_postponed_not_failed(
    db, cognito_emulator, oidc_idp, app
):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    cognito_emulator.configure(error_rate=1.0)

    result = f.execute_run(run.id, "worker-a")

    assert result.status == RunStatus.QUEUED and result.retry_in > 0
    run = db.session.get(Run, run.id)
    assert run.status == RunStatus.QUEUED and run.not_before is not None
    step = run.steps[0]
    assert step.status == StepStatus.PENDING and step.error_code == "InternalErrorException"
    assert db.session.get(Tenant, tenant.id).status == TenantStatus.QUEUED
    # Not due yet: a duplicate delivery is not claimed.
    cognito_emulator.configure(error_rate=0.0)
    assert f.execute_run(run.id, "worker-b").status == "not-claimed"


def test_a_create_that_may_have_applied_is_looked_for_before_retrying(
    db, cognito_emulator, oidc_idp, monkeypatch
):
    """An internal error on CreateUserPoolClient may hide a created client: never make two."""
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    from portal.cognito import gateway as gw

    original = gw.CognitoGateway.call
    state = {"failed": False}

    def flaky(self, operation, user_pool_id=None, **params):
        response = original(self, operation, user_pool_id, **params)
        if operation == "CreateUserPoolClient" and not state["failed"]:
            state["failed"] = True  # applied in Cognito, but the answer was lost
            raise gw.AmbiguousOutcomeError(operation, "InternalErrorException", "lost answer")
        return response

    monkeypatch.setattr(gw.CognitoGateway, "call", flaky)
    assert f.run_now(run) == RunStatus.SUCCEEDED

    clients = f.cognito_client().list_user_pool_clients(
        UserPoolId=pool.user_pool_id, MaxResults=60
    )["UserPoolClients"]
    assert len(clients) == 1
    assert db.session.get(Tenant, tenant.id).client_id == clients[0]["ClientId"]
