"""Lasting facts about a pool that the runs working on it at once share, so one adds for all.

Custom attributes can never be deleted from a user pool ("You can't remove or change a custom
attribute after you add it", Cognito developer guide, user-pool-settings-attributes), so an
attribute one run saw in a pool holds for every later run. The first runs on a new pool, started
together, wait for one of them to add them (or, when the add is refused, read the pool) instead
of each trying: 40 tenants on 2 new pools with 4 worker processes once made 11 DescribeUserPool
calls, allowed 5 a second per pool, the last a second after the batch began (bench/onboarding.py
40 x 2).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol


class PoolNotes(Protocol):
    def attributes(self, pool_id: str) -> frozenset[str]:
        """The custom attributes known to exist in the pool."""

    def note_attributes(self, pool_id: str, names: Iterable[str]) -> None:
        """Remember that NAMES exist in the pool."""

    def exclusive(self, pool_id: str) -> AbstractContextManager[None]:
        """Held by one run at a time per pool while it reads and adds attributes."""


class ProcessPoolNotes:
    """Kept in this process: the runs on its threads share them."""

    def __init__(self) -> None:
        self._attributes: dict[str, frozenset[str]] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def attributes(self, pool_id: str) -> frozenset[str]:
        return self._attributes.get(pool_id, frozenset())

    def note_attributes(self, pool_id: str, names: Iterable[str]) -> None:
        with self._guard:
            self._attributes[pool_id] = self.attributes(pool_id) | frozenset(names)

    @contextmanager
    def exclusive(self, pool_id: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(pool_id, threading.Lock())
        with lock:
            yield


PROCESS_NOTES = ProcessPoolNotes()


class RedisPoolNotes:
    """Shared by every worker process through Redis, on top of this process's own notes."""

    LOCK_SECONDS = 60  # a read and an add take well under a second; a dead holder frees it
    POLL_SECONDS = 0.005  # redis-py polls a held lock every 0.1 s unless told otherwise

    def __init__(self, client: Any, local: ProcessPoolNotes, prefix: str = "portal:pool:") -> None:
        self.client = client
        self.local = local
        self.prefix = prefix

    def attributes(self, pool_id: str) -> frozenset[str]:
        shared = {m.decode() for m in self.client.smembers(f"{self.prefix}{pool_id}:attributes")}
        return self.local.attributes(pool_id) | frozenset(shared)

    def note_attributes(self, pool_id: str, names: Iterable[str]) -> None:
        names = frozenset(names)
        self.local.note_attributes(pool_id, names)
        if names:
            self.client.sadd(f"{self.prefix}{pool_id}:attributes", *sorted(names))

    @contextmanager
    def exclusive(self, pool_id: str) -> Iterator[None]:
        # This process's runs queue on its own lock, not on Redis; then one run of all.
        lock = self.client.lock(
            f"{self.prefix}{pool_id}:attributes-lock",
            timeout=self.LOCK_SECONDS,
            blocking_timeout=self.LOCK_SECONDS,
            sleep=self.POLL_SECONDS,
        )
        with self.local.exclusive(pool_id), lock:
            yield
