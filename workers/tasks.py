"""Thin tasks: take ids, call a service, classify errors for retry."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import replace

from celery import shared_task
from sqlalchemy.exc import DBAPIError, OperationalError

from portal.extensions import db
from portal.services.actors import SYSTEM, Actor, acting_as
from portal.services.dispatch import enqueue_run
from portal.services.provisioning import execute_run, sweep_stale_runs

log = logging.getLogger(__name__)


def system_actor(task_id: str | None) -> Actor:
    """The system, with the task's id as request id so its events match the worker's log."""
    return replace(SYSTEM, request_id=f"task-{task_id}" if task_id else None)


def worker_id(task_id: str | None) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{task_id or 'eager'}"


@shared_task(
    name="portal.run", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=20
)
def run_provisioning(self, run_id: int) -> str:
    """Carry out one run's pending steps."""
    try:
        with acting_as(system_actor(self.request.id)):
            result = execute_run(run_id, worker_id(self.request.id))
    except (OperationalError, DBAPIError) as exc:
        db.session.rollback()
        log.warning("run %s: database error %s; retrying", run_id, type(exc).__name__)
        raise self.retry(countdown=min(60, 2**self.request.retries), exc=exc) from exc
    if result.retry_in is not None:
        enqueue_run(run_id, countdown=result.retry_in)
    return result.status


@shared_task(name="portal.sweep_stale_runs", ignore_result=True)
def sweep() -> int:
    """Re-send runs left behind by a dead worker or a lost message."""
    with acting_as(SYSTEM):
        return len(sweep_stale_runs())
