"""A real worker process carries out the verification an auditor asked for."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, AuditVerification
from portal.services.audit.actors import acting_as
from portal.services.audit.verifications import request_verification
from tests.support.audit import seed_events
from tests.support.factories import TEST_ACTOR
from tests.support.workers import wait_until

pytestmark = [pytest.mark.slow]


def test_a_worker_verifies_the_chain_it_was_sent_only_the_id_of(db, start_worker, redis_client):
    seed_events(db, 5)
    with acting_as(TEST_ACTOR):
        verification, fresh = request_verification()
    assert fresh
    [message] = redis_client.lrange("celery", 0, -1)
    envelope = json.loads(message)
    assert envelope["headers"]["task"] == "portal.verify_audit_chain"
    assert envelope["headers"]["argsrepr"] == f"[{verification.id}]"

    start_worker()

    def finished() -> bool:
        db.session.expire_all()
        return db.session.get(AuditVerification, verification.id).status in ("intact", "broken")

    assert wait_until(finished, timeout=60)
    done = db.session.get(AuditVerification, verification.id)
    assert done.status == "intact" and done.events_checked == 6
    # The worker's event carries the id of the request that asked for the verification.
    verified = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.verified")
    ).one()
    assert verified.actor_type == "system" and verified.request_id == TEST_ACTOR.request_id
