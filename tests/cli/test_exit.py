"""The command leaves its heap to the operating system when it ends, instead of collecting it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.workers import ROOT

pytestmark = pytest.mark.slow  # starts the command in a fresh process

# Registered before the command runs, so it runs last: after the command's own exit work.
AT_EXIT = """
import atexit, gc, runpy, sys
atexit.register(lambda: print(f"FROZEN {gc.get_freeze_count()}", file=sys.stderr))
sys.argv = ["portal", *sys.argv[1:]]
runpy.run_module("portal", run_name="__main__")
"""


@pytest.mark.parametrize(
    "args", [["tenants", "list", "--json"], ["tenants", "show", "no-such-tenant"]]
)
def test_the_heap_is_not_collected_at_exit_whether_the_command_succeeds_or_fails(db, args):
    done = subprocess.run(
        [sys.executable, "-c", AT_EXIT, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == (0 if args[1] == "list" else 2), done.stderr
    frozen = int(done.stderr.rsplit("FROZEN", 1)[1].split()[0])
    # The models, SQLAlchemy and Flask are tens of thousands of objects; a frozen heap of a few
    # would mean the freeze came before they were loaded.
    assert frozen > 10_000
