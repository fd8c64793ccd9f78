"""Telling waiters (`--wait`, the progress page) the moment a run moves, so none waits on a poll.

Workers announce each committed change of a run: with Redis, a PUBLISH on one channel; without
(the dev stack's file broker, on one machine), a line appended to a file in the instance folder
that waiters follow. A notice only says "look again": the database stays the truth, and a
waiter that misses one still re-reads it every PORTAL_RUN_WAIT_POLL_SECONDS.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from portal.config import current_settings
from portal.models import RunStatus
from portal.services.engine.gateways import redis_client

log = logging.getLogger(__name__)

CHANNEL = "portal:run-changes"
FILE_NAME = "run-changes"
FILE_MAX_BYTES = 1 << 20  # the writer starts the file again past this; readers notice the cut
FILE_CHECK_SECONDS = 0.02  # a stat() of a local file: cheap enough to do fifty times a second
ENDED = frozenset((RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED))


@dataclass(frozen=True)
class Notice:
    run_id: int
    status: str

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def encode(self) -> str:
        return f"{self.run_id} {self.status}"

    @classmethod
    def decode(cls, text: str) -> Notice | None:
        run_id, _, status = text.strip().partition(" ")
        return cls(int(run_id), status) if run_id.isdigit() and status else None


def _file() -> Path:
    return Path(current_app.instance_path) / FILE_NAME


def announce(run_id: int, status: str) -> None:
    """Say that run RUN_ID changed (after the commit); a lost notice costs only latency."""
    notice = Notice(run_id, status).encode()
    try:
        client = redis_client()
        if client is not None:
            client.publish(CHANNEL, notice)
            return
        path = _file()
        if path.exists() and path.stat().st_size > FILE_MAX_BYTES:
            path.write_text("")
        with path.open("a", encoding="ascii") as handle:
            handle.write(notice + "\n")
    except Exception as exc:  # the waiters' fallback re-read covers a lost notice
        log.warning("could not announce run %s (%s)", run_id, type(exc).__name__)


class Listener:
    """Notices announced after it was opened; open it before reading the state it guards."""

    def __init__(self) -> None:
        self.poll_seconds = current_settings().run_wait_poll_seconds
        self._pubsub = None
        self._path: Path | None = None
        self._offset = 0
        try:
            client = redis_client()
            if client is not None:
                self._pubsub = client.pubsub(ignore_subscribe_messages=True)
                self._pubsub.subscribe(CHANNEL)
                return
            self._path = _file()
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._path.touch()
            self._offset = self._path.stat().st_size
        except Exception as exc:  # no notices: the waiter falls back on re-reading
            log.warning("run notices unavailable (%s); polling instead", type(exc).__name__)
            self._pubsub = None
            self._path = None

    def wait(self, timeout: float) -> list[Notice]:
        """The notices that arrive within TIMEOUT s (at most the fallback interval); [] if none."""
        deadline = time.monotonic() + max(0.0, min(timeout, self.poll_seconds))
        while True:
            notices = self._read(max(0.0, deadline - time.monotonic()))
            if notices or time.monotonic() >= deadline:
                return notices

    def _read(self, timeout: float) -> list[Notice]:
        if self._pubsub is not None:
            found = []
            message = self._pubsub.get_message(timeout=timeout)
            while message is not None:
                if message.get("type") == "message":
                    notice = Notice.decode(message["data"].decode("ascii", "replace"))
                    if notice is not None:
                        found.append(notice)
                message = self._pubsub.get_message(timeout=0)
            return found
        if self._path is not None:
            return self._read_file(timeout)
        time.sleep(timeout)
        return []

    def _read_file(self, timeout: float) -> list[Notice]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                size = os.stat(self._path).st_size
            except OSError:
                size = 0
            if size < self._offset:  # the writer started the file again
                self._offset = 0
            if size > self._offset:
                with open(self._path, encoding="ascii", errors="replace") as handle:
                    handle.seek(self._offset)
                    text = handle.read()
                complete, _, _partial = text.rpartition("\n")
                if complete:
                    self._offset += len(complete) + 1
                    lines = (Notice.decode(line) for line in complete.split("\n"))
                    return [n for n in lines if n is not None]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            time.sleep(min(FILE_CHECK_SECONDS, remaining))

    def close(self) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(Exception):  # closing a connection that already broke
                self._pubsub.close()
            self._pubsub = None

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
