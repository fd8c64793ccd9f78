"""Appending to the hash-chained audit trail, with every secret redacted."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import update

from portal.extensions import db
from portal.models import AuditChainHead, AuditEvent, Tenant, utcnow
from portal.services.audit.actors import Actor, current_actor

GENESIS = "0" * 64
SECRET_MARKERS = ("secret", "password", "token", "totp", "key")
REDACTED = "[redacted]"
HEAD_ID = 1


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


def lock_head() -> AuditChainHead:
    """Take the chain's write lock (a row lock on PostgreSQL, the write lock on SQLite)."""
    db.session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(events=AuditChainHead.events + 0)
    )
    head = db.session.get(AuditChainHead, HEAD_ID, populate_existing=True)
    if head is None:  # a database made without the migration's seed row
        head = AuditChainHead(id=HEAD_ID, last_hash=GENESIS, last_event_id=None, events=0)
        db.session.add(head)
        db.session.flush()
    return head


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
    head = lock_head()
    event = AuditEvent(
        at=utcnow(),
        actor_type=who.type,
        actor_id=who.id,
        actor_label=who.label[:300],
        action=action,
        tenant_id=tenant.id if tenant is not None else None,
        request_id=who.request_id,
        source_ip=who.source_ip,
        user_agent=(who.user_agent or None) and who.user_agent[:512],
        details=body,
        prev_hash=head.last_hash,
    )
    event.hash = event_digest(event.prev_hash, event.at, chained_fields(event))
    db.session.add(event)
    db.session.flush()
    head.last_hash = event.hash
    head.last_event_id = event.id
    head.events = head.events + 1
    return event
