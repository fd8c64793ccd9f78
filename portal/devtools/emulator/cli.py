"""`portal emulator`: run the Cognito emulator in the foreground."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .seed import EmulatorPool

if TYPE_CHECKING:
    from .emulator import Emulator

log = logging.getLogger(__name__)
SAVE_EVERY_SECONDS = 5.0


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, type=int, show_default=True, help="Port (0 picks a free one).")
@click.option("--region", default="us-east-1", show_default=True, help="Region of seeded pools.")
@click.option(
    "--pools",
    default=1,
    type=click.IntRange(min=0),
    show_default=True,
    help="Managed-login (v2) pools to create.",
)
@click.option(
    "--classic-pools",
    default=0,
    type=click.IntRange(min=0),
    show_default=True,
    help="Classic hosted-UI (v1) pools to create.",
)
@click.option("--rate-limits", is_flag=True, help="Enforce Cognito's request-rate quotas.")
@click.option(
    "--latency-ms",
    default=0.0,
    type=click.FloatRange(min=0),
    show_default=True,
    help="Latency added to every call.",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep pools, clients, providers and styles in this JSON file across restarts.",
)
def emulator_command(
    host: str,
    port: int,
    region: str,
    pools: int,
    classic_pools: int,
    rate_limits: bool,
    latency_ms: float,
    state_file: Path | None,
) -> None:
    """Run a local Cognito (moto plus AWS's rules); print one JSON line with endpoint and pools."""
    from .emulator import Emulator  # moto, from the dev extra: only when the emulator runs

    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    emulator = Emulator(host=host, port=port, region=region).start()
    made = _restore(emulator, state_file)
    if made is None:
        made = emulator.seed(pools=pools, classic_pools=classic_pools)
        if state_file:
            emulator.save(state_file, made)
    emulator.configure(rate_limits=rate_limits, latency_ms=latency_ms)
    click.echo(json.dumps({"endpoint": emulator.endpoint, "pools": [p.to_dict() for p in made]}))
    sys.stdout.flush()

    stopping = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    _serve_until(stopping, emulator, state_file, made)
    emulator.stop()
    if state_file:
        emulator.save(state_file, made)
        log.info("Cognito emulator state saved to %s", state_file)
    log.info("Cognito emulator stopped")


def _serve_until(
    stopping: threading.Event,
    emulator: Emulator,
    state_file: Path | None,
    made: list[EmulatorPool],
) -> None:
    """Wait for a signal, saving the state now and then if calls came in."""
    saved_calls, saved_at = 0, time.monotonic()
    while not stopping.wait(0.5):
        if state_file and time.monotonic() - saved_at >= SAVE_EVERY_SECONDS:
            saved_at = time.monotonic()
            if len(emulator.calls()) != saved_calls:
                saved_calls = len(emulator.calls())
                emulator.save(state_file, made)


def _restore(emulator: Emulator, state_file: Path | None) -> list[EmulatorPool] | None:
    """The seeded pools of a saved state, or None when there is nothing usable to restore."""
    if state_file is None or not state_file.exists():
        return None
    try:
        made = emulator.load(state_file)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable emulator state %s: %s", state_file, exc)
        emulator.reset()
        return None
    log.info("Cognito emulator state restored from %s", state_file)
    return made or None
