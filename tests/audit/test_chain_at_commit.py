"""Events chained at commit: the chain's head is locked only for the commit, and stays intact."""

from __future__ import annotations

import threading

from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from portal.models import AuditChainHead, AuditEvent
from portal.services.audit import trail
from portal.services.audit.actors import acting_as
from portal.services.audit.chain import verify_chain
from tests.support.audit import TEST_ACTOR


def head_is_free(db) -> bool:
    """Whether another connection can take the head row's lock right now (PostgreSQL)."""
    with db.engine.connect() as other:
        other.execute(text("SET lock_timeout = '300ms'"))
        try:
            other.execute(text("SELECT id FROM audit_chain_head WHERE id = 1 FOR UPDATE"))
        except OperationalError:
            return False
        finally:
            other.rollback()
    return True


def test_a_recorded_event_holds_the_head_only_once_its_transaction_commits(db):
    with acting_as(TEST_ACTOR):
        trail.record("test.plain")
        assert not head_is_free(db)  # recorded the usual way: locked until the commit
        db.session.commit()
        with trail.chained_at_commit():
            trail.record("test.deferred", n=1)
            db.session.execute(select(AuditEvent.id)).all()  # other work in the transaction
            assert head_is_free(db)
            trail.record("test.deferred", n=2)
            db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["test.plain", "test.deferred", "test.deferred"]
    head = db.session.get(AuditChainHead, trail.HEAD_ID, populate_existing=True)
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert head.events == 3 and head.last_event_id == last.id and head.last_hash == last.hash
    assert last.details == {"n": 2}
    assert verify_chain().ok


def test_events_of_a_rolled_back_transaction_are_not_chained(db):
    with acting_as(TEST_ACTOR), trail.chained_at_commit():
        trail.record("test.lost")
        db.session.rollback()
        trail.record("test.kept")
        db.session.commit()
    assert db.session.scalars(select(AuditEvent.action)).all() == ["test.kept"]
    assert verify_chain().ok


def test_interleaved_writers_chain_in_commit_order(app, db):
    """Two sessions record at once; the one that commits first comes first in the chain."""
    with acting_as(TEST_ACTOR), trail.chained_at_commit():
        trail.record("test.first_recorded")
        with app.app_context():  # a second session, as another worker thread has
            from portal.extensions import db as other

            with trail.chained_at_commit():
                trail.record("test.second_recorded")
                other.session.commit()
        db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["test.second_recorded", "test.first_recorded"]
    assert verify_chain().ok


class HeadStatements:
    """The SQL statements that name the audit chain's head, as sent to the database."""

    def __init__(self, engine) -> None:
        self.engine, self.seen = engine, []

    def __enter__(self) -> HeadStatements:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if "audit_chain_head" in statement.lower():
            self.seen.append(" ".join(statement.split()).upper())


def test_the_head_is_locked_read_and_moved_in_two_statements_per_commit(db):
    """One UPDATE ... RETURNING takes the lock and reads the head; one UPDATE moves it."""
    with acting_as(TEST_ACTOR), trail.chained_at_commit():
        trail.record("test.deferred", n=1)
        trail.record("test.deferred", n=2)
        with HeadStatements(db.engine) as head:
            db.session.commit()
    assert len(head.seen) == 2, head.seen
    lock, move = head.seen
    assert lock.startswith("UPDATE AUDIT_CHAIN_HEAD") and "RETURNING" in lock
    assert move.startswith("UPDATE AUDIT_CHAIN_HEAD") and "LAST_EVENT_ID" in move
    assert "LAST_HASH" in move
    row = db.session.get(AuditChainHead, trail.HEAD_ID, populate_existing=True)
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (row.events, row.last_event_id, row.last_hash) == (2, last.id, last.hash)
    assert verify_chain().ok


def test_concurrent_writers_keep_one_intact_chain(app, db):
    """Threads with their own sessions append at once, at commit and the usual way."""
    writers, each = 4, 6
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            with app.app_context(), acting_as(TEST_ACTOR):
                from portal.extensions import db as own

                start.wait()
                for i in range(each):
                    if (n + i) % 2:
                        with trail.chained_at_commit():
                            trail.record("test.concurrent", writer=n, i=i)
                            trail.record("test.concurrent", writer=n, i=i, second=True)
                            own.session.commit()
                    else:
                        trail.record("test.concurrent", writer=n, i=i)
                        trail.record("test.concurrent", writer=n, i=i, second=True)
                        own.session.commit()
                own.session.remove()
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == writers * each * 2 == report.head.events
