"""The audit tasks the beat scheduler runs: publish the head, verify the chain, apply retention."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, AuditVerification
from portal.services.audit.actors import acting_as
from portal.services.audit.chain import current_head
from portal.services.audit.verifications import request_verification
from portal.workers import BEAT_SCHEDULE
from portal.workers.audit_tasks import apply_audit_retention, publish_audit_head, verify_audit_chain
from tests.support.audit import seed_events
from tests.support.factories import TEST_ACTOR
from tests.support.settings import set_settings


def test_the_beat_schedule_publishes_the_head_verifies_and_applies_retention():
    tasks = {entry["task"]: entry["schedule"] for entry in BEAT_SCHEDULE.values()}
    assert tasks["portal.publish_audit_head"] <= 15 * 60
    assert "portal.verify_audit_chain" in tasks and "portal.apply_audit_retention" in tasks


def test_the_head_is_published_as_one_log_line(db, caplog):
    seed_events(db, 3)
    caplog.set_level(logging.INFO, logger="portal.audit")
    publish_audit_head.apply()
    head = current_head()
    [line] = [r.getMessage() for r in caplog.records if r.name == "portal.audit"]
    assert line == f"audit chain head hash={head.hash} event_id={head.event_id} events=3"


@pytest.mark.dialect
def test_a_requested_verification_is_carried_out_once_however_often_delivered(db):
    seed_events(db, 4)
    with acting_as(TEST_ACTOR):
        verification, fresh = request_verification()
        again, second = request_verification()
    assert fresh and not second and again.id == verification.id  # one under way at a time
    assert verify_audit_chain.apply(args=[verification.id]).get() == "intact"
    assert verify_audit_chain.apply(args=[verification.id]).get() == "intact"
    done = db.session.get(AuditVerification, verification.id, populate_existing=True)
    assert done.status == "intact" and done.events_checked == 5  # + the request's own event
    verified = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit.verified")
    ).all()
    assert len(verified) == 1 and verified[0].actor_type == "system"


@pytest.mark.dialect
def test_the_scheduled_verification_needs_no_request(db):
    seed_events(db, 2)
    assert verify_audit_chain.apply().get() == "intact"


@pytest.mark.dialect
def test_the_retention_task_removes_nothing_unless_configured(db, app, monkeypatch):
    seed_events(db, 2)
    assert apply_audit_retention.apply().get() == 0
    set_settings(monkeypatch, app, audit_retention_days=1)
    assert apply_audit_retention.apply().get() == 0  # nothing is a day old yet
    assert len(db.session.scalars(select(AuditEvent.id)).all()) == 2
