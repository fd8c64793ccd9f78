"""Thin tasks: take ids, call a service, classify errors for retry."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket

from celery import shared_task
from sqlalchemy.exc import DBAPIError, OperationalError

from portal.extensions import db
from portal.observability.context import run_context
from portal.services.audit.actors import SYSTEM, acting_as
from portal.services.engine.dispatch import enqueue_run
from portal.services.engine.execution import execute_run
from portal.services.engine.queue import sweep_stale_runs

log = logging.getLogger(__name__)


def worker_id(task_id: str | None) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{task_id or 'eager'}"


@shared_task(
    name="portal.run", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=20
)
def run_provisioning(self, run_id: int) -> str:
    """Carry out one run's pending steps."""
    try:
        # logs, audit events and Cognito call lines carry the run id and the request id
        with (
            run_context(run_id) as request_id,
            acting_as(dataclasses.replace(SYSTEM, request_id=request_id)),
        ):
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


@shared_task(name="portal.drift_sweep", ignore_result=True)
def drift_sweep() -> int:
    """Check the tenants whose drift check is the oldest, paced under the read quotas."""
    from portal.services.engine import drift

    with acting_as(SYSTEM):
        return drift.sweep()


@shared_task(name="portal.check_drift", ignore_result=True)
def check_drift(tenant_id: int) -> int:
    """Check one tenant now (the "check for drift" button)."""
    from portal.models import Tenant
    from portal.services.engine import drift

    with acting_as(SYSTEM):
        tenant = db.session.get(Tenant, tenant_id)
        return len(drift.check_drift(tenant)) if tenant is not None else 0


@shared_task(name="portal.remind_expiring_secrets", ignore_result=True)
def remind_expiring_secrets() -> int:
    """Remind staff (audit, webhook) of customer IdP secrets about to expire."""
    from portal.services.engine.gateways import background_work
    from portal.services.engine.reminders import remind_expiring_secrets as remind

    # No Cognito call today; any it gains yields to runs like the drift sweep's.
    with acting_as(SYSTEM), background_work():
        return len(remind())


@shared_task(name="portal.purge_old_sessions", ignore_result=True)
def purge_old_sessions() -> int:
    """Forget browser sessions that ended (or expired) more than 30 days ago."""
    from portal.services.access.sessions import purge_old_sessions as purge

    return purge()


@shared_task(name="portal.saml_certificates", ignore_result=True)
def saml_certificates() -> int:
    """Re-read SAML metadata from its URLs, then remind of signing certificates about to expire."""
    from portal.services.engine import saml_certificates as certificates
    from portal.services.engine.gateways import background_work

    # Reads the IdPs' metadata, not Cognito; any Cognito call it gains yields to runs.
    with acting_as(SYSTEM), background_work():
        certificates.refresh_metadata()
        return len(certificates.remind_expiring_certificates())
