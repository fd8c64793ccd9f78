#!/usr/bin/env python3
"""How fast the `portal` command starts, side by side with importing its main libraries.

    .venv/bin/python bench/cli_start.py [--runs 10]

Times (median of RUNS, alternating so that machine noise hits every command alike):
  - `python -c "import flask, sqlalchemy, celery"` (the yardstick),
  - `portal --help`,
  - `portal tenants show SLUG --json` on a SQLite instance with one tenant (SQLite so that no
    server's latency counts),
and prints each median with its ratio to the yardstick. Target: both portal commands at most
1.7 times the yardstick.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PORTAL = str(BIN / "portal")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def prepare(env: dict[str, str]) -> None:
    """A migrated SQLite instance holding one tenant."""
    for args in (
        ["db", "upgrade"],
        ["tenants", "create", "acme", "--name", "Acme", "--callback-url", "https://a.test/cb"],
    ):
        subprocess.run([PORTAL, *args], env=env, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="portal-cli-bench-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "AWS_"))} | {
            "PORTAL_INSTANCE_PATH": folder,
            "PYTHONDONTWRITEBYTECODE": "",
        }
        prepare(env)
        commands = {
            "import flask, sqlalchemy, celery": [
                sys.executable,
                "-c",
                "import flask, sqlalchemy, celery",
            ],
            "portal --help": [PORTAL, "--help"],
            "portal tenants show acme --json": [PORTAL, "tenants", "show", "acme", "--json"],
        }
        for command in commands.values():  # warm the file cache and the bytecode
            timed(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(timed(command, env))
    yardstick = statistics.median(times["import flask, sqlalchemy, celery"])
    print(f"median of {runs} runs, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<36} {median * 1000:7.0f} ms  {median / yardstick:4.2f}x")


if __name__ == "__main__":
    main()
