"""Failed sign-ins counted per (account, address), with an exponential delay.

A stranger guessing an admin's password from their own address only slows down their own
attempts: the admin, from another address, signs in as usual. The counting is the same whether
the account exists or not, so the delay tells nothing about which accounts exist. Both sign-in
steps (password and TOTP code) count on the same key, and only a completed sign-in clears it.
Kept in Redis (shared by every web process) when there is one, else in this process.
"""

from __future__ import annotations

import hashlib
import threading
import time

from portal.services.engine.gateways import redis_client

FREE_FAILURES = 4  # failures without any delay; the 5th and later ones impose one
FIRST_DELAY_SECONDS = 30  # after the 5th failure; doubling with each further one
MAX_DELAY_SECONDS = 15 * 60
FORGET_SECONDS = 24 * 3600  # failures older than a day without another are forgotten
PREFIX = "portal:signin-failures"

_local: dict[str, tuple[int, float, float]] = {}  # key -> (failures, blocked until, expires)
_lock = threading.Lock()


def _account(email: str) -> str:
    normal = (email or "").strip().lower()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def _key(email: str, address: str | None) -> str:
    return f"{PREFIX}:{_account(email)}:{address or '-'}"


def delay_after(failures: int) -> int:
    """Seconds to wait after the FAILURES-th failure in a row (0 for the first few)."""
    if failures <= FREE_FAILURES:
        return 0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - FREE_FAILURES - 1))


def wait_seconds(email: str, address: str | None) -> int:
    """How long EMAIL must wait before trying again from ADDRESS; 0: go ahead."""
    now = time.time()
    client = redis_client()
    key = _key(email, address)
    if client is not None:
        until = client.hget(key, "until")
        blocked_until = float(until) if until else 0.0
    else:
        with _lock:
            _failures, blocked_until, expires = _local.get(key, (0, 0.0, 0.0))
            if expires <= now:
                blocked_until = 0.0
    return max(0, int(blocked_until - now + 0.999))


def record_failure(email: str, address: str | None) -> int:
    """Count one failure; returns the delay it imposes on the next attempt, in seconds."""
    now = time.time()
    client = redis_client()
    key = _key(email, address)
    if client is not None:
        failures = int(client.hincrby(key, "failures", 1))
        delay = delay_after(failures)
        pipe = client.pipeline()
        pipe.hset(key, "until", now + delay)
        pipe.expire(key, FORGET_SECONDS)
        pipe.execute()
        return delay
    with _lock:
        failures, _until, expires = _local.get(key, (0, 0.0, 0.0))
        failures = failures + 1 if expires > now else 1
        delay = delay_after(failures)
        _local[key] = (failures, now + delay, now + FORGET_SECONDS)
    return delay


def clear(email: str, address: str | None) -> None:
    """A completed sign-in from ADDRESS: its failures are forgiven."""
    client = redis_client()
    key = _key(email, address)
    if client is not None:
        client.delete(key)
    with _lock:
        _local.pop(key, None)


def clear_account(email: str) -> int:
    """Forgive EMAIL's failures from every address (an admin's unlock); returns how many."""
    pattern = f"{PREFIX}:{_account(email)}:"
    client = redis_client()
    removed = 0
    if client is not None:
        keys = list(client.scan_iter(match=pattern + "*", count=500))
        removed = client.delete(*keys) if keys else 0
    with _lock:
        for key in [k for k in _local if k.startswith(pattern)]:
            del _local[key]
            removed += 1
    return removed


def delayed_addresses(emails: list[str]) -> dict[str, int]:
    """For each of EMAILS, from how many addresses it must currently wait (one Redis scan)."""
    accounts = {_account(email): email for email in emails}
    counts = dict.fromkeys(emails, 0)
    now = time.time()
    client = redis_client()
    if client is not None:
        keys = list(client.scan_iter(match=f"{PREFIX}:*", count=1000))
        pipe = client.pipeline()
        for key in keys:
            pipe.hget(key, "until")
        for key, until in zip(keys, pipe.execute(), strict=True):
            account = key.decode().split(":")[2]
            if account in accounts and until and float(until) > now:
                counts[accounts[account]] += 1
        return counts
    with _lock:
        for key, (_failures, until, expires) in _local.items():
            account = key.split(":")[2]
            if account in accounts and until > now and expires > now:
                counts[accounts[account]] += 1
    return counts
