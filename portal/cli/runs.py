"""`portal runs ...`: the run queue, from the operator's side."""

from __future__ import annotations

import click

from portal.cli.common import emit_json, operator_command, say
from portal.services.engine.queue import sweep_stale_runs


@click.group("runs")
def group() -> None:
    """Inspect and nudge the run queue."""


@group.command("sweep")
@click.option(
    "--older-than",
    type=click.IntRange(min=0),
    default=None,
    help="Seconds a queued run may wait before it is sent again "
    "(default: PORTAL_STALE_QUEUED_SECONDS).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@operator_command
def sweep(older_than: int | None, as_json: bool) -> None:
    """Send again the runs whose worker died or whose broker message was lost (beat does this)."""
    sent = sweep_stale_runs(older_than)
    if as_json:
        emit_json({"sent": sent})
    say(f"sent {len(sent)} run(s) to the workers again")
