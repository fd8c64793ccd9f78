"""The `portal` command as a new user meets it: what writes state, and where that state lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each case starts the command in a fresh process

PORTAL = [sys.executable, "-m", "portal"]


@pytest.fixture
def user(tmp_path: Path):
    """run(*args, cwd=...): the command as a user with an empty home and no PORTAL_ settings."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PORTAL_", "AWS_", "XDG_")) and k != "HOME"
    } | {"HOME": str(home)}

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        folder = cwd or tmp_path / "work"
        folder.mkdir(exist_ok=True)
        return subprocess.run(
            [*PORTAL, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120
        )

    run.home = home  # type: ignore[attr-defined]
    run.root = tmp_path  # type: ignore[attr-defined]
    return run


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_commands_that_need_no_state_write_nothing(user) -> None:
    for args in (
        ["--help"],
        ["tenants", "--help"],
        ["tenants", "show", "--help"],
        ["dev", "--help"],
        ["aws-policy", "--json"],
        ["metrics", "reset"],
    ):
        result = user(*args)
        assert result.returncode == 0, (args, result.stderr)
    assert json.loads(user("aws-policy", "--json").stdout)["Statement"]
    assert files_under(user.root) == []


def test_a_command_run_before_the_migrations_says_what_to_do(user) -> None:
    result = user("tenants", "list")
    assert result.returncode == 1
    assert "run `portal db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr
    assert files_under(user.root) == []  # not even the development keys


def test_every_command_finds_the_same_instance_wherever_it_runs(user) -> None:
    upgraded = user("db", "upgrade", cwd=user.root / "one")
    assert upgraded.returncode == 0, upgraded.stderr
    created = user(
        "tenants",
        "create",
        "acme",
        "--name",
        "Acme",
        "--callback-url",
        "https://a.test/cb",
        cwd=user.root / "two",
    )
    assert created.returncode == 0, created.stderr
    shown = user("tenants", "show", "acme", "--json", cwd=user.root / "three")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["slug"] == "acme"
    instance = Path(".local/share/cognito-tenant-portal")
    assert {p.split("/")[-1] for p in files_under(user.home)} >= {
        "portal.db",
        "secret_key",
        "encryption_keys",
    }
    assert all(p.startswith(str(instance)) for p in files_under(user.home))
    assert files_under(user.root / "one") == files_under(user.root / "two") == []


def test_a_bad_setting_is_named_with_exit_2(user) -> None:
    result = subprocess.run(
        [*PORTAL, "tenants", "list"],
        cwd=user.root,
        env={"PATH": os.environ["PATH"], "HOME": str(user.home), "PORTAL_ENV": "staging"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "PORTAL_ENV" in result.stderr and "Traceback" not in result.stderr
