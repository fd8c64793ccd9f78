"""Gateways to Cognito configured for this app: the shared limiter and the call ledger."""

from __future__ import annotations

import threading

import redis
from flask import current_app

from portal.cognito.gateway import CallRecorder, CognitoGateway
from portal.cognito.limiter import LocalRateLimiter, RateLimiter, RedisRateLimiter

_local_limiter = LocalRateLimiter()
_lock = threading.Lock()


def redis_client() -> redis.Redis | None:
    """The shared-state Redis of this app, or None when it runs without one."""
    url = current_app.config.get("PORTAL_REDIS_URL")
    if not url:
        return None
    with _lock:
        clients = current_app.extensions.setdefault("portal_redis", {})
        if url not in clients:
            clients[url] = redis.Redis.from_url(url, socket_timeout=10, health_check_interval=30)
        return clients[url]


def rate_limiter() -> RateLimiter:
    """Redis-backed when Redis is configured (all workers share it), else in-process."""
    fraction = float(current_app.config.get("PORTAL_COGNITO_RATE_FRACTION", 1.0))
    client = redis_client()
    if client is None:
        _local_limiter.fraction = fraction
        return _local_limiter
    limiters = current_app.extensions.setdefault("portal_limiters", {})
    key = (id(client), fraction)
    if key not in limiters:
        limiters[key] = RedisRateLimiter(client, fraction=fraction)
    return limiters[key]


def gateway_for(region: str, recorder: CallRecorder | None = None) -> CognitoGateway:
    config = current_app.config
    return CognitoGateway(
        region,
        limiter=rate_limiter(),
        recorder=recorder,
        max_attempts=int(config.get("PORTAL_COGNITO_MAX_ATTEMPTS", 8)),
        base_delay=float(config.get("PORTAL_COGNITO_RETRY_BASE_SECONDS", 0.25)),
        max_delay=float(config.get("PORTAL_COGNITO_RETRY_MAX_SECONDS", 10.0)),
    )
