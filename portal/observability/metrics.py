"""Prometheus metrics: what the engine did, counted where it happens.

Counters and histograms live in each process. With PROMETHEUS_MULTIPROC_DIR set (gunicorn
workers, Celery workers, beat: every process of a deployment writes its own files there)
`portal metrics serve` adds them up; without it they stay in-process (tests, `portal dev`).
State (queue depth, pool usage, tenants by status) is read at scrape time: see exporter.py.

The record_* functions never raise: a metrics problem must not fail a Cognito call or a run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., None])


@functools.cache
def _metrics() -> SimpleNamespace:
    """The process's counters and histograms, made on first use: commands that never call
    Cognito or run a step (most of the CLI) do without importing prometheus_client."""
    from prometheus_client import Counter, Histogram

    return SimpleNamespace(
        cognito_calls=Counter(
            "portal_cognito_calls",
            "Cognito API attempts by operation and outcome (ok, throttled, error).",
            ["operation", "outcome"],
        ),
        cognito_throttles=Counter(
            "portal_cognito_throttles",
            "Cognito attempts refused with TooManyRequestsException, by operation.",
            ["operation"],
        ),
        cognito_call_seconds=Histogram(
            "portal_cognito_call_duration_seconds",
            "How long one Cognito attempt took, by operation.",
            ["operation"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20),
        ),
        step_outcomes=Counter(
            "portal_step_outcomes",
            "Onboarding steps finished, by step and outcome (created, updated, unchanged, "
            "skipped, failed, postponed).",
            ["step", "outcome"],
        ),
        run_seconds=Histogram(
            "portal_onboarding_duration_seconds",
            "From a run being queued to it finishing, by kind (onboard, reconcile, offboard) "
            "and outcome (succeeded, failed).",
            ["kind", "outcome"],
            buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600),
        ),
    )


def _never_raise(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except Exception:
            log.debug("metrics: %s failed", func.__name__, exc_info=True)

    return wrapper  # type: ignore[return-value]


@_never_raise
def warm_up() -> None:
    """Make the counters now (a worker starting), not in its first run's first Cognito call."""
    _metrics()


@_never_raise
def record_cognito_call(operation: str, outcome: str, seconds: float) -> None:
    """One attempt at a Cognito operation (the gateway calls this once per attempt)."""
    metrics = _metrics()
    metrics.cognito_calls.labels(operation, outcome).inc()
    metrics.cognito_call_seconds.labels(operation).observe(seconds)
    if outcome == "throttled":
        metrics.cognito_throttles.labels(operation).inc()


@_never_raise
def record_step(step: str, outcome: str | None) -> None:
    """A step ended: created/updated/unchanged/skipped, failed or postponed."""
    _metrics().step_outcomes.labels(step, outcome or "unknown").inc()


@_never_raise
def record_run_finished(run: Any, failed_step: Any = None) -> None:
    """A run reached succeeded or failed; a failed run's step counts as a failed step."""
    if failed_step is not None:
        _metrics().step_outcomes.labels(failed_step.name, "failed").inc()
    if run.created_at is not None and run.finished_at is not None:
        seconds = max(0.0, (run.finished_at - run.created_at).total_seconds())
        _metrics().run_seconds.labels(str(run.kind), str(run.status)).observe(seconds)
