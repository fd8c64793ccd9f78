"""`portal emulator`: run the Cognito emulator in the foreground."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from typing import Any

import click

from .emulator import Emulator


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
def emulator_command(
    host: str,
    port: int,
    region: str,
    pools: int,
    classic_pools: int,
    rate_limits: bool,
    latency_ms: float,
) -> None:
    """Run a local Cognito (moto plus AWS's rules); print one JSON line with endpoint and pools."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    emulator = Emulator(host=host, port=port, region=region).start()
    made = emulator.seed(pools=pools, classic_pools=classic_pools)
    emulator.configure(rate_limits=rate_limits, latency_ms=latency_ms)
    click.echo(json.dumps({"endpoint": emulator.endpoint, "pools": [p.to_dict() for p in made]}))
    sys.stdout.flush()

    stopping = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping.wait(0.5):
        pass
    emulator.stop()
    logging.getLogger(__name__).info("Cognito emulator stopped")
