"""Exports of a filtered audit history as CSV or JSON Lines, streamed, audited, self-describing.

The first line records the filter, the export time, the chain head and the latest verification,
so that a copy kept elsewhere also preserves the head (removing the newest events is detectable)
and says how far the history it holds was proved intact.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from portal.extensions import db
from portal.models import Tenant, utcnow
from portal.services.audit import trail
from portal.services.audit.actors import current_actor
from portal.services.audit.chain import checkpoint_dict, current_head, latest_checkpoint
from portal.services.audit.query import (
    AuditFilter,
    export_rows,
    filter_conditions,
    tenants_matching,
)
from portal.services.audit.verifications import latest_result, result_dict

FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
COLUMNS = (
    "id",
    "at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "tenant_id",
    "tenant",
    "request_id",
    "source_ip",
    "user_agent",
    "details",
    "prev_hash",
    "hash",
)
CHUNK_ROWS = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportPlan:
    """An export that has been audited and pinned to the chain head at that moment."""

    filter: AuditFilter
    format: str
    header: dict[str, Any]
    upto: int | None


def begin_export(flt: AuditFilter, fmt: str) -> ExportPlan:
    """Check the filter, audit the export, and fix what it will contain (events up to the head)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    filter_conditions(flt)  # an unknown tenant or a reversed date range fails here, unaudited
    # The export of one tenant's history is part of that history.
    ids = list(db.session.scalars(tenants_matching(flt.tenant).limit(2))) if flt.tenant else []
    tenant = db.session.get(Tenant, ids[0]) if len(ids) == 1 else None
    event = trail.record("audit.exported", tenant, format=fmt, filter=flt.to_dict())
    db.session.commit()
    head = current_head()
    header = {
        "format": fmt,
        "exported_at": utcnow().isoformat(),
        "exported_by": current_actor().label,
        "export_event_id": event.id,
        "filter": flt.to_dict(),
        "events_up_to_id": head.event_id,
        "chain_head": head.to_dict(),
        "retention_checkpoint": checkpoint_dict(latest_checkpoint()),
        "latest_verification": result_dict(latest_result()),
        "columns": list(COLUMNS),
    }
    return ExportPlan(flt, fmt, header, head.event_id)


def export_lines(plan: ExportPlan) -> Iterator[str]:
    """The export's text in chunks: the header line first, then every event oldest first."""
    if plan.format == "jsonl":
        yield json.dumps({"audit_export": plan.header}, sort_keys=True) + "\n"
        yield from _chunks(plan, _jsonl_line)
    else:
        yield "# audit export " + json.dumps(plan.header, sort_keys=True) + "\n"
        yield _csv_line(COLUMNS)
        yield from _chunks(plan, lambda row: _csv_line(_csv_cells(row)))


def _chunks(plan: ExportPlan, render) -> Iterator[str]:
    buffer: list[str] = []
    for row in export_rows(plan.filter, plan.upto):
        buffer.append(render(row))
        if len(buffer) >= CHUNK_ROWS:
            yield "".join(buffer)
            buffer.clear()
    if buffer:
        yield "".join(buffer)


def event_record(row: Any) -> dict[str, Any]:
    """One event as exported: exactly the fields its hash covers, plus the tenant's slug."""
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor_type": row.actor_type,
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "tenant_id": row.tenant_id,
        "tenant": row.tenant_slug,
        "request_id": row.request_id,
        "source_ip": row.source_ip,
        "user_agent": row.user_agent,
        "details": row.details,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _jsonl_line(row: Any) -> str:
    return json.dumps(event_record(row), sort_keys=True, default=str) + "\n"


def _csv_cells(row: Any) -> list[Any]:
    record = event_record(row)
    record["details"] = json.dumps(record["details"], sort_keys=True, default=str)
    return [_neutralise(record[c]) for c in COLUMNS]


def _neutralise(value: Any) -> Any:
    """Spreadsheets run cells starting with = + - @ as formulas; user agents are attacker-chosen."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_line(cells) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()
