"""The request id (and run id) that follows a request into its tasks and their Cognito calls.

A web request's id is on its actor (portal.web.security sets it); a CLI command's actor gets
one too. `enqueue_run` copies it into the Celery message *headers* (never the arguments), the
task restores it here, and the logging filter adds it to every line, the gateway's included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from portal.services.audit.actors import current_actor

HEADER = "portal_request_id"
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_UNSET: Any = object()

request_id_var: ContextVar[str | None] = ContextVar("portal_request_id", default=None)
run_id_var: ContextVar[int | None] = ContextVar("portal_run_id", default=None)


def current_request_id() -> str | None:
    """The id of the request this code works for, bound here or carried by the actor."""
    return request_id_var.get() or current_actor().request_id


def current_run_id() -> int | None:
    return run_id_var.get()


@contextmanager
def bound(request_id: Any = _UNSET, run_id: Any = _UNSET) -> Iterator[None]:
    """Bind a request id and/or run id for the code inside (and the log lines it writes)."""
    tokens = []
    if request_id is not _UNSET:
        tokens.append((request_id_var, request_id_var.set(request_id)))
    if run_id is not _UNSET:
        tokens.append((run_id_var, run_id_var.set(run_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def message_headers() -> dict[str, str]:
    """Celery message headers that carry the current request id to the task."""
    request_id = current_request_id()
    return {HEADER: request_id} if request_id else {}


def request_id_from_task(task_request: Any) -> str | None:
    """The request id a task message carried (protocol 2 puts custom headers on the request)."""
    value = getattr(task_request, HEADER, None)
    if value is None:
        value = (getattr(task_request, "headers", None) or {}).get(HEADER)
    return value if isinstance(value, str) and REQUEST_ID_RE.match(value) else None


@contextmanager
def task_context(task_request: Any) -> Iterator[None]:
    """Around every task: the request id from its message, or none (never a stale one)."""
    with bound(request_id=request_id_from_task(task_request), run_id=None):
        yield


@contextmanager
def run_context(run_id: int) -> Iterator[str | None]:
    """Inside a run's task: bind the run id, and the run's own request id if the message had none.

    A run re-sent by the stale-run sweep carries no header; its row remembers who asked.
    """
    request_id = current_request_id()
    if request_id is None:
        from portal.extensions import db
        from portal.models import Run

        run = db.session.get(Run, run_id)
        request_id = run.request_id if run is not None else None
    with bound(request_id=request_id, run_id=run_id):
        yield request_id
