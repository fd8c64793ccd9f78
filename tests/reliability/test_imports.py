"""The package's shape: no import cycle between service modules, and a command line whose start
imports nothing heavy."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import CompileError
from sqlalchemy.schema import CreateIndex

import portal
import portal.workers
from portal.extensions import db
from tests.support.environment import ROOT

PORTAL = Path(portal.__file__).parent
WORKERS = Path(portal.workers.__file__).parent


def module_names() -> dict[str, Path]:
    names = {}
    for package, root in (("portal", PORTAL), ("portal.workers", WORKERS)):
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names[".".join([package, *parts])] = path
    return names


def module_level_imports(path: Path, known: set[str]) -> set[str]:
    """portal modules imported at the top of PATH (imports inside functions run later)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portal"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names} & known
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("portal")}
    return found & known


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_service_modules_import_each_other_without_a_cycle() -> None:
    names = module_names()
    known = set(names)
    graph = {
        name: {m for m in module_level_imports(path, known) if m != name}
        for name, path in names.items()
        if name.startswith("portal.services")
    }
    assert cycles(graph) == []


@pytest.mark.slow  # a fresh interpreter, to see what listing the commands imports
def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """`portal --help` lists every command without importing Flask, SQLAlchemy or boto3."""
    probe = (
        "import sys; from portal.cli import cli; "
        "cli.main(['--help'], prog_name='portal', standalone_mode=False); "
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'boto3', 'celery', 'moto') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert "tenants" in result.stdout and "worker" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


# Run in a fresh process after its arguments: which SQL dialects the command loaded.
DIALECTS_AT_EXIT = """
import atexit, runpy, sys
atexit.register(lambda: print("DIALECTS", *sorted(
    m for m in sys.modules if m.count(".") == 2 and m.startswith("sqlalchemy.dialects."))))
sys.argv = ["portal", *sys.argv[1:]]
runpy.run_module("portal", run_name="__main__")
"""


@pytest.mark.slow  # fresh processes, to see what a command on the embedded default imports
def test_a_command_on_the_embedded_sqlite_default_never_loads_the_postgresql_dialect(tmp_path):
    """The PostgreSQL dialect is about 60 ms of a start: commands, workers and the web app on
    SQLite do without it, the models' partial indexes included."""
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}"}

    def portal_command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", DIALECTS_AT_EXIT, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert portal_command("db", "upgrade").returncode == 0
    listed = portal_command("tenants", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    loaded = listed.stdout.rsplit("DIALECTS", 1)[1].split()
    assert "sqlalchemy.dialects.sqlite" in loaded
    assert "sqlalchemy.dialects.postgresql" not in loaded


def test_the_partial_unique_indexes_keep_their_condition_on_either_database():
    """Built from the models (not the migrations), each still covers only its rows, on both
    databases; a database without partial indexes is refused rather than given a full one."""
    partial = [i for t in db.metadata.tables.values() for i in t.indexes if i.info.get("where")]
    assert sorted(i.name for i in partial) == [
        "uq_runs_one_active_per_tenant",
        "uq_setup_links_one_active_per_tenant",
        "uq_tenant_domains_verified_domain",
    ]
    for index in partial:
        for dialect in (postgresql.dialect(), sqlite.dialect()):
            sql = str(CreateIndex(index).compile(dialect=dialect))
            assert sql.startswith(f"CREATE UNIQUE INDEX {index.name} ON ")
            assert sql.endswith(f" WHERE {index.info['where']}")
        with pytest.raises(CompileError, match="needs a partial index"):
            CreateIndex(index).compile(dialect=mysql.dialect())
