"""Thin audit tasks: publish the chain head, verify the chain, apply retention."""

from __future__ import annotations

from dataclasses import replace

from celery import shared_task

from portal.observability.context import current_request_id
from portal.services.audit.actors import SYSTEM, Actor, acting_as
from portal.services.audit.chain import publish_head
from portal.services.audit.retention import apply_retention
from portal.services.audit.verifications import run_verification


def system_actor() -> Actor:
    """The system, carrying the id of the request that asked for this task (if one did)."""
    return replace(SYSTEM, request_id=current_request_id())


@shared_task(name="portal.publish_audit_head", ignore_result=True)
def publish_audit_head() -> str:
    """Log the chain head (hash, event id, count) as one line, outside the database."""
    return str(publish_head())


@shared_task(name="portal.verify_audit_chain", ignore_result=True)
def verify_audit_chain(verification_id: int | None = None) -> str:
    """Walk the whole chain and keep the result for the auditor pages."""
    with acting_as(system_actor()):
        verification, _report = run_verification(verification_id)
    return verification.status


@shared_task(name="portal.apply_audit_retention", ignore_result=True)
def apply_audit_retention() -> int:
    """Remove events older than PORTAL_AUDIT_RETENTION_DAYS (nothing when it is unset)."""
    with acting_as(system_actor()):
        return apply_retention().removed
