"""Gateways to Cognito configured for this app: the shared limiter and the call ledger."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from flask import current_app

from portal.cognito.gateway import CallRecorder, CognitoGateway
from portal.cognito.limiter import (
    DEMAND_HOLD_SECONDS,
    LocalRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    Yielding,
)
from portal.cognito.pool_notes import PROCESS_NOTES, PoolNotes, RedisPoolNotes
from portal.config import current_settings

if TYPE_CHECKING:
    import redis

_local_limiter = LocalRateLimiter()
_lock = threading.Lock()
_background: ContextVar[bool] = ContextVar("portal_background_work", default=False)


def redis_client() -> redis.Redis | None:
    """The shared-state Redis of this app, or None when it runs without one."""
    url = current_settings().redis_url
    if not url:
        return None
    with _lock:
        clients = current_app.extensions.setdefault("portal_redis", {})
        if url not in clients:
            import redis  # only processes that use Redis pay for importing it

            clients[url] = redis.Redis.from_url(url, socket_timeout=10, health_check_interval=30)
        return clients[url]


def rate_limiter() -> RateLimiter:
    """Redis-backed when Redis is configured (all workers share it), else in-process."""
    fraction = current_settings().cognito_rate_fraction
    client = redis_client()
    if client is None:
        _local_limiter.fraction = fraction
        return _local_limiter
    limiters = current_app.extensions.setdefault("portal_limiters", {})
    key = (id(client), fraction)
    if key not in limiters:
        limiters[key] = RedisRateLimiter(client, fraction=fraction)
    return limiters[key]


def pool_notes() -> PoolNotes:
    """Shared by every worker through Redis when Redis is configured, else by this process."""
    client = redis_client()
    if client is None:
        return PROCESS_NOTES
    notes = current_app.extensions.setdefault("portal_pool_notes", {})
    if id(client) not in notes:
        notes[id(client)] = RedisPoolNotes(client, PROCESS_NOTES)
    return notes[id(client)]


@contextmanager
def background_work() -> Iterator[None]:
    """Cognito calls made inside yield to runs (PORTAL_BACKGROUND_QUOTA_SHARE while any is on)."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def mark_demand() -> None:
    """Runs were queued: background calls yield before the first run's first call.

    Marked at most twice per hold by one process, so queueing a thousand runs costs no more
    Redis round trips than queueing one.
    """
    now = time.monotonic()
    marked = current_app.extensions.setdefault("portal_demand_marked", [float("-inf")])
    if now - marked[0] < DEMAND_HOLD_SECONDS / 2:
        return
    marked[0] = now
    rate_limiter().mark_demand()


def gateway_for(region: str, recorder: CallRecorder | None = None) -> CognitoGateway:
    settings = current_settings()
    limiter = rate_limiter()
    if _background.get():
        limiter = Yielding(limiter, settings.background_quota_share)
    return CognitoGateway(
        region,
        limiter=limiter,
        recorder=recorder,
        max_attempts=settings.cognito_max_attempts,
        base_delay=settings.cognito_retry_base_seconds,
        max_delay=settings.cognito_retry_max_seconds,
    )
