"""Handing run ids to the workers: only after commit, and never anything but the id."""

from __future__ import annotations

import logging

from flask import current_app

from portal.observability.context import message_headers
from portal.services.engine.gateways import mark_demand
from portal.workers import celery_of
from portal.workers.producer import producer_of

log = logging.getLogger(__name__)
RUN_TASK = "portal.run"


def ready_to_send() -> None:
    """Make this process's sender (and the demand mark's Redis client) before runs are committed.

    A run is queued from its commit: whatever the sender still had to import and connect after it
    (kombu, its transport, redis: about 0.15 s of a fresh CLI) was queued → ready time a worker
    could not use. Made first, the message leaves right after the commit. Mark demand here too:
    background work yields from now, a commit earlier. A broker that is down is left to
    `enqueue_run`, which says so and leaves the run to the stale-run sweep.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        mark_demand()
        if "celery" not in app.extensions:
            producer_of(app).connect()
    except Exception as exc:
        log.warning("could not prepare to send runs (%s)", type(exc).__name__)


def enqueue_run(run_id: int, countdown: float | None = None) -> bool:
    """Send the run's id to the broker; if the broker is down the stale-run sweep sends it later."""
    try:
        mark_demand()  # background Cognito work yields from now, not from the run's first call
    except Exception as exc:  # it yields from the run's first call then
        log.warning("could not mark runs as queued (%s)", type(exc).__name__)
    try:
        # The request id travels in the message headers (ops), never in the arguments.
        _send(RUN_TASK, [run_id], countdown, message_headers())
    except Exception as exc:
        log.warning(
            "could not enqueue run %s (%s); the stale-run sweep will retry",
            run_id,
            type(exc).__name__,
        )
        return False
    return True


def _send(name: str, args: list, countdown: float | None, headers: dict[str, str]) -> None:
    """Through this process's Celery app if it has one (a worker), else with kombu alone.

    The CLI and the web only send: building Celery's app for that was most of the cost of
    sending `portal tenants onboard X`'s one message. A delayed send (a worker's retry) keeps
    Celery's ETA handling.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if countdown is None and "celery" not in app.extensions:
        producer_of(app).send(name, args, headers)
    else:
        celery_of(app).send_task(name, args=args, countdown=countdown, headers=headers)
