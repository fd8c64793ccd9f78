"""A command collects no garbage while it starts, and leaves its heap to the operating system when
it ends instead of collecting it."""

from __future__ import annotations

import gc

import click
import pytest

from tests.support.cli import run_python

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
    done = run_python(AT_EXIT, *args)
    assert done.returncode == (0 if args[1] == "list" else 2), done.stderr
    frozen = int(done.stderr.rsplit("FROZEN", 1)[1].split()[0])
    # The models, SQLAlchemy and Flask are tens of thousands of objects; a frozen heap of a few
    # would mean the freeze came before they were loaded.
    assert frozen > 10_000


@click.command()
def gc_probe() -> None:
    """What a command sees of the collector when its callback runs (below)."""
    click.echo(f"ENABLED {gc.isenabled()} FROZEN {gc.get_freeze_count()}")


PROBE = """
import runpy, sys
from portal.cli import COMMANDS
COMMANDS["gc-probe"] = ("tests.cli.test_exit:gc_probe", "", sys.argv.pop(1))
sys.argv = ["portal", "gc-probe"]
runpy.run_module("portal", run_name="__main__")
"""


@pytest.mark.parametrize("needs", ["nothing", "database"])
def test_a_command_runs_with_the_collector_on_and_its_start_frozen(db, needs):
    """The collector is off while a command starts (its imports are most of the start), and on
    again before the command runs: `portal worker` and `portal run` run for days."""
    done = run_python(PROBE, needs)
    assert done.returncode == 0, done.stderr
    enabled, frozen = done.stdout.split("ENABLED ", 1)[1].split(" FROZEN ")
    assert enabled == "True"
    assert int(frozen) > (10_000 if needs == "database" else 1_000)
