"""`portal metrics serve`: the Prometheus endpoint, on its own port, optionally token-protected.

A separate port rather than /metrics on the web app: the public listener never exposes
operational data, a scrape never takes a gunicorn worker from a person, and one exporter adds
up the web, worker and beat processes of a host through the shared PROMETHEUS_MULTIPROC_DIR.
Queue depth, pool usage and tenant counts are read from Redis and the database at scrape time.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import redis
from flask import Flask
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer
from sqlalchemy import func, select

from portal.config import settings_of
from portal.workers import celery_of

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# kombu's Redis transport keeps priority levels 3, 6 and 9 of a queue in separate lists.
KOMBU_PRIORITY_SEP = "\x06\x16"
KOMBU_PRIORITY_STEPS = (3, 6, 9)


class PortalStateCollector:
    """Gauges read at scrape time: queue depth, pool usage against quotas, tenants by status."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "portal_state_up", "1 if the source answered this scrape, else 0.", labels=["source"]
        )
        with self.app.app_context():
            for source, read in (("broker", self._queue), ("database", self._database)):
                try:
                    families = list(read())
                except Exception as exc:  # an exporter must answer even when a source is down
                    log.warning("metrics: reading %s failed (%s)", source, type(exc).__name__)
                    up.add_metric([source], 0)
                    continue
                up.add_metric([source], 1)
                yield from families
        yield up

    def _queue(self) -> Iterable[Metric]:
        broker = settings_of(self.app).broker_url
        if not broker.startswith(("redis://", "rediss://")):
            return []
        celery = celery_of(self.app)
        queue = celery.conf.task_default_queue
        client = redis.Redis.from_url(broker, socket_timeout=2, socket_connect_timeout=2)
        try:
            keys = [queue] + [f"{queue}{KOMBU_PRIORITY_SEP}{p}" for p in KOMBU_PRIORITY_STEPS]
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.llen(key)
            pipe.hlen("unacked")
            *lengths, unacked = pipe.execute()
        finally:
            client.close()
        depth = GaugeMetricFamily(
            "portal_queue_depth", "Messages waiting in the Celery queue.", labels=["queue"]
        )
        depth.add_metric([queue], sum(lengths))
        taken = GaugeMetricFamily(
            "portal_queue_unacked", "Messages a worker took and has not acknowledged yet."
        )
        taken.add_metric([], unacked)
        return [depth, taken]

    def _database(self) -> Iterable[Metric]:
        from portal.extensions import db
        from portal.models import Tenant
        from portal.services.pools.registry import list_usage

        used = GaugeMetricFamily(
            "portal_pool_usage",
            "Resources used in each registered user pool.",
            labels=["user_pool_id", "resource"],
        )
        limit = GaugeMetricFamily(
            "portal_pool_quota",
            "Quota of each resource in each registered user pool.",
            labels=["user_pool_id", "resource"],
        )
        for usage in list_usage():
            pool_id = usage.pool.user_pool_id
            for resource, count, quota in (
                ("app_clients", usage.clients, usage.pool.max_clients),
                ("identity_providers", usage.identity_providers, usage.pool.max_identity_providers),
                ("managed_login_styles", usage.styles, usage.max_styles),
            ):
                used.add_metric([pool_id, resource], count)
                limit.add_metric([pool_id, resource], quota)
        tenants = GaugeMetricFamily("portal_tenants", "Tenants by status.", labels=["status"])
        for status, count in db.session.execute(
            select(Tenant.status, func.count(Tenant.id)).group_by(Tenant.status)
        ):
            tenants.add_metric([str(status)], count)
        return [used, limit, tenants]


def build_registry(app: Flask) -> CollectorRegistry:
    """Every process's counters (multiprocess mode) plus the state read at scrape time."""
    registry = CollectorRegistry()
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    registry.register(PortalStateCollector(app))
    return registry


def metrics_app(registry: CollectorRegistry, token: str | None) -> Callable[..., Iterable[bytes]]:
    """A WSGI app serving GET /metrics; with a token, only to `Authorization: Bearer <token>`."""
    expected = f"Bearer {token}".encode() if token else None

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if expected is not None:
            given = environ.get("HTTP_AUTHORIZATION", "").encode()
            if not hmac.compare_digest(given, expected):
                start_response(
                    "401 Unauthorized",
                    [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
                )
                return [b"unauthorized\n"]
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
            return [b""]
        body = generate_latest(registry)
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")]
        )
        return [body]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def serve(app: Flask, host: str, port: int, ready: Callable[[int], None] | None = None) -> None:
    """Serve /metrics until interrupted."""
    wsgi = metrics_app(build_registry(app), settings_of(app).metrics_token)
    server = make_server(host, port, wsgi, ThreadingWSGIServer, handler_class=_QuietHandler)
    if ready is not None:
        ready(server.server_port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def reset_multiprocess_dir() -> int:
    """Delete the previous deployment's per-process metric files; returns how many."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return 0
    removed = 0
    for path in Path(directory).glob("*.db"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
