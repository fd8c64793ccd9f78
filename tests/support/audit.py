"""Seeding audit events, and tampering with them the way a database superuser could."""

from __future__ import annotations

from sqlalchemy import insert, text

from portal.models import AuditChainHead, AuditEvent, utcnow
from portal.services.audit import trail
from portal.services.audit.actors import acting_as
from portal.services.audit.trail import HEAD_ID, event_digest
from tests.support.factories import TEST_ACTOR

CHAINED = (
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "tenant_id",
    "request_id",
    "source_ip",
    "user_agent",
    "details",
)


def seed_events(
    db, count: int, action: str = "test.event", tenant=None, actor=TEST_ACTOR, each=True
) -> list[int]:
    """COUNT audit events, each committed on its own like real changes (or all at once)."""
    ids = []
    with acting_as(actor):
        for n in range(count):
            event = trail.record(action, tenant, n=n, before={"v": n}, after={"v": n + 1})
            ids.append(event.id)
            if each:
                db.session.commit()
            else:
                db.session.expunge(event)  # keep the session small: flushes stay cheap
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


def bulk_chain(db, count: int, action: str = "bulk.event", tenant_id: int | None = None) -> None:
    """Append COUNT correctly chained events in one executemany, much faster than record()."""
    head = db.session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    previous, next_id = head.last_hash, (head.last_event_id or 0) + 1
    rows = []
    for n in range(count):
        row = {
            "id": next_id + n,
            "at": utcnow(),
            "actor_type": "system",
            "actor_id": None,
            "actor_label": "system",
            "action": action,
            "tenant_id": tenant_id,
            "request_id": f"bulk-{n}",
            "source_ip": None,
            "user_agent": None,
            "details": {"n": n},
            "prev_hash": previous,
        }
        row["hash"] = previous = event_digest(previous, row["at"], chained_fields_of(row))
        rows.append(row)
    db.session.execute(insert(AuditEvent), rows)
    head.last_hash, head.last_event_id, head.events = (
        previous,
        next_id + count - 1,
        head.events + count,
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # the ids were given, so move the sequence on
        db.session.execute(
            text("SELECT setval('audit_events_id_seq', (SELECT max(id) FROM audit_events))")
        )
        db.session.commit()


def chained_fields_of(row: dict) -> dict:
    return {k: row[k] for k in CHAINED}
