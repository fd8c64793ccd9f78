"""Proving the audit chain intact: walk it, recompute each hash, compare with a published head."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from portal.extensions import db
from portal.models import AuditChainHead, AuditCheckpoint, AuditEvent, utcnow
from portal.services.audit.trail import GENESIS, HEAD_ID, chained_fields, event_digest

log = logging.getLogger("portal.audit")
EVENTS = AuditEvent.__table__
CHECKPOINTS = AuditCheckpoint.__table__
RETENTION_ACTION = "audit.retention_applied"
HEAD_RE = re.compile(r"^(?P<hash>[0-9a-f]{64})(?:@(?P<id>[0-9]+))?$")


@dataclass(frozen=True)
class ChainHead:
    """The newest event's hash and id, and how many events were ever appended."""

    hash: str
    event_id: int | None
    events: int

    def __str__(self) -> str:
        return self.hash if self.event_id is None else f"{self.hash}@{self.event_id}"

    def to_dict(self) -> dict[str, Any]:
        return {"hash": self.hash, "event_id": self.event_id, "events": self.events}


@dataclass(frozen=True)
class ExpectedHead:
    """A head published earlier (`HASH` or `HASH@ID`) that the chain must still contain."""

    hash: str
    event_id: int | None = None

    @classmethod
    def parse(cls, text: str) -> ExpectedHead:
        match = HEAD_RE.match((text or "").strip().lower())
        if match is None:
            raise ValueError(
                f"{text!r} is not a chain head: give the 64 hex digits of the hash, "
                "optionally followed by @EVENT_ID"
            )
        event_id = match.group("id")
        return cls(match.group("hash"), int(event_id) if event_id else None)

    def __str__(self) -> str:
        return self.hash if self.event_id is None else f"{self.hash}@{self.event_id}"


@dataclass(frozen=True)
class Problem:
    """The first thing found wrong: which event, when it was written, and what is wrong."""

    kind: str  # altered | removed | reordered | inserted | truncated | head | count | checkpoint
    event_id: int | None
    at: datetime | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "event_id": self.event_id,
            "at": self.at.isoformat() if self.at else None,
            "message": self.message,
        }


@dataclass
class ChainReport:
    """The outcome of one walk of the chain."""

    head: ChainHead
    checked: int = 0
    problem: Problem | None = None
    checkpoint: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "status": "intact" if self.ok else "broken",
            "events_checked": self.checked,
            "head": self.head.to_dict(),
            "checkpoint": self.checkpoint,
            "problem": self.problem.to_dict() if self.problem else None,
            "notes": self.notes,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


def current_head() -> ChainHead:
    """The chain head as the database holds it now."""
    return head_of(db.session.get(AuditChainHead, HEAD_ID, populate_existing=True))


def head_of(row: AuditChainHead | None) -> ChainHead:
    """The head that ROW records (none yet: the genesis)."""
    if row is None:
        return ChainHead(GENESIS, None, 0)
    return ChainHead(row.last_hash, row.last_event_id, row.events)


def latest_checkpoint() -> AuditCheckpoint | None:
    return db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


def checkpoint_dict(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "last_removed_id": row.last_removed_id,
        "last_removed_hash": row.last_removed_hash,
        "last_removed_at": row.last_removed_at.isoformat(),
        "removed": row.removed,
        "removed_total": row.removed_total,
        "retention_days": row.retention_days,
    }


def publish_head() -> ChainHead:
    """Log the head as one line, so that removing the newest events is detectable later."""
    head = current_head()
    log.info(
        "audit chain head hash=%s event_id=%s events=%d", head.hash, head.event_id, head.events
    )
    return head


@contextmanager
def _snapshot() -> Iterator[Connection]:
    """A read-only connection that sees one consistent state of the database throughout."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            yield conn
            conn.rollback()
        return
    with engine.connect() as conn:
        # pysqlite opens no transaction for reads; BEGIN pins one WAL snapshot until rollback.
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


def verify_chain(
    expect: ExpectedHead | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = 2000,
) -> ChainReport:
    """Walk every event in id order (streamed), recompute its hash and check each link."""
    with _snapshot() as conn:
        head_row = conn.execute(
            select(AuditChainHead.__table__).where(AuditChainHead.__table__.c.id == HEAD_ID)
        ).first()
        head = (
            ChainHead(head_row.last_hash, head_row.last_event_id, head_row.events)
            if head_row is not None
            else ChainHead(GENESIS, None, 0)
        )
        checkpoint = conn.execute(
            select(CHECKPOINTS).order_by(CHECKPOINTS.c.id.desc()).limit(1)
        ).first()
        report = ChainReport(head=head, checkpoint=checkpoint_dict(checkpoint))
        walk = _Walk(conn, checkpoint)
        rows = conn.execute(
            select(EVENTS).order_by(EVENTS.c.id), execution_options={"yield_per": batch}
        )
        for row in rows:
            report.problem = walk.step(row)
            if report.problem is not None:
                break
            if progress is not None and walk.checked % 50_000 == 0:
                progress(walk.checked)
        rows.close()
        report.checked = walk.checked
        if report.problem is None:
            report.problem = walk.finish(head)
        if report.problem is None and expect is not None:
            report.problem = _compare_published(conn, expect, checkpoint, report.notes)
    report.finished_at = utcnow()
    return report


class _Walk:
    """The state of a walk: the hash the next event must name as its predecessor."""

    def __init__(self, conn: Connection, checkpoint: Any) -> None:
        self.conn = conn
        self.checkpoint = checkpoint
        self.expected = checkpoint.last_removed_hash if checkpoint is not None else GENESIS
        self.last_id: int | None = None
        self.checked = 0
        self.checkpoint_recorded = checkpoint is None

    def step(self, row: Any) -> Problem | None:
        self.checked += 1
        if event_digest(row.prev_hash, row.at, chained_fields(row)) != row.hash:
            return Problem(
                "altered",
                row.id,
                row.at,
                f"event {row.id} ({row.action}, {_when(row.at)}) no longer matches its hash: "
                "a field of this row was changed after it was written",
            )
        if row.prev_hash != self.expected:
            return self._broken_link(row)
        if (
            self.checkpoint is not None
            and row.action == RETENTION_ACTION
            and (row.details or {}).get("checkpoint_id") == self.checkpoint.id
        ):
            self.checkpoint_recorded = _matches_checkpoint(row.details, self.checkpoint)
        self.expected, self.last_id = row.hash, row.id
        return None

    def _broken_link(self, row: Any) -> Problem:
        named = self.conn.execute(
            select(EVENTS.c.id).where(EVENTS.c.hash == row.prev_hash)
        ).scalar()
        where = f"event {row.id} ({row.action}, {_when(row.at)})"
        if named is None:
            before = (
                f"after event {self.last_id}"
                if self.last_id is not None
                else ("after the retention checkpoint" if self.checkpoint else "at the start")
            )
            return Problem(
                "removed",
                row.id,
                row.at,
                f"events were removed before {where}: it follows an event with hash "
                f"{row.prev_hash[:16]}…, which is no longer in the table (gap {before})",
            )
        if named > row.id:
            return Problem(
                "reordered",
                row.id,
                row.at,
                f"{where} follows event {named} in the chain but comes before it in id "
                "order: the rows were reordered",
            )
        return Problem(
            "inserted",
            self.last_id,
            None,
            f"{where} follows event {named} in the chain, not event {self.last_id} just "
            f"before it: event {self.last_id} was inserted or moved there",
        )

    def finish(self, head: ChainHead) -> Problem | None:
        """After the last row: the table must end at the head, and hold every event counted."""
        if head.hash != self.expected or head.event_id != self.last_id:
            if self.last_id is None or (head.event_id or 0) > self.last_id:
                return Problem(
                    "truncated",
                    head.event_id,
                    None,
                    f"the chain head names event {head.event_id} (hash {head.hash[:16]}…) as the "
                    f"newest, but the table ends at event {self.last_id}: the newest events "
                    "were removed",
                )
            return Problem(
                "head",
                self.last_id,
                None,
                f"the table ends at event {self.last_id}, but the chain head names event "
                f"{head.event_id} (hash {head.hash[:16]}…): the head or the newest events were "
                "changed",
            )
        removed = self.checkpoint.removed_total if self.checkpoint is not None else 0
        if head.events != removed + self.checked:
            return Problem(
                "count",
                self.last_id,
                None,
                f"the chain head counts {head.events} events ({removed} removed by retention) "
                f"but the table holds {self.checked}",
            )
        if not self.checkpoint_recorded:
            return Problem(
                "checkpoint",
                self.checkpoint.last_removed_id,
                self.checkpoint.last_removed_at,
                f"retention checkpoint {self.checkpoint.id} (events up to "
                f"{self.checkpoint.last_removed_id} removed) has no matching "
                f"{RETENTION_ACTION} event in the chain",
            )
        return None


def _matches_checkpoint(details: dict[str, Any], checkpoint: Any) -> bool:
    return (
        details.get("last_removed_id") == checkpoint.last_removed_id
        and details.get("last_removed_hash") == checkpoint.last_removed_hash
        and details.get("removed_total") == checkpoint.removed_total
    )


def _compare_published(
    conn: Connection, expect: ExpectedHead, checkpoint: Any, notes: list[str]
) -> Problem | None:
    """The head published earlier must still be in the chain, unchanged."""
    if expect.event_id is None:
        found = conn.execute(select(EVENTS.c.id).where(EVENTS.c.hash == expect.hash)).scalar()
        if found is None:
            return Problem(
                "removed",
                None,
                None,
                f"no event has the published head hash {expect.hash[:16]}…: the chain was "
                "truncated or rewritten since it was published",
            )
        return None
    row = conn.execute(
        select(EVENTS.c.id, EVENTS.c.hash, EVENTS.c.at).where(EVENTS.c.id == expect.event_id)
    ).first()
    if row is None:
        if checkpoint is not None and expect.event_id <= checkpoint.last_removed_id:
            notes.append(
                f"the published head (event {expect.event_id}) is older than the retention "
                "cut; it cannot be compared"
            )
            return None
        return Problem(
            "removed",
            expect.event_id,
            None,
            f"event {expect.event_id}, the head published earlier, is missing: the events "
            f"from {expect.event_id} on were removed",
        )
    if row.hash != expect.hash:
        return Problem(
            "altered",
            row.id,
            row.at,
            f"event {row.id}'s hash is {row.hash[:16]}…, but {expect.hash[:16]}… was published "
            "for it: the chain was rewritten at or before this event",
        )
    return None


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "time unknown"
