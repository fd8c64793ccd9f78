"""Counting attempts per key in a time window (sign-in, setup links, API tokens)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from portal.services.engine.gateways import redis_client

_local: dict[str, tuple[int, float]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window resets


def hit(key: str, limit: int, window_seconds: int) -> Verdict:
    """Count one attempt for KEY; refuse once more than LIMIT fall in the current window."""
    client = redis_client()
    name = f"portal:throttle:{key}"
    if client is not None:
        pipe = client.pipeline()
        pipe.incr(name)
        pipe.expire(name, window_seconds, nx=True)
        pipe.ttl(name)
        count, _, ttl = pipe.execute()
        return Verdict(count <= limit, int(count), max(int(ttl), 1))
    now = time.monotonic()
    with _lock:
        count, resets = _local.get(name, (0, now + window_seconds))
        if now >= resets:
            count, resets = 0, now + window_seconds
        count += 1
        _local[name] = (count, resets)
    return Verdict(count <= limit, count, max(int(resets - now), 1))


def clear(key: str) -> None:
    client = redis_client()
    name = f"portal:throttle:{key}"
    if client is not None:
        client.delete(name)
    with _lock:
        _local.pop(name, None)


def count(key: str) -> int:
    """How many attempts KEY has in its current window, without counting one more."""
    client = redis_client()
    name = f"portal:throttle:{key}"
    if client is not None:
        value = client.get(name)
        return int(value) if value else 0
    with _lock:
        hits, resets = _local.get(name, (0, 0.0))
    return hits if time.monotonic() < resets else 0
