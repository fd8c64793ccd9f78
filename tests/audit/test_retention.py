"""Retention: nothing goes by default; when set, only the oldest go and the chain still verifies."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.config import settings_of
from portal.models import AuditCheckpoint, AuditEvent, utcnow
from portal.services.audit.chain import current_head, verify_chain
from portal.services.audit.retention import apply_retention
from tests.support.audit import as_superuser, seed_events
from tests.support.settings import set_settings

pytestmark = [pytest.mark.dialect]


@pytest.fixture
def retention(app, monkeypatch):
    def set_days(days: int | None) -> None:
        set_settings(monkeypatch, app, audit_retention_days=days)

    return set_days


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_nothing_is_ever_deleted_by_default(db, app):
    assert settings_of(app).audit_retention_days is None
    seed_events(db, 4)
    result = apply_retention(now=utcnow() + timedelta(days=3650))
    assert result.removed == 0 and result.retention_days is None
    assert count(db) == 4 and db.session.scalar(select(AuditCheckpoint.id)) is None


def test_only_the_oldest_events_go_and_a_checkpoint_keeps_the_chain_verifiable(db, retention):
    retention(30)
    old = seed_events(db, 5, "old.event")
    cut = utcnow()
    recent = seed_events(db, 3, "recent.event")

    result = apply_retention(now=cut + timedelta(days=30))

    assert result.removed == 5
    remaining = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    assert remaining[:3] == recent and not set(old) & set(remaining)
    checkpoint = db.session.scalars(select(AuditCheckpoint)).one()
    assert checkpoint.last_removed_id == old[-1] and checkpoint.removed == 5
    assert checkpoint.removed_total == 5 and checkpoint.retention_days == 30
    event = db.session.get(AuditEvent, remaining[-1])
    assert event.action == "audit.retention_applied" and event.actor_type == "system"
    assert event.details["last_removed_hash"] == checkpoint.last_removed_hash
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == 4 and current_head().events == 9
    # Run again: nothing else is old enough.
    assert apply_retention(now=cut + timedelta(days=30)).removed == 0
    assert verify_chain().ok


def test_a_large_cut_goes_in_batches_each_with_its_checkpoint(db, retention):
    retention(1)
    seed_events(db, 7)
    result = apply_retention(now=utcnow() + timedelta(days=2), batch=3)
    assert result.removed == 7 and len(result.checkpoints) == 3
    totals = db.session.scalars(select(AuditCheckpoint.removed_total).order_by(AuditCheckpoint.id))
    assert list(totals)[-1] == result.removed
    assert verify_chain().ok


def test_a_forged_checkpoint_does_not_hide_removed_events(db, retention):
    retention(30)
    seed_events(db, 3)
    cut = utcnow()
    later = seed_events(db, 4)
    apply_retention(now=cut + timedelta(days=30))
    assert verify_chain().ok
    victim = db.session.get(AuditEvent, later[1])
    as_superuser(
        db,
        "DELETE FROM audit_events WHERE id <= :last",
        "INSERT INTO audit_checkpoints (created_at, retention_days, last_removed_id, "
        "last_removed_hash, last_removed_at, removed, removed_total) "
        "VALUES (:at, 30, :last, :hash, :at, 2, 5)",
        last=victim.id,
        hash=victim.hash,
        at=victim.at,
    )
    report = verify_chain()
    assert report.problem is not None and report.problem.kind == "checkpoint"


def test_the_retention_command(db, retention, app):
    runner = app.test_cli_runner()
    unset = runner.invoke(args=["audit", "retention"], catch_exceptions=False)
    assert unset.exit_code == 0 and "kept for ever" in unset.stderr
    retention(3650)
    seed_events(db, 2)
    result = runner.invoke(args=["audit", "retention", "--json"], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(result.stdout)["removed"] == 0
    assert count(db) == 2
