"""Handing run ids to the workers: only after commit, and never anything but the id."""

from __future__ import annotations

import logging

from flask import current_app

from portal.observability.context import message_headers
from portal.services.engine.gateways import mark_demand
from portal.workers import celery_of

log = logging.getLogger(__name__)
RUN_TASK = "portal.run"


def enqueue_run(run_id: int, countdown: float | None = None) -> bool:
    """Send the run's id to the broker; if the broker is down the stale-run sweep sends it later."""
    celery = celery_of(current_app)
    try:
        mark_demand()  # background Cognito work yields from now, not from the run's first call
    except Exception as exc:  # it yields from the run's first call then
        log.warning("could not mark runs as queued (%s)", type(exc).__name__)
    try:
        # The request id travels in the message headers (ops), never in the arguments.
        celery.send_task(RUN_TASK, args=[run_id], countdown=countdown, headers=message_headers())
    except Exception as exc:
        log.warning(
            "could not enqueue run %s (%s); the stale-run sweep will retry",
            run_id,
            type(exc).__name__,
        )
        return False
    return True
