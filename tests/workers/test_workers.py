"""Onboarding through real worker processes: the CLI, two workers under quotas, SIGKILL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, update

from portal.models import CognitoCall, Run, Tenant, TenantStatus, utcnow
from portal.services.engine.queue import sweep_stale_runs
from tests.support import factories as f
from tests.support.workers import ROOT, wait_until

pytestmark = [pytest.mark.slow]


def portal_cli(*args: str, stdin: str | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


def test_cli_onboards_a_tenant_end_to_end_with_a_real_worker(
    db, cognito_emulator, oidc_idp, start_worker
):
    seeded = cognito_emulator.seed(pools=1)[0]
    start_worker()
    assert portal_cli("pools", "add", seeded.user_pool_id).returncode == 0
    created = portal_cli(
        "tenants",
        "create",
        "acme",
        "--name",
        "Acme Corp",
        "--callback-url",
        "https://app.acme.test/callback",
    )
    assert created.returncode == 0, created.stderr
    idp = portal_cli(
        "tenants",
        "set-idp",
        "acme",
        "--issuer",
        oidc_idp,
        "--client-id",
        "acme-app",
        "--client-secret-stdin",
        "--groups-claim",
        "app_groups",
        stdin="idp-secret-Q1w2e3\n",
    )
    assert idp.returncode == 0, idp.stderr

    onboard = portal_cli("tenants", "onboard", "acme", "--wait", "--timeout", "90", "--json")

    assert onboard.returncode == 0, onboard.stderr
    [summary] = json.loads(onboard.stdout)
    assert summary["status"] == "ready"
    assert "acme: managed_login: succeeded" in onboard.stderr  # progress shown on stderr
    shown = json.loads(portal_cli("tenants", "show", "acme", "--json").stdout)
    assert shown["status"] == "ready" and shown["client_id"]
    assert shown["cognito_domain"] == f"https://{seeded.domain}.auth.us-east-1.amazoncognito.com"
    assert shown["idp_redirect_uri"] == shown["cognito_domain"] + "/oauth2/idpresponse"
    assert [s["status"] for s in shown["steps"]] == ["succeeded"] * 5
    creds = portal_cli("tenants", "credentials", "acme", "--json")
    bundle = json.loads(creds.stdout)
    live = f.cognito_client().describe_user_pool_client(
        UserPoolId=seeded.user_pool_id, ClientId=shown["client_id"]
    )["UserPoolClient"]
    assert bundle["client_secret"] == live["ClientSecret"]
    assert "identity_provider=acme" in bundle["authorize_url"]
    # Onboarding a ready tenant again reconciles it and exits 0.
    again = portal_cli("tenants", "onboard", "acme", "--wait", "--timeout", "60")
    assert again.returncode == 0, again.stderr


def test_two_workers_share_the_limiter_and_retry_throttles(
    db, cognito_emulator, oidc_idp, start_worker
):
    pool = f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(8)]
    cognito_emulator.configure(rate_limits=True)
    start_worker("w1")
    start_worker("w2")

    # Phase 1: quotas enforced by the emulator, no injected faults: the shared limiter avoids
    # every throttle although eight runs in one pool race for 5 RPS per operation.
    f.onboard(*tenants[:4])
    assert wait_until(lambda: _ready(db, tenants[:4]), 90), _states(db, tenants)
    assert _count(db, "throttled") == 0

    # Phase 2: 30% throttling injected on top: every tenant still ends ready, retries recorded.
    cognito_emulator.configure(throttle_rate=0.3, seed=11)
    f.onboard(*tenants[4:])
    assert wait_until(lambda: _ready(db, tenants), 120), _states(db, tenants)
    assert _count(db, "throttled") > 0
    cognito_emulator.configure(throttle_rate=0.0, rate_limits=False)
    clients = f.cognito_client().list_user_pool_clients(
        UserPoolId=pool.user_pool_id, MaxResults=60
    )["UserPoolClients"]
    assert len(clients) == 8


@pytest.mark.dialect
def test_sigkilled_worker_loses_nothing_and_leaves_no_orphans(
    db, cognito_emulator, oidc_idp, start_worker
):
    pool = f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(4)]
    cognito_emulator.configure(latency_ms=150)
    victim = start_worker("victim", PORTAL_RUN_LEASE_SECONDS="3")
    f.onboard(*tenants)
    assert wait_until(lambda: _calls(db) >= 6, 30)
    victim.kill()

    # Whatever the victim held is picked up again once its claim has run out.
    start_worker("rescuer", PORTAL_RUN_LEASE_SECONDS="3")
    deadline = time.monotonic() + 120
    while not _ready(db, tenants) and time.monotonic() < deadline:
        db.session.execute(
            update(Run)
            .where(Run.status == "queued")
            .values(enqueued_at=utcnow().replace(year=2000))
        )
        db.session.commit()
        sweep_stale_runs()
        time.sleep(1)
    assert _ready(db, tenants), _states(db, tenants)

    cognito = f.cognito_client()
    owned = {db.session.get(Tenant, t.id).client_id for t in tenants}
    clients = cognito.list_user_pool_clients(UserPoolId=pool.user_pool_id, MaxResults=60)[
        "UserPoolClients"
    ]
    assert {c["ClientId"] for c in clients} == owned  # no orphan, no duplicate
    providers = cognito.list_identity_providers(UserPoolId=pool.user_pool_id, MaxResults=60)[
        "Providers"
    ]
    assert sorted(p["ProviderName"] for p in providers) == sorted(t.slug for t in tenants)


def _ready(db, tenants) -> bool:
    db.session.expire_all()
    return all(db.session.get(Tenant, t.id).status == TenantStatus.READY for t in tenants)


def _states(db, tenants) -> list[tuple[str, str, str | None]]:
    db.session.expire_all()
    return [
        (t.slug, db.session.get(Tenant, t.id).status, db.session.get(Tenant, t.id).last_error)
        for t in tenants
    ]


def _count(db, outcome: str) -> int:
    return db.session.scalar(select(func.count()).where(CognitoCall.outcome == outcome))


def _calls(db) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(CognitoCall).where(CognitoCall.run_id.is_not(None))
    )
