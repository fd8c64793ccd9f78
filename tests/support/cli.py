"""The portal's command line, invoked in-process with Click's runner, or in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.environment import ROOT


def run_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """SCRIPT (`python -c`) with ARGS in a fresh process, from the checkout, with this test's
    environment (its database and Redis)."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


@pytest.fixture
def cli(app, db):
    runner = app.test_cli_runner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(args=list(args), input=stdin, catch_exceptions=False)

    return invoke
