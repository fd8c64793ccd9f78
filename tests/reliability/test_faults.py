"""The short CI variant of the fault trials (bench/faults.py runs the long ones)."""

from __future__ import annotations

import os
import random
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.models import CognitoCall, Run, RunStatus, Tenant, TenantStatus
from portal.services.engine.queue import queue_onboarding
from tests.support import factories as f
from tests.support.harness import kill_trial, orphans_and_duplicates, wait_ready

pytestmark = [pytest.mark.slow]


def test_sigkill_at_random_moments_converges_with_no_orphans(
    db,
    cognito_emulator,
    oidc_idp,
    start_worker,
):
    rng = random.Random(int(os.environ.get("PORTAL_FAULT_SEED", "20261126")))
    cognito = f.cognito_client()
    results = []
    trials = int(os.environ.get("PORTAL_FAULT_TRIALS", "3"))  # bench/faults.py runs 100
    for number in range(trials):
        # A pool per trial: a pool holds 20 styles, and the orphan check reads one pool.
        pool = f.pool(cognito_emulator)
        # Slow calls on even trials, so that kills land inside them; instant ones on odd trials,
        # so that kills land between calls too (in the portal's own work, between steps).
        slow = number % 2 == 0
        cognito_emulator.configure(latency_ms=250 if slow else 0, jitter_ms=100 if slow else 0)
        tenants = [
            f.tenant(f"trial{number}-{n}", oidc_idp, pool_id=pool.user_pool_id) for n in range(2)
        ]
        results.append(
            kill_trial(
                number,
                [t.id for t in tenants],
                start_worker,
                lambda: db.session.scalar(select(func.count()).select_from(CognitoCall)),
                cognito_emulator.in_flight,
                rng,
                pool.user_pool_id,
                cognito,
                max_delay=2.2 if slow else 0.55,  # two onboardings take ~2.3 s or ~0.6 s
            )
        )
    for result in results:
        where = (
            "inside " + ", ".join(result.in_flight)
            if result.in_flight
            else "after the runs finished"
            if result.finished_before_kill
            else "between calls"
        )
        print(
            f"trial {result.number:3d}: killed after {result.killed_after:4.2f} s, "
            f"{result.calls_before_kill:4d} calls so far, {where}: "
            f"{'ok' if result.passed else '; '.join(result.problems)}"
        )
    passed = sum(r.passed for r in results)
    inside = sum(bool(r.in_flight) for r in results)
    operations = dict(sorted(Counter(op for r in results for op in r.in_flight).items()))
    idle = sum(r.finished_before_kill and not r.in_flight for r in results)
    print(f"SIGKILL trials: {passed}/{len(results)} passed")
    print(f"killed inside a Cognito call: {inside} {operations}")
    print(f"killed between calls, runs unfinished: {len(results) - inside - idle}")
    print(f"killed after the runs had finished: {idle}")
    assert [r.problems for r in results] == [[] for _ in results]


def test_thirty_percent_throttling_and_five_percent_errors_with_real_workers(
    db,
    cognito_emulator,
    oidc_idp,
    start_worker,
):
    pool = f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(6)]
    cognito_emulator.configure(throttle_rate=0.3, error_rate=0.05, seed=5)
    start_worker("w1")
    f.onboard(*tenants)
    assert wait_ready([t.id for t in tenants], 180, sweep=True)
    outcomes = list(db.session.scalars(select(CognitoCall.outcome)))
    # The run history shows the retries (internal errors, being rarer, may or may not occur in
    # so few calls; tests/engine/test_errors.py forces them).
    assert outcomes.count("throttled") > 0
    assert set(outcomes) <= {"ok", "throttled", "error"}
    cognito_emulator.configure(throttle_rate=0.0, error_rate=0.0)
    assert orphans_and_duplicates(f.cognito_client(), pool.user_pool_id) == []


def test_two_staff_submitting_at_once_make_one_run(app, db, cognito_emulator, oidc_idp):
    f.pool(cognito_emulator)
    tenant_id = f.tenant("acme", oidc_idp).id
    barrier = threading.Barrier(4)
    errors = []

    def submit() -> None:
        with app.app_context(), f.acting_as(f.TEST_ACTOR):
            barrier.wait()
            try:
                queue_onboarding([db.session.get(Tenant, tenant_id)])
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    runs = db.session.scalars(select(Run).where(Run.tenant_id == tenant_id)).all()
    assert len(runs) == 1 and runs[0].status == RunStatus.QUEUED
    assert db.session.get(Tenant, tenant_id).status == TenantStatus.QUEUED
