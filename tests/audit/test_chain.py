"""`portal audit verify`: an intact chain passes; an altered, removed or reordered row is named."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select, text, update

from portal.models import AuditChainHead, AuditEvent, AuditImmutableError, AuditVerification
from portal.services.audit.chain import ExpectedHead, current_head, verify_chain
from tests.support.audit import as_superuser, seed_events, swap_ids

pytestmark = [pytest.mark.dialect]


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return invoke


def test_an_intact_chain_verifies_and_the_verification_is_recorded(db, cli):
    seed_events(db, 12)
    result = cli("audit", "verify", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["events_checked"] == 12
    assert report["head"]["event_id"] == 12 and report["head"]["events"] == 12
    assert "intact" in result.stderr
    stored = db.session.scalars(select(AuditVerification)).one()
    assert stored.status == "intact" and stored.events_checked == 12
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.action == "audit.verified" and last.actor_type == "cli"
    assert last.request_id.startswith("cli-") and last.details["status"] == "intact"
    # The verification's own event is chained like any other.
    assert verify_chain().ok


def test_an_empty_chain_is_intact(db):
    report = verify_chain()
    assert report.ok and report.checked == 0


def test_an_altered_row_is_named(db, cli):
    seed_events(db, 8)
    as_superuser(db, "UPDATE audit_events SET actor_label = 'someone else' WHERE id = 5")
    result = cli("audit", "verify", "--json")
    assert result.exit_code == 1
    problem = json.loads(result.stdout)["problem"]
    assert problem["kind"] == "altered" and problem["event_id"] == 5 and problem["at"]
    assert "event 5" in result.stderr and "changed after it was written" in result.stderr


def test_an_altered_detail_is_named(db):
    seed_events(db, 4)
    as_superuser(
        db,
        'UPDATE audit_events SET details = \'{"n": 2, "before": {"v": 2}, '
        '"after": {"v": 99}}\' WHERE id = 3',
    )
    report = verify_chain()
    assert report.problem.kind == "altered" and report.problem.event_id == 3


def test_a_removed_row_is_named(db, cli):
    seed_events(db, 8)
    as_superuser(db, "DELETE FROM audit_events WHERE id = 4")
    result = cli("audit", "verify", "--json")
    assert result.exit_code == 1
    problem = json.loads(result.stdout)["problem"]
    assert problem["kind"] == "removed" and problem["event_id"] == 5
    assert "after event 3" in problem["message"]


def test_the_first_row_removed_is_detected(db):
    seed_events(db, 3)
    as_superuser(db, "DELETE FROM audit_events WHERE id = 1")
    report = verify_chain()
    assert report.problem.kind == "removed" and report.problem.event_id == 2


def test_reordered_rows_are_named(db, cli):
    seed_events(db, 8)
    swap_ids(db, 3, 4)
    result = cli("audit", "verify", "--json")
    assert result.exit_code == 1
    problem = json.loads(result.stdout)["problem"]
    assert problem["kind"] == "reordered" and problem["event_id"] == 3
    assert "event 4" in problem["message"]


def test_removing_the_newest_events_is_caught_by_the_head(db):
    seed_events(db, 6)
    as_superuser(db, "DELETE FROM audit_events WHERE id >= 5")
    report = verify_chain()
    assert report.problem.kind == "truncated" and report.problem.event_id == 6


def test_removing_the_newest_events_and_rewinding_the_head_is_caught_by_a_published_head(db, cli):
    seed_events(db, 6)
    published = current_head()
    fifth = db.session.get(AuditEvent, 4)
    as_superuser(
        db,
        "DELETE FROM audit_events WHERE id >= 5",
        "UPDATE audit_chain_head SET last_hash = :hash, last_event_id = 4, events = 4",
        hash=fifth.hash,
    )
    assert verify_chain().ok  # without an outside copy of the head this cannot be seen
    result = cli("audit", "verify", "--no-record", "--expect-head", str(published))
    assert result.exit_code == 1
    assert "event 6, the head published earlier, is missing" in result.stderr
    only_hash = verify_chain(ExpectedHead(published.hash))
    assert only_hash.problem.kind == "removed"


def test_a_rewritten_chain_is_caught_by_a_published_head(db):
    seed_events(db, 3)
    published = current_head()
    forged = "f" * 64
    as_superuser(
        db,
        "UPDATE audit_events SET hash = :forged WHERE id = 3",
        "UPDATE audit_chain_head SET last_hash = :forged",
        forged=forged,
    )
    report = verify_chain(ExpectedHead.parse(str(published)))
    assert report.problem.event_id == 3  # the row no longer matches its own hash either


def test_a_head_counting_more_events_than_the_table_holds_is_reported(db):
    seed_events(db, 3)
    as_superuser(db, "UPDATE audit_chain_head SET events = 5")
    assert verify_chain().problem.kind == "count"


def test_a_published_head_that_is_intact_passes(db, cli):
    seed_events(db, 3)
    published = current_head()
    seed_events(db, 2)
    result = cli("audit", "verify", "--no-record", "--expect-head", str(published))
    assert result.exit_code == 0, result.stderr
    assert db.session.scalar(select(AuditVerification.id)) is None  # --no-record stores nothing


@pytest.mark.parametrize("head", ["abc", "z" * 64, "a" * 64 + "@x"])
def test_a_malformed_expected_head_is_invalid_input(db, cli, head):
    result = cli("audit", "verify", "--expect-head", head)
    assert result.exit_code == 2 and "--expect-head" in result.stderr


def test_the_head_command_prints_hash_at_id(db, cli):
    seed_events(db, 2)
    result = cli("audit", "head")
    head = db.session.get(AuditChainHead, 1)
    assert result.stdout.strip() == f"{head.last_hash}@{head.last_event_id}"
    assert json.loads(cli("audit", "head", "--json").stdout)["events"] == 2


def test_the_application_cannot_update_or_delete_events(db):
    seed_events(db, 2)
    event = db.session.get(AuditEvent, 1)
    event.action = "changed"
    with pytest.raises(AuditImmutableError):
        db.session.flush()
    db.session.rollback()
    for statement in (
        update(AuditEvent).where(AuditEvent.id == 1).values(action="x"),
        delete(AuditEvent).where(AuditEvent.id == 1),
    ):
        with pytest.raises(AuditImmutableError):
            db.session.execute(statement)
        db.session.rollback()
    if db.engine.dialect.name == "postgresql":  # and the database itself refuses raw SQL
        for statements in (
            ["UPDATE audit_events SET action = 'x' WHERE id = 1"],
            ["DELETE FROM audit_events WHERE id = 1"],
            # The retention setting alone does not open the door: no checkpoint covers event 1.
            ["SET LOCAL portal.audit_retention = 'cut'", "DELETE FROM audit_events WHERE id = 1"],
            ["SELECT audit_retention_cut(1)"],
        ):
            refused = r"append-only|no retention checkpoint"
            with pytest.raises(Exception, match=refused), db.engine.begin() as conn:
                for statement in statements:
                    conn.execute(text(statement))
    assert verify_chain().ok and verify_chain().checked == 2
