"""Losing Redis loses nothing that matters: the database is the source of truth for runs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.models import Run, Tenant, TenantStatus, utcnow
from portal.services.audit.actors import Actor, acting_as
from portal.services.engine.queue import queue_onboarding, sweep_stale_runs
from tests.support import factories as f
from tests.support.workers import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.dialect]

REQUEST_ID = "req-before-redis-died"


def test_flushing_redis_loses_no_run(db, cognito_emulator, oidc_idp, redis_client, start_worker):
    pool = f.pool(cognito_emulator)
    tenants = [f.tenant(f"tenant-{n}", oidc_idp) for n in range(4)]
    with acting_as(Actor("user", "1", "staff@example.com", request_id=REQUEST_ID)):
        runs = queue_onboarding(tenants)
    assert redis_client.llen("celery") == 4  # queued, no worker yet

    redis_client.flushdb()  # Redis lost: messages, limiter and throttle state all gone
    assert redis_client.dbsize() == 0

    # The stale-run sweep (beat runs it every 30 s) finds the runs the database still has
    # queued once they are older than PORTAL_STALE_QUEUED_SECONDS: let that time pass.
    db.session.execute(update(Run).values(enqueued_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert sorted(sweep_stale_runs()) == sorted(run.id for run in runs)
    assert redis_client.llen("celery") == 4

    worker = start_worker(PORTAL_LOG_FORMAT="json")
    assert wait_until(lambda: _all_ready(db, tenants), 120), worker.log[-3000:]

    clients = f.cognito_client().list_user_pool_clients(
        UserPoolId=pool.user_pool_id, MaxResults=60
    )["UserPoolClients"]
    assert len(clients) == len(tenants)  # one each: nothing done twice
    # The re-sent messages had no request id; the runs' rows did, and the logs still say it.
    calls = [line for line in _json_lines(worker.log) if line.get("cognito_operation")]
    assert calls and {line["request_id"] for line in calls} == {REQUEST_ID}


def _all_ready(db, tenants) -> bool:
    db.session.expire_all()
    return all(db.session.get(Tenant, t.id).status == TenantStatus.READY for t in tenants)


def _json_lines(log: str) -> list[dict]:
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]
