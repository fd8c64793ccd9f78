"""A request id followed into a real worker and its Cognito calls; its counters scraped."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys

import pytest

from portal.models import Run, Tenant, TenantStatus
from portal.services.audit.actors import Actor, acting_as
from portal.services.engine.queue import queue_onboarding
from tests.support import factories as f
from tests.support.metrics import TOKEN, Exporter
from tests.support.workers import ROOT, wait_until

pytestmark = [pytest.mark.slow]

REQUEST_ID = "req-follow-me-0001"


def test_the_request_id_follows_a_run_into_the_worker(
    db, cognito_emulator, oidc_idp, redis_client, start_worker, tmp_path
):
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    with acting_as(Actor("user", "1", "staff@example.com", "127.0.0.1", "pytest", REQUEST_ID)):
        [run] = queue_onboarding([tenant])
    assert db.session.get(Run, run.id).request_id == REQUEST_ID

    # In the message headers, never in the task's arguments.
    [raw] = redis_client.lrange("celery", 0, -1)
    message = json.loads(raw)
    assert message["headers"]["portal_request_id"] == REQUEST_ID
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert args == [run.id] and kwargs == {}

    worker = start_worker(PORTAL_LOG_FORMAT="json", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert wait_until(lambda: _ready(db, tenant), 90), worker.log[-3000:]

    lines = [json.loads(line) for line in worker.log.splitlines() if line.startswith("{")]
    calls = [line for line in lines if line.get("cognito_operation")]
    assert {"CreateUserPoolClient", "CreateManagedLoginBranding"} <= {
        line["cognito_operation"] for line in calls
    }
    for line in calls:
        assert line["request_id"] == REQUEST_ID and line["run_id"] == run.id
    assert f.IDP_SECRET not in worker.log

    # The worker's counters, written to the multiprocess folder, added up by the exporter.
    exporter = Exporter(
        {**os.environ, "PORTAL_METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    )
    try:
        samples = exporter.scrape()
    finally:
        exporter.stop()
    calls_ok = (("operation", "CreateUserPoolClient"), ("outcome", "ok"))
    assert samples[("portal_cognito_calls_total", calls_ok)] == 1
    created = (("outcome", "created"), ("step", "managed_login"))
    assert samples[("portal_step_outcomes_total", created)] == 1
    finished = (("kind", "onboard"), ("outcome", "succeeded"))
    assert samples[("portal_onboarding_duration_seconds_count", finished)] == 1


def test_probe_worker_answers_for_a_running_worker_only(db, start_worker):
    start_worker("probed")
    node = f"probed@{socket.gethostname()}"
    alive = _portal("probe", "worker", "--node", node)
    assert alive.returncode == 0, alive.stderr
    assert json.loads(alive.stdout) == {"node": node, "status": "ok"}
    missing = _portal("probe", "worker", "--node", "nobody@nowhere", "--timeout", "1")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["status"] == "no answer"


def _portal(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _ready(db, tenant) -> bool:
    db.session.expire_all()
    return db.session.get(Tenant, tenant.id).status == TenantStatus.READY
