"""The test tree keeps its rules: process-starting tests are marked slow (so `--fast` leaves them
out), browser tests are marked browser, and nothing but tests.support is imported."""

from __future__ import annotations

from pathlib import Path

from tests.support.environment import ROOT
from tests.support.layout import forbidden_imports, unmarked_tests


def test_every_test_that_starts_a_process_or_a_browser_is_marked():
    assert unmarked_tests(ROOT) == []


def test_only_tests_support_is_imported():
    assert forbidden_imports(ROOT) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


SUPPORT_WORKERS = """
import subprocess
import pytest

class WorkerProcess:
    def __init__(self):
        self.process = subprocess.Popen(["true"])

@pytest.fixture
def start_worker():
    return WorkerProcess
"""

UNMARKED = """
import os
import pytest
from subprocess import run
from tests.support.workers import WorkerProcess

RUN_LATER = "subprocess.run(['true'])"  # only text: starts nothing

def portal(*args):
    return run(["portal", *args])

@pytest.fixture
def started(start_worker):
    return start_worker()

def test_uses_the_fixture(start_worker):
    start_worker()

def test_uses_a_fixture_that_uses_it(started):
    pass

def test_uses_a_local_helper():
    portal("--help")

def test_uses_a_support_class():
    WorkerProcess()

def test_forks():
    os.fork()

@pytest.mark.slow
def test_marked(start_worker):
    start_worker()

def test_starts_nothing():
    assert RUN_LATER

def test_drives_a_browser():
    from playwright.sync_api import sync_playwright
    sync_playwright()
"""


def test_the_guard_names_each_unmarked_test_that_starts_a_process(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"tests/support/workers.py": SUPPORT_WORKERS, "tests/lane/test_unmarked.py": UNMARKED},
    )
    where = "tests/lane/test_unmarked.py"
    assert unmarked_tests(root) == [
        f"{where}::test_uses_the_fixture starts a process: mark it slow",
        f"{where}::test_uses_a_fixture_that_uses_it starts a process: mark it slow",
        f"{where}::test_uses_a_local_helper starts a process: mark it slow",
        f"{where}::test_uses_a_support_class starts a process: mark it slow",
        f"{where}::test_forks starts a process: mark it slow",
        f"{where}::test_drives_a_browser drives a browser: mark it browser and slow",
    ]


def test_a_module_marked_slow_as_a_whole_passes_the_guard(tmp_path: Path) -> None:
    marked = UNMARKED.replace(
        "\nRUN_LATER", "\npytestmark = [pytest.mark.slow, pytest.mark.browser]\nRUN_LATER"
    )
    root = write(
        tmp_path,
        {"tests/support/workers.py": SUPPORT_WORKERS, "tests/lane/test_marked.py": marked},
    )
    assert unmarked_tests(root) == []


def test_the_guard_names_imports_from_conftests_and_test_modules(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "tests/conftest.py": 'pytest_plugins = ["tests.support.fixtures", "tests.helpers"]\n',
            "tests/emulator/conftest.py": "def make_client(): ...\n",
            "tests/emulator/test_a.py": (
                "from .conftest import make_client\n"
                "from tests.emulator.conftest import make_client as again\n"
                "from tests.emulator import test_b\n"
                "import test_b as bare\n"
                "from tests.support.factories import tenant\n"
                "from tests import support\n"
            ),
        },
    )
    assert forbidden_imports(root) == [
        "tests/conftest.py loads the plugin tests.helpers",
        "tests/emulator/test_a.py:1 relative import from conftest",
        "tests/emulator/test_a.py:2 imports tests.emulator.conftest",
        "tests/emulator/test_a.py:3 imports tests.emulator",
        "tests/emulator/test_a.py:4 imports test_b",
    ]
