"""Exports: streamed through a server-side cursor, self-describing, verifiable, audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from portal.models import AuditEvent, utcnow
from portal.services.audit.actors import Actor, acting_as
from portal.services.audit.chain import current_head
from portal.services.audit.export import begin_export, export_lines
from portal.services.audit.query import AuditFilter
from portal.services.audit.trail import event_digest
from portal.services.audit.verifications import run_verification
from portal.services.tenants.records import create_tenant
from tests.support.audit import bulk_chain, seed_events
from tests.support.factories import TEST_ACTOR

pytestmark = [pytest.mark.dialect]


def export_text(flt: AuditFilter, fmt: str) -> str:
    with acting_as(TEST_ACTOR):
        plan = begin_export(flt, fmt)
    return "".join(export_lines(plan))


def make_tenant(slug: str):
    with acting_as(TEST_ACTOR):
        return create_tenant(slug, slug.title(), ["https://app.example.com/cb"])


def test_jsonl_export_records_the_filter_head_and_verification_then_verifiable_events(db):
    seed_events(db, 5)
    with acting_as(TEST_ACTOR):
        run_verification()
    lines = export_text(AuditFilter(), "jsonl").splitlines()
    header = json.loads(lines[0])["audit_export"]
    events = [json.loads(line) for line in lines[1:]]

    assert header["filter"] == {} and header["format"] == "jsonl"
    assert header["exported_by"] == TEST_ACTOR.label and header["exported_at"]
    assert header["chain_head"] == current_head().to_dict()
    assert header["latest_verification"]["status"] == "intact"
    assert header["latest_verification"]["events_checked"] == 5
    # Up to the head, the export's own audit event included, oldest first.
    assert [e["id"] for e in events] == list(range(1, header["events_up_to_id"] + 1))
    assert events[-1]["action"] == "audit.exported"
    assert events[-1]["id"] == header["export_event_id"] == header["chain_head"]["event_id"]
    # An export can be checked on its own: each line's hash recomputes and chains to the last.
    previous = "0" * 64
    for event in events:
        fields = {
            k: event[k] for k in event if k not in ("id", "at", "tenant", "prev_hash", "hash")
        }
        at = datetime.fromisoformat(event["at"])
        assert event["prev_hash"] == previous
        assert event_digest(event["prev_hash"], at, fields) == event["hash"]
        previous = event["hash"]
    assert previous == header["chain_head"]["hash"]


def test_the_export_is_audited_with_its_filter(db):
    acme = make_tenant("acme")
    export_text(AuditFilter(tenant="acme", action="tenant.created"), "csv")
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "audit.exported" and event.tenant_id == acme.id
    assert event.details == {
        "format": "csv",
        "filter": {"tenant": "acme", "action": "tenant.created"},
    }
    assert event.actor_label == TEST_ACTOR.label and event.request_id == "req-test"


def test_filters_narrow_the_export(db):
    acme, globex = make_tenant("acme"), make_tenant("globex")
    seed_events(db, 3, "test.acme", tenant=acme)
    seed_events(db, 2, "test.globex", tenant=globex)
    other = Actor("system", None, "system")
    seed_events(db, 2, "test.system", actor=other)

    def ids(flt: AuditFilter) -> list[str]:
        return [json.loads(x)["action"] for x in export_text(flt, "jsonl").splitlines()[1:]]

    assert ids(AuditFilter(tenant="globex", action="test.globex")) == ["test.globex"] * 2
    # The export of a tenant's history is part of that history.
    assert set(ids(AuditFilter(tenant="acme"))) == {"tenant.created", "test.acme", "audit.exported"}
    assert ids(AuditFilter(actor_type="system")) == ["test.system"] * 2
    assert ids(AuditFilter(actor="system", action="test.system")) == ["test.system"] * 2
    assert ids(AuditFilter(request_id="req-test", action="test.acme")) == ["test.acme"] * 3
    today = utcnow().date()
    assert len(ids(AuditFilter(since=today, until=today))) >= 9
    assert ids(AuditFilter(since=today + timedelta(days=1))) == []
    assert ids(AuditFilter(until=today - timedelta(days=1))) == []


def test_csv_export_has_a_header_line_and_neutralises_formulas(db):
    hostile = Actor("user", "9", '=HYPERLINK("http://evil")', "10.0.0.1", "@SUM(1+1)", "req-x")
    seed_events(db, 2, actor=hostile)
    body = export_text(AuditFilter(), "csv")
    first, rest = body.split("\n", 1)
    assert first.startswith("# audit export {")
    header = json.loads(first.removeprefix("# audit export "))
    assert header["format"] == "csv" and header["chain_head"]["hash"]
    rows = list(csv.DictReader(io.StringIO(rest)))
    assert rows[0]["actor_label"].startswith("'=HYPERLINK")
    assert rows[0]["user_agent"] == "'@SUM(1+1)"
    assert json.loads(rows[0]["details"])["after"] == {"v": 1}


def test_the_export_streams_through_a_server_side_cursor(db):
    bulk_chain(db, 1200)
    with acting_as(TEST_ACTOR):
        plan = begin_export(AuditFilter(), "jsonl")
    stream = export_lines(plan)
    header = next(stream)
    first_chunk = next(stream)
    assert "audit_export" in header and first_chunk.count("\n") == 500
    if db.engine.dialect.name == "postgresql":
        # Rows come in batches from a cursor held open on the server, not all at once.
        cursors = db.session.execute(text("SELECT name FROM pg_cursors")).scalars().all()
        assert cursors, "no server-side cursor is open while the export streams"
    remaining = "".join(stream)
    assert remaining.count("\n") == 1201 - 500  # the export's own event is the last line


def test_cli_export_writes_to_stdout(db, app):
    make_tenant("acme")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["audit", "export", "--format", "jsonl", "--tenant", "acme"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert json.loads(lines[0])["audit_export"]["filter"] == {"tenant": "acme"}
    assert [json.loads(x)["action"] for x in lines[1:]] == ["tenant.created", "audit.exported"]
    unknown = runner.invoke(args=["audit", "export", "--format", "csv", "--tenant", "nope"])
    assert unknown.exit_code == 2 and "no tenant's slug or name contains “nope”" in unknown.stderr
