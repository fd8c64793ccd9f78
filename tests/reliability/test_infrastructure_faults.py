"""The broker restarting and the database connection dropping in the middle of onboarding."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import redis as redis_lib
from sqlalchemy import func, select, text

from portal.models import CognitoCall, Run, RunStatus, Tenant, TenantStatus
from portal.services.pools.registry import list_usage
from tests.support import factories as f
from tests.support.harness import orphans_and_duplicates
from tests.support.net import free_port
from tests.support.workers import ROOT, wait_until

pytestmark = [pytest.mark.slow]


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis_lib.Redis(port=port)
    assert wait_until(lambda: _pings(client), 10), "redis-server did not start"
    return process


def _pings(client: redis_lib.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis_lib.ConnectionError:
        return False


def portal(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ready_count(db, ids: list[int]) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).where(Tenant.id.in_(ids), Tenant.status == TenantStatus.READY)
    )


def test_redis_restart_during_a_bulk_onboarding_loses_no_run(
    db,
    cognito_emulator,
    oidc_idp,
    start_worker,
):
    port = free_port()
    broker = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    env = dict(os.environ, PORTAL_BROKER_URL=url, PORTAL_REDIS_URL=url)
    try:
        f.pool(cognito_emulator)
        bulk = int(os.environ.get("PORTAL_FAULT_BULK", "20"))  # bench/faults.py: 50
        # Several pools: a pool holds 20 managed-login styles.
        for _ in range(-(-bulk // 20) - 1):
            f.pool(cognito_emulator)
        tenants = [f.tenant(f"bulk-{n:02d}", oidc_idp) for n in range(bulk)]
        ids = [t.id for t in tenants]
        cognito_emulator.configure(latency_ms=120, jitter_ms=40)
        start_worker("w1", PORTAL_BROKER_URL=url, PORTAL_REDIS_URL=url)
        queued = portal("tenants", "onboard", *[t.slug for t in tenants], env=env)
        assert queued.returncode == 0, queued.stderr
        assert wait_until(lambda: ready_count(db, ids) >= 3, 90)

        broker.kill()  # every queued and unacknowledged message is gone with it
        broker.wait(10)
        ready_at_kill = ready_count(db, ids)
        assert ready_at_kill < len(ids), "the restart must land mid-bulk"
        broker = start_redis(port)
        restarted = time.monotonic()

        def all_ready() -> bool:
            portal("runs", "sweep", "--older-than", "0", env=env)  # what beat does every 30 s
            return ready_count(db, ids) == len(ids)

        assert wait_until(all_ready, 240, interval=3)
    finally:
        broker.kill()
    runs = db.session.scalars(select(Run).where(Run.tenant_id.in_(ids))).all()
    assert sorted(r.tenant_id for r in runs) == sorted(ids)  # one run each, none lost
    assert all(r.status == RunStatus.SUCCEEDED for r in runs)
    print(
        f"Redis restart: {bulk} tenants, {ready_at_kill} ready when Redis died, all ready "
        f"{time.monotonic() - restarted:.0f} s after it came back empty, {len(runs)} runs"
    )
    cognito_emulator.configure(latency_ms=0, jitter_ms=0)
    for registered in list_usage():
        assert orphans_and_duplicates(f.cognito_client(), registered.pool.user_pool_id) == []


@pytest.mark.skipif(
    os.environ.get("PORTAL_TEST_DATABASE") == "sqlite",
    reason="SQLite has no server connection to drop",
)
def test_dropped_database_connections_are_retried_and_nothing_is_half_written(
    db,
    cognito_emulator,
    oidc_idp,
    start_worker,
):
    pool = f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(4)]
    ids = [t.id for t in tenants]
    cognito_emulator.configure(latency_ms=200, jitter_ms=50)
    start_worker("w1")
    f.onboard(*tenants)
    assert wait_until(
        lambda: (
            db.session.scalar(
                select(func.count()).select_from(CognitoCall).where(CognitoCall.run_id.is_not(None))
            )
            >= 2
        ),
        60,
    )
    dropped = 0
    for _ in range(3):  # drop the worker's connections a few times while it works
        dropped += db.session.execute(
            text(
                # Only this test's worker: its own database, never another session's.
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'portal-worker' AND datname = current_database()"
            )
        ).scalar()
        db.session.commit()
        time.sleep(0.7)
    assert dropped > 0

    assert wait_until(lambda: ready_count(db, ids) == len(ids), 180)
    runs = db.session.scalars(select(Run).where(Run.tenant_id.in_(ids))).all()
    assert len(runs) == len(ids) and all(r.status == RunStatus.SUCCEEDED for r in runs)
    cognito_emulator.configure(latency_ms=0, jitter_ms=0)
    assert orphans_and_duplicates(f.cognito_client(), pool.user_pool_id) == []
