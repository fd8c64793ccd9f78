"""Who is acting: a portal user, a setup link, an API token, a CLI operator or the system."""

from __future__ import annotations

import contextvars
import getpass
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The identity an audit event is attributed to, and where the request came from."""

    type: str  # user | setup_link | api_token | cli | system
    id: str | None
    label: str
    source_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


SYSTEM = Actor("system", None, "system")
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("portal_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def cli_actor(command: str | None = None) -> Actor:
    """The operator running a CLI command, as the operating system knows them.

    Each invocation gets its own request id, so every event one command caused can be found
    together; over SSH the operator's address is the source address.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    # a request id per command, so its runs, tasks and Cognito calls can be followed
    ssh = (os.environ.get("SSH_CLIENT") or os.environ.get("SSH_CONNECTION") or "").split()
    return Actor(
        "cli",
        user,
        f"{user}@{socket.gethostname()} (cli)",
        source_ip=ssh[0] if ssh else None,
        user_agent=f"portal-cli ({command})" if command else "portal-cli",
        request_id=f"cli-{uuid.uuid4().hex}",
    )
