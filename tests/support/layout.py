"""Static checks of the test tree itself (read with ast, nothing is imported or run).

- A test that starts a process (subprocess, multiprocessing, os.fork/spawn/exec, a support
  helper or fixture that does, such as `start_worker`) is marked `slow`; one that drives a
  browser through Playwright is marked `browser` and `slow`. The fast lane leaves them out.
- Only tests.support is imported: never a conftest, a test module or a relative module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROCESS_MODULES = frozenset({"subprocess", "multiprocessing", "pty", "pexpect"})
PROCESS_FUNCTIONS = frozenset(
    {
        "os.fork",
        "os.forkpty",
        "os.system",
        "os.popen",
        "os.posix_spawn",
        "os.posix_spawnp",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
    }
)
PROCESS_PREFIXES = ("os.spawn", "os.exec")
BROWSER_MODULES = frozenset({"playwright"})
SUPPORT = "tests.support"


@dataclass
class Definition:
    """A top-level function or class: what it refers to, and the fixtures it asks for."""

    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    refs: set[str] = field(default_factory=set)  # dotted names, resolved through imports
    fixtures: set[str] = field(default_factory=set)
    is_fixture: bool = False


@dataclass
class Module:
    path: Path
    name: str  # dotted, e.g. tests.support.workers
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    definitions: dict[str, Definition] = field(default_factory=dict)

    @property
    def is_test_module(self) -> bool:
        return self.path.name.startswith("test_")

    @property
    def is_conftest(self) -> bool:
        return self.path.name == "conftest.py"


def _modules(root: Path) -> list[Module]:
    modules = []
    for path in sorted((root / "tests").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules.append(Module(path, name, tree))
    return modules


def _read_imports(module: Module) -> None:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                module.imports[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                module.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _resolve(module: Module, dotted: str) -> str:
    head, _, rest = dotted.partition(".")
    if head in module.imports:
        origin = module.imports[head]
    elif head in module.definitions:
        origin = f"{module.name}.{head}"
    else:
        return dotted
    return f"{origin}.{rest}" if rest else origin


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (_dotted(target) or "").split(".")[-1] == "fixture"


def _fixture_strings(node: ast.AST) -> Iterator[str]:
    """Fixture names given as strings: usefixtures("x") and request.getfixturevalue("x")."""
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and (_dotted(call.func) or "").endswith(
            ("usefixtures", "getfixturevalue")
        ):
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value


def _read_definitions(module: Module) -> None:
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            module.definitions[node.name] = Definition(node.name, node)
    for definition in module.definitions.values():
        node = definition.node
        local = _local_names(node)
        for child in ast.walk(node):
            dotted = _dotted(child) if isinstance(child, ast.Name | ast.Attribute) else None
            if dotted and dotted.split(".")[0] not in local:
                definition.refs.add(_resolve(module, dotted))
        definition.fixtures.update(_fixture_strings(node))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            definition.is_fixture = any(_is_fixture(d) for d in node.decorator_list)
            if definition.is_fixture or node.name.startswith("test"):
                definition.fixtures.update(_requested(node))


def _local_names(node: ast.AST) -> set[str]:
    """Arguments and assigned names: a local `page` is not the `page` fixture."""
    names = {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    names |= {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    return names


def _requested(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The fixtures a test or fixture asks for: its arguments, less those hypothesis fills."""
    arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
    given = {
        keyword.arg
        for decorator in node.decorator_list
        if isinstance(decorator, ast.Call) and (_dotted(decorator.func) or "").endswith("given")
        for keyword in decorator.keywords
    }
    return {a.arg for a in arguments} - given


def _primitive(dotted: str, browser: bool) -> bool:
    head = dotted.split(".")[0]
    if browser:
        return head in BROWSER_MODULES
    return (
        head in PROCESS_MODULES
        or dotted in PROCESS_FUNCTIONS
        or dotted.startswith(PROCESS_PREFIXES)
    )


class Starters:
    """Every definition that starts a process (or a browser), directly or through another."""

    def __init__(self, modules: list[Module], browser: bool) -> None:
        self.modules = modules
        self.names: set[str] = set()  # module.definition
        changed = True
        while changed:
            changed = False
            for module in modules:
                for definition in module.definitions.values():
                    key = f"{module.name}.{definition.name}"
                    if key not in self.names and self.starts(module, definition, browser):
                        self.names.add(key)
                        changed = True

    def visible_fixtures(self, module: Module) -> set[str]:
        """Starting fixtures this module can ask for: support, its conftests, its own."""
        found = set()
        for other in self.modules:
            if other.is_test_module and other is not module:
                continue
            if other.is_conftest and not module.path.is_relative_to(other.path.parent):
                continue
            if other.is_test_module or other.is_conftest or other.name.startswith(SUPPORT):
                found |= {
                    d.name
                    for d in other.definitions.values()
                    if d.is_fixture and f"{other.name}.{d.name}" in self.names
                }
        return found

    def starts(self, module: Module, definition: Definition, browser: bool) -> bool:
        if any(_primitive(ref, browser) for ref in definition.refs):
            return True
        if any(ref in self.names for ref in definition.refs):
            return True
        return bool(definition.fixtures & self.visible_fixtures(module))


def _marks(expressions: list[ast.expr]) -> set[str]:
    """The names X of every pytest.mark.X in these expressions."""
    found = set()
    for expression in expressions:
        for node in ast.walk(expression):
            dotted = _dotted(node) if isinstance(node, ast.Attribute) else None
            if dotted and dotted.startswith("pytest.mark."):
                found.add(dotted.split(".")[2])
    return found


def _pytestmark(body: list[ast.stmt]) -> set[str]:
    values = [
        node.value
        for node in body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
    ]
    return _marks(values)


def _tests(module: Module) -> Iterator[tuple[str, Definition, set[str]]]:
    """(test id, definition, marks) for every test function and method of a test module."""
    module_marks = _pytestmark(module.tree.body)
    for definition in module.definitions.values():
        node = definition.node
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            class_marks = module_marks | _pytestmark(node.body) | _marks(node.decorator_list)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    method = Definition(item.name, item, definition.refs, definition.fixtures)
                    marks = class_marks | _marks(item.decorator_list)
                    yield f"{node.name}::{item.name}", method, marks
        elif not isinstance(node, ast.ClassDef) and node.name.startswith("test"):
            yield node.name, definition, module_marks | _marks(node.decorator_list)


def unmarked_tests(root: Path) -> list[str]:
    """Tests that start a process without `slow`, or drive a browser without `browser`."""
    modules = _modules(root)
    for module in modules:
        _read_imports(module)
        _read_definitions(module)
    processes = Starters(modules, browser=False)
    browsers = Starters(modules, browser=True)
    problems = []
    for module in (m for m in modules if m.is_test_module):
        where = module.path.relative_to(root)
        for test_id, definition, marks in _tests(module):
            browser = browsers.starts(module, definition, browser=True)
            if browser and not {"browser", "slow"} <= marks:
                problems.append(f"{where}::{test_id} drives a browser: mark it browser and slow")
            elif processes.starts(module, definition, browser=False) and "slow" not in marks:
                problems.append(f"{where}::{test_id} starts a process: mark it slow")
    return problems


def forbidden_imports(root: Path) -> list[str]:
    """Imports of anything under tests/ other than tests.support (conftests, test modules)."""
    problems = []
    for module in _modules(root):
        where = module.path.relative_to(root)
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                problems.append(f"{where}:{node.lineno} relative import from {node.module or '.'}")
                continue
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
                if node.module == "tests":
                    names = [f"tests.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if _forbidden(name):
                    problems.append(f"{where}:{node.lineno} imports {name}")
        for plugin in _plugins(module.tree):
            if _forbidden(plugin) or not plugin.startswith(SUPPORT + "."):
                problems.append(f"{where} loads the plugin {plugin}")
    return problems


def _forbidden(name: str) -> bool:
    head = name.split(".")[0]
    if head == "conftest" or head.startswith("test_"):
        return True
    if head != "tests":
        return False
    return not (name == SUPPORT or name.startswith(SUPPORT + "."))


def _plugins(tree: ast.Module) -> Iterator[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            for item in ast.walk(node.value):
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    yield item.value
