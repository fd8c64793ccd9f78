"""A worker killed at any point, or a run delivered twice, converges to one of each resource."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.models import Run, RunStatus, Tenant, TenantStatus, utcnow
from portal.services.engine import queue
from portal.services.engine.execution import execute_run
from tests.support import factories as f
from tests.support.crash import Killed, expire_lease, kill_after

pytestmark = [pytest.mark.dialect]


def resources(pool_id: str, tenant: Tenant) -> tuple[int, int, int]:
    cognito = f.cognito_client()
    clients = [
        c
        for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)[
            "UserPoolClients"
        ]
        if c["ClientName"] == tenant.client_name
    ]
    providers = [
        p
        for p in cognito.list_identity_providers(UserPoolId=pool_id, MaxResults=60)["Providers"]
        if p["ProviderName"] == tenant.provider_name
    ]
    styles = 0
    for client in clients:
        try:
            cognito.describe_managed_login_branding_by_client(
                UserPoolId=pool_id, ClientId=client["ClientId"]
            )
            styles += 1
        except cognito.exceptions.ResourceNotFoundException:
            pass
    return len(clients), len(providers), styles


@pytest.mark.parametrize(
    "operation",
    [
        "AddCustomAttributes",
        "CreateIdentityProvider",
        "CreateUserPoolClient",
        "CreateManagedLoginBranding",
    ],
)
def test_worker_killed_after_a_cognito_call_converges(
    db, cognito_emulator, oidc_idp, monkeypatch, operation
):
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    with monkeypatch.context() as patch:
        kill_after(patch, operation)
        with pytest.raises(Killed):
            execute_run(run.id, "worker-a")

    # The dead worker's claim runs out; another worker (or the stale-run sweep) takes over.
    assert execute_run(run.id, "worker-b").status == "not-claimed"  # lease still held
    expire_lease(db, run.id)
    assert execute_run(run.id, "worker-b").status == RunStatus.SUCCEEDED

    tenant = db.session.get(Tenant, tenant.id)
    assert tenant.status == TenantStatus.READY
    assert resources(pool.user_pool_id, tenant) == (1, 1, 1)
    # Running the whole thing again changes nothing.
    again = f.onboard(tenant)[0]
    assert f.run_now(again) == RunStatus.SUCCEEDED
    assert resources(pool.user_pool_id, db.session.get(Tenant, tenant.id)) == (1, 1, 1)


def test_a_run_delivered_twice_runs_once(db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)

    assert execute_run(run.id, "worker-a").status == RunStatus.SUCCEEDED
    calls = len(cognito_emulator.calls())
    assert execute_run(run.id, "worker-b").status == "not-claimed"
    assert len(cognito_emulator.calls()) == calls


def test_two_workers_racing_for_one_run_make_one_set_of_resources(
    app, db, cognito_emulator, oidc_idp
):
    pool = f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        with app.app_context():
            barrier.wait()
            results.append(execute_run(run.id, name).status)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(results) == ["not-claimed", RunStatus.SUCCEEDED]
    assert resources(pool.user_pool_id, db.session.get(Tenant, tenant.id)) == (1, 1, 1)


def test_stale_runs_are_sent_again(db, cognito_emulator, oidc_idp, redis_client):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    redis_client.flushdb()  # the broker lost the message
    db.session.execute(
        update(Run).where(Run.id == run.id).values(enqueued_at=utcnow() - timedelta(minutes=10))
    )
    db.session.commit()

    assert queue.sweep_stale_runs() == [run.id]
    assert redis_client.llen("celery") == 1
    # A run whose worker died mid-way (lease expired) is sent again too.
    with pytest.raises(Killed), pytest.MonkeyPatch.context() as patch:
        kill_after(patch, "CreateIdentityProvider")
        execute_run(run.id, "worker-a")
    expire_lease(db, run.id)
    redis_client.flushdb()
    assert queue.sweep_stale_runs() == [run.id]
    assert redis_client.llen("celery") == 1
