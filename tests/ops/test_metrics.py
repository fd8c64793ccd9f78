"""Metrics: counted where the work happens, and served on their own, token-protected port."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from portal.cognito.errors import TransientError
from portal.services.engine.gateways import gateway_for
from tests.support import factories as f
from tests.support.environment import ROOT
from tests.support.metrics import TOKEN, Exporter


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_run_counts_its_calls_steps_and_duration(db, cognito_emulator, oidc_idp) -> None:
    f.pool(cognito_emulator)
    [run] = f.onboard(f.tenant("acme", oidc_idp))
    before = {
        "create": value(
            "portal_cognito_calls_total", operation="CreateUserPoolClient", outcome="ok"
        ),
        "step": value("portal_step_outcomes_total", step="app_client", outcome="created"),
        "runs": value(
            "portal_onboarding_duration_seconds_count", kind="onboard", outcome="succeeded"
        ),
    }
    assert f.run_now(run) == "succeeded"
    assert (
        value("portal_cognito_calls_total", operation="CreateUserPoolClient", outcome="ok")
        == before["create"] + 1
    )
    assert (
        value("portal_step_outcomes_total", step="app_client", outcome="created")
        == before["step"] + 1
    )
    assert (
        value("portal_onboarding_duration_seconds_count", kind="onboard", outcome="succeeded")
        == before["runs"] + 1
    )


def test_a_failed_run_counts_its_failed_step(db, cognito_emulator, oidc_idp) -> None:
    pool = f.pool(cognito_emulator)
    cognito_emulator.set_pool_quotas(pool.user_pool_id, max_identity_providers=0)
    [run] = f.onboard(f.tenant("acme", oidc_idp))
    failed = value("portal_step_outcomes_total", step="provider", outcome="failed")
    finished = value("portal_onboarding_duration_seconds_count", kind="onboard", outcome="failed")
    assert f.run_now(run) == "failed"
    assert value("portal_step_outcomes_total", step="provider", outcome="failed") == failed + 1
    assert (
        value("portal_onboarding_duration_seconds_count", kind="onboard", outcome="failed")
        == finished + 1
    )


def test_throttles_are_counted_per_operation(app, db, cognito_emulator) -> None:
    pool = f.pool(cognito_emulator)
    throttled = value("portal_cognito_throttles_total", operation="DescribeUserPool")
    cognito_emulator.configure(throttle_rate=1.0)
    try:
        gateway = gateway_for(pool.region)
        gateway.max_attempts, gateway.base_delay = 3, 0.01
        with pytest.raises(TransientError):
            gateway.call("DescribeUserPool", pool.user_pool_id)
    finally:
        cognito_emulator.configure(throttle_rate=0.0)
    assert value("portal_cognito_throttles_total", operation="DescribeUserPool") == throttled + 3
    assert (
        value("portal_cognito_calls_total", operation="DescribeUserPool", outcome="throttled") >= 3
    )


@pytest.fixture
def exporter(app, tmp_path: Path) -> Iterator[Exporter]:
    server = Exporter(
        {**os.environ, "PORTAL_METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    )
    yield server
    server.stop()


@pytest.mark.slow
def test_the_exporter_wants_the_token(exporter) -> None:
    for token in (None, "wrong-token"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            exporter.get(token=token)
        assert refused.value.code == 401
        assert refused.value.headers["WWW-Authenticate"] == "Bearer"
    with pytest.raises(urllib.error.HTTPError) as elsewhere:
        exporter.get("/", token=TOKEN)
    assert elsewhere.value.code == 404
    assert exporter.get(token=TOKEN).status == 200


@pytest.mark.slow
def test_the_exporter_reads_queue_depth_pool_usage_and_tenants_at_scrape_time(
    exporter, db, cognito_emulator, oidc_idp, redis_client
) -> None:
    pool = f.pool(cognito_emulator, max_clients=10)
    f.onboard(*[f.tenant(f"tenant-{n}", oidc_idp) for n in range(3)])  # no worker: they wait
    samples = exporter.scrape()
    assert samples[("portal_queue_depth", (("queue", "celery"),))] == 3
    usage = (("resource", "app_clients"), ("user_pool_id", pool.user_pool_id))
    assert samples[("portal_pool_usage", usage)] == 3
    assert samples[("portal_pool_quota", usage)] == 10
    assert samples[("portal_tenants", (("status", "queued"),))] == 3
    assert samples[("portal_state_up", (("source", "broker"),))] == 1
    assert samples[("portal_state_up", (("source", "database"),))] == 1

    redis_client.flushdb()
    assert exporter.scrape()[("portal_queue_depth", (("queue", "celery"),))] == 0


def test_the_web_app_does_not_serve_metrics(app, db) -> None:
    with app.test_client() as client:
        assert client.get("/metrics").status_code == 404


@pytest.mark.slow
def test_metrics_reset_empties_the_multiprocess_folder(tmp_path: Path) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"x")
    (tmp_path / "histogram_456.db").write_bytes(b"x")
    result = subprocess.run(
        [sys.executable, "-m", "portal", "metrics", "reset"],
        cwd=ROOT,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "removed 2 metric file(s)" in result.stderr
    assert list(tmp_path.iterdir()) == []
