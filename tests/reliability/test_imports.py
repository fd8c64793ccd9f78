"""The package's shape: no import cycle between service modules, and a command line whose start
imports nothing heavy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import portal
import portal.workers

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
