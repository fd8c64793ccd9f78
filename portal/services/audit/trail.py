"""Appending to the hash-chained audit trail, with every secret redacted."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import AuditChainHead, AuditEvent, Tenant, utcnow
from portal.services.audit.actors import Actor, current_actor

GENESIS = "0" * 64
SECRET_MARKERS = ("secret", "password", "token", "totp", "key")
REDACTED = "[redacted]"
HEAD_ID = 1
AT_COMMIT = "audit_chain_at_commit"  # session.info flag: chain this session's events at commit
PENDING = "audit_pending"  # session.info: events recorded, not yet chained


def redact(value: Any) -> Any:
    """Replace the value of every key that names a secret, at any depth."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if _is_secret_key(k) and _could_be_secret(v) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _could_be_secret(value: Any) -> bool:
    """Empty values and flags (e.g. secret_replaced=True) say nothing secret; keep them."""
    return value not in (None, "") and not isinstance(value, bool)


def _is_secret_key(key: str) -> bool:
    lowered = str(key).lower()
    if lowered.endswith(("_id", "_name", "_at", "_count")) or lowered in ("token_id", "key_id"):
        return False
    return any(marker in lowered for marker in SECRET_MARKERS)


def event_digest(prev_hash: str, at: datetime, fields: dict[str, Any]) -> str:
    """The hash that chains an event to the one before it."""
    payload = json.dumps(
        {"prev": prev_hash, "at": at.isoformat(), **fields},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chained_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "tenant_id": event.tenant_id,
        "request_id": event.request_id,
        "source_ip": event.source_ip,
        "user_agent": event.user_agent,
        "details": event.details,
    }


def lock_head(session: Session | None = None, appending: int = 0) -> tuple[str, int]:
    """Take the chain's write lock and read the head in one statement: (last hash, events).

    A row lock on PostgreSQL, the write lock on SQLite; held until the transaction ends.
    APPENDING events are counted on the head in the same statement.
    """
    session = session or db.session()
    if not _returning_supported(session):
        return _lock_head_then_read(session, appending)
    row = session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(events=AuditChainHead.events + appending)
        .returning(AuditChainHead.last_hash, AuditChainHead.events)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:  # a database made without the migration's seed row
        return _seed_head(session, appending)
    return row.last_hash, row.events - appending


def _returning_supported(session: Session) -> bool:
    """UPDATE ... RETURNING: PostgreSQL, and SQLite from 3.35 on."""
    dialect = session.get_bind().dialect
    return bool(getattr(dialect, "update_returning", False))


def _lock_head_then_read(session: Session, appending: int) -> tuple[str, int]:
    session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(events=AuditChainHead.events + appending)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(
        select(AuditChainHead.last_hash, AuditChainHead.events).where(AuditChainHead.id == HEAD_ID)
    ).first()
    if row is None:
        return _seed_head(session, appending)
    return row.last_hash, row.events - appending


def _seed_head(session: Session, appending: int) -> tuple[str, int]:
    session.add(AuditChainHead(id=HEAD_ID, last_hash=GENESIS, last_event_id=None, events=appending))
    session.flush()
    return GENESIS, 0


@contextlib.contextmanager
def chained_at_commit() -> Iterator[None]:
    """Within: events recorded are chained when the transaction commits, not when recorded.

    The chain's head is one row every writer locks until its commit. Taken at the first event,
    it is held through whatever the transaction does next (a worker's step records, the pool
    locks of a bulk queueing), so every other writer queues behind it, and a writer holding a
    pool row while waiting for the head deadlocks with one holding the head while waiting for
    the pool. Taken last, just before the commit, it is held for four statements and is never
    held while waiting for anything else.
    """
    info = db.session.info
    before = info.get(AT_COMMIT, False)
    info[AT_COMMIT] = True
    try:
        yield
    finally:
        info[AT_COMMIT] = before


def record(
    action: str,
    tenant: Tenant | None = None,
    *,
    actor: Actor | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits it with the change."""
    who = actor or current_actor()
    body: dict[str, Any] = redact(details)
    if before is not None:
        body["before"] = redact(before)
    if after is not None:
        body["after"] = redact(after)
    body = json.loads(json.dumps(body, default=str))  # what the database will hand back
    if tenant is not None and tenant.id is None:
        db.session.flush()
    event = AuditEvent(
        actor_type=who.type,
        actor_id=who.id,
        actor_label=who.label[:300],
        action=action,
        tenant_id=tenant.id if tenant is not None else None,
        request_id=who.request_id,
        source_ip=who.source_ip,
        user_agent=(who.user_agent or None) and who.user_agent[:512],
        details=body,
    )
    session = db.session()
    if session.info.get(AT_COMMIT):
        if not session.in_transaction():
            session.begin()  # so that a rollback before any statement still forgets it
        session.info.setdefault(PENDING, []).append(event)
        return event
    _chain(session, [event])
    return event


def _chain(session: Session, events: list[AuditEvent]) -> None:
    """Lock the head, link EVENTS after it in order, add them and move the head.

    Three statements hold the head: the UPDATE ... RETURNING that locks it, counts the events and
    reads the last hash; the INSERT of the events (their ids come in chain order because they are
    taken under the lock); the UPDATE that moves the head to the last of them.
    """
    prev_hash, _ = lock_head(session, appending=len(events))
    for event in events:
        event.at = utcnow()
        event.prev_hash = prev_hash
        event.hash = event_digest(event.prev_hash, event.at, chained_fields(event))
        session.add(event)
        prev_hash = event.hash
    session.flush()
    session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_hash=prev_hash, last_event_id=events[-1].id)
        .execution_options(synchronize_session=False)
    )
    head = session.identity_map.get(session.identity_key(AuditChainHead, HEAD_ID))  # type: ignore[arg-type]
    if head is not None:  # a copy loaded earlier in this session is now out of date
        session.expire(head)


@orm_event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        session.flush()  # the transaction's own writes first, outside the head's lock
        _chain(session, pending)


@orm_event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # rolled back or closed: its events go with it
        session.info.pop(PENDING, None)
