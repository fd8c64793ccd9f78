"""`portal audit ...`"""

from __future__ import annotations

import sys
from datetime import date

import click

from portal.cli.common import InvalidInput, OperationFailed, emit_json, operator_command, say
from portal.services.audit.chain import ExpectedHead, current_head, verify_chain
from portal.services.audit.export import FORMATS, begin_export, export_lines
from portal.services.audit.query import ACTOR_TYPES, AuditFilter
from portal.services.audit.retention import apply_retention
from portal.services.audit.verifications import run_verification


@click.group("audit")
def group() -> None:
    """Verify, export and prune the tamper-evident audit history."""


@group.command("verify")
@click.option(
    "--expect-head",
    metavar="HASH[@ID]",
    help="A chain head published earlier (exports, logs); it must still be in the chain.",
)
@click.option(
    "--no-record",
    is_flag=True,
    help="Do not store the result or audit the verification (for a read-only copy).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def verify(expect_head: str | None, no_record: bool, as_json: bool) -> None:
    """Walk the chain, recompute every hash; exit 1 naming the first event found wrong."""
    try:
        expect = ExpectedHead.parse(expect_head) if expect_head else None
    except ValueError as exc:
        raise InvalidInput(f"--expect-head: {exc}") from exc
    if no_record:
        report = verify_chain(expect, progress=lambda n: say(f"  {n} events checked"))
    else:
        _verification, report = run_verification(None, expect)
    if as_json:
        emit_json(report.to_dict())
    for note in report.notes:
        say(f"note: {note}")
    if report.problem is not None:
        raise OperationFailed(
            f"audit chain BROKEN at event {report.problem.event_id} "
            f"({report.problem.kind}): {report.problem.message}"
        )
    say(f"audit chain intact: {report.checked} events checked, head {report.head}")


@group.command("head")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def head(as_json: bool) -> None:
    """Print the chain head (HASH@ID) to keep outside the database."""
    current = current_head()
    if as_json:
        emit_json(current.to_dict())
        return
    click.echo(str(current))
    say(f"{current.events} events appended in all")


@group.command("export")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), required=True)
@click.option("--tenant", help="Only tenants whose slug or name contains this, ignoring case.")
@click.option("--actor", help="Only actors containing this (as the log shows them), ignoring case.")
@click.option("--actor-type", type=click.Choice(ACTOR_TYPES), help="Only this kind of actor.")
@click.option(
    "--action",
    help="An action (secret.revealed), a family ending in a dot (client_secret.) or a word "
    "listed actions contain (secret).",
)
@click.option("--request-id", help="Only events caused by this request.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (UTC).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Up to this day (UTC), included.")
@operator_command
def export(fmt, tenant, actor, actor_type, action, request_id, since, until) -> None:
    """Stream the filtered history to standard output; the first line records the chain head.

    The filters match as the audit log page's do (the web page's "How the filters match").
    """
    flt = AuditFilter(
        tenant=tenant,
        actor=actor,
        actor_type=actor_type,
        action=action,
        request_id=request_id,
        since=_day(since),
        until=_day(until),
    )
    plan = begin_export(flt, fmt)
    for chunk in export_lines(plan):
        sys.stdout.write(chunk)
    sys.stdout.flush()
    say(f"exported events up to {plan.upto}; chain head {plan.header['chain_head']['hash']}")


@group.command("retention")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def retention(as_json: bool) -> None:
    """Apply PORTAL_AUDIT_RETENTION_DAYS now (the beat scheduler does it every hour)."""
    result = apply_retention()
    if as_json:
        emit_json(result.to_dict())
    elif result.retention_days is None:
        say("PORTAL_AUDIT_RETENTION_DAYS is not set: audit events are kept for ever")
    else:
        say(
            f"removed {result.removed} events older than {result.retention_days} days "
            f"({len(result.checkpoints)} checkpoint(s))"
        )


def _day(value) -> date | None:
    return value.date() if value is not None else None
