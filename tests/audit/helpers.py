"""Seeding audit events, and tampering with them the way a database superuser could."""

from __future__ import annotations

from sqlalchemy import text

from portal.services import audit
from portal.services.actors import acting_as
from tests.factories import TEST_ACTOR


def seed_events(db, count: int, action: str = "test.event") -> list[int]:
    """COUNT audit events, each committed on its own like real changes."""
    ids = []
    with acting_as(TEST_ACTOR):
        for n in range(count):
            ids.append(audit.record(action, None, n=n, before={"v": n}, after={"v": n + 1}).id)
            db.session.commit()
    return ids


def as_superuser(db, *statements: str, **params) -> None:
    """Raw SQL with the append-only trigger out of the way (PostgreSQL), as an intruder would."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(text(statement), params)
    db.session.expire_all()


def swap_ids(db, first: int, second: int) -> None:
    as_superuser(
        db,
        "UPDATE audit_events SET id = -id WHERE id IN (:first, :second)",
        "UPDATE audit_events SET id = :second WHERE id = -:first",
        "UPDATE audit_events SET id = :first WHERE id = -:second",
        first=first,
        second=second,
    )
