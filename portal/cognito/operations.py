"""Every Cognito operation the portal calls, read from its own source code.

The least-privilege policy (`portal aws-policy`) is derived from this list, so it cannot fall
behind the code: a new `gateway.call("X", ...)` or `gateway.paginate("X", ...)` anywhere in the
portal is in the next policy. The rule that makes this sound: the operation is always a string
literal at the call site (a test refuses call sites where it is not).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

GATEWAY_METHODS = ("call", "paginate")
SERVICE = "cognito-idp"


def _package_dir(name: str) -> Path:
    """Where a package's code is, installed or in a checkout (workers/ maps to portal.workers)."""
    return Path(importlib.util.find_spec(name).origin).parent


PORTAL = _package_dir("portal")
SCANNED = (PORTAL, _package_dir("portal.workers"))
NOT_SCANNED = (_package_dir("portal.devtools"),)  # the emulator *serves* Cognito
GATEWAY = PORTAL / "cognito" / "gateway.py"  # paginate() passes its operation on


@dataclass(frozen=True)
class CallSite:
    """A `.call(...)` or `.paginate(...)` in the portal's source."""

    path: Path
    line: int
    operation: str | None  # None when the first argument is not a string literal

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


def _python_files(roots: Iterable[Path], excluded: Iterable[Path]) -> Iterator[Path]:
    excluded = tuple(excluded)
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if not any(path.is_relative_to(e) for e in excluded):
                yield path


def call_sites(
    roots: Iterable[Path] = SCANNED, excluded: Iterable[Path] = NOT_SCANNED
) -> list[CallSite]:
    """Every gateway-style call in ROOTS: `<anything>.call(...)` / `.paginate(...)`."""
    sites: list[CallSite] = []
    for path in _python_files(roots, excluded):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in GATEWAY_METHODS
                and node.args
            ):
                continue
            first = node.args[0]
            if isinstance(first, ast.List | ast.Tuple):
                continue  # subprocess.call([...]) and friends: not Cognito
            operation = (
                first.value
                if isinstance(first, ast.Constant) and isinstance(first.value, str)
                else None
            )
            sites.append(CallSite(path, node.lineno, operation))
    return sites


def unnamed_call_sites() -> list[CallSite]:
    """Call sites whose operation is not a literal (the policy could miss them), bar the gateway."""
    return [s for s in call_sites() if s.operation is None and s.path != GATEWAY]


@functools.lru_cache(maxsize=1)
def used_operations() -> tuple[str, ...]:
    """The Cognito operations the portal calls, sorted."""
    return tuple(sorted({s.operation for s in call_sites() if s.operation}))


@functools.lru_cache(maxsize=1)
def service_model():
    """botocore's model of cognito-idp (shipped with botocore: no network)."""
    import botocore.session  # 0.1 s: not for the commands that only queue runs

    return botocore.session.get_session().get_service_model(SERVICE)


def is_operation(name: str) -> bool:
    return name in service_model().operation_names


def takes_user_pool(operation: str) -> bool:
    """Whether the request names a user pool, so IAM can scope the action to the pool's ARN.

    Cognito authorises an action against `arn:...:userpool/<UserPoolId>` from the request; an
    operation without a UserPoolId (DescribeUserPoolDomain takes only a domain name) has no
    resource type in the Service Authorization Reference and needs `Resource: "*"`.
    """
    shape = service_model().operation_model(operation).input_shape
    return shape is not None and "UserPoolId" in shape.members
