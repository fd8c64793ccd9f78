"""Readiness: can this process do its job now? Database, broker and (optionally) Cognito.

Each check is one cheap round trip with its own deadline, run side by side, so a probe answers
within PORTAL_READYZ_TIMEOUT_SECONDS however the dependencies misbehave. Results are "ok" or
"unavailable": no host names, versions or error text reach the caller.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Engine

from portal.config import settings_of
from portal.workers import celery_of

log = logging.getLogger(__name__)
OK, UNAVAILABLE = "ok", "unavailable"
# Shared and small: a hung dependency ties up at most this many threads, never the caller.
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readiness")


def check_readiness(app: Flask) -> dict[str, str]:
    """Run the checks concurrently; each answers "ok" or "unavailable" within the timeout."""
    timeout = settings_of(app).readyz_timeout_seconds
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    with_cognito = settings_of(app).readyz_cognito
    futures = {
        "database": _executor.submit(_database, engine, with_cognito),
        "broker": _executor.submit(_broker, app, timeout),
    }
    results: dict[str, str] = {}
    pool: tuple[str, str] | None = None
    for name, future in futures.items():
        try:
            value = future.result(timeout=timeout)
        except FutureTimeout:
            log.warning("readiness: %s did not answer within %ss", name, timeout)
            results[name] = UNAVAILABLE
        except Exception as exc:
            log.warning("readiness: %s unavailable (%s)", name, type(exc).__name__)
            results[name] = UNAVAILABLE
        else:
            results[name] = OK
            if name == "database":
                pool = value
    if with_cognito and pool is not None:
        results["cognito"] = _bounded(functools.partial(_cognito, app, *pool), timeout)
    return results


def is_ready(results: dict[str, str]) -> bool:
    return all(value == OK for value in results.values())


def _bounded(check: Callable[[], object], timeout: float) -> str:
    try:
        _executor.submit(check).result(timeout=timeout)
    except FutureTimeout:
        log.warning("readiness: cognito did not answer within %ss", timeout)
        return UNAVAILABLE
    except Exception as exc:
        log.warning("readiness: cognito unavailable (%s)", type(exc).__name__)
        return UNAVAILABLE
    return OK


def _database(engine: Engine, want_pool: bool) -> tuple[str, str] | None:
    """One query; with the Cognito check on, it also names a pool to ask Cognito about."""
    with engine.connect() as conn:
        if not want_pool:
            conn.execute(text("SELECT 1"))
            return None
        row = conn.execute(
            text("SELECT user_pool_id, region FROM user_pools ORDER BY id LIMIT 1")
        ).first()
        return (row[0], row[1]) if row else None


@functools.lru_cache(maxsize=4)
def _redis(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def _broker(app: Flask, timeout: float) -> None:
    url = settings_of(app).broker_url
    if url.startswith(("redis://", "rediss://")):
        _redis(url, timeout).ping()
        return
    with celery_of(app).connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


def _cognito(app: Flask, user_pool_id: str, region: str) -> None:
    """One cheap read through the gateway (shared limiter, no retries): credentials, network."""
    with app.app_context():
        from portal.services.engine.gateways import gateway_for

        gateway = gateway_for(region)
        gateway.max_attempts = 1
        gateway.call("DescribeUserPool", user_pool_id)
