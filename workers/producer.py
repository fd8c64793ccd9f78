"""Sending a task by name with kombu alone, for processes that only send (the CLI, the web).

Building the Celery app to send one run id cost `portal tenants onboard X` Celery's import, its
app and its AMQP set-up (0.42 s of a loaded machine's CLI, BENCHMARKS.md "Second pass"): the
workers need the app, a sender does not. The message is Celery's task protocol 2 exactly as
`Celery.send_task` builds it (celery/app/amqp.py, `as_task_v2` and the task sender), published the
same way through the same kombu transport: to the default queue `celery` over the anonymous
exchange, the queue declared, persistent, JSON, retried by kombu's `ensure` when the broker
connection drops. tests/workers/test_producer.py holds the two side by side.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from typing import TYPE_CHECKING, Any

from portal.config import settings_of

if TYPE_CHECKING:
    from flask import Flask
    from kombu import Connection, Producer, Queue

DEFAULT_QUEUE = "celery"  # Celery's task_default_queue, exchange and routing key
# Celery's task_publish_retry_policy default.
RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_max": 1, "interval_step": 0.2}
CONNECT_TIMEOUT = 4.0  # Celery's broker_connection_timeout default
EXTENSION = "portal.producer"


class TaskProducer:
    """One broker connection per process, opened on the first send, shared by its threads."""

    def __init__(self, app: Flask) -> None:
        from kombu import Connection, Exchange, Queue

        from portal.workers import broker_transport

        url, options = broker_transport(settings_of(app).broker_url, make_folders=True)
        self._connection: Connection = Connection(
            url, transport_options=options, connect_timeout=CONNECT_TIMEOUT
        )
        self._queue: Queue = Queue(
            DEFAULT_QUEUE, Exchange(DEFAULT_QUEUE, type="direct"), routing_key=DEFAULT_QUEUE
        )
        self._producer: Producer | None = None
        self._lock = threading.Lock()

    def connect(self) -> None:
        """Open the broker connection and the producer now rather than at the first send."""
        with self._lock:
            # One attempt: a broker that is down costs the send's own retries, not twice them.
            self._connection.ensure_connection(max_retries=0)
            if self._producer is None:
                self._producer = self._connection.Producer(serializer="json")

    def send(self, name: str, args: list[Any], headers: dict[str, str] | None = None) -> str:
        task_id = str(uuid.uuid4())
        message_headers = task_headers(task_id, name, args) | (headers or {})
        body = (args, {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None})
        with self._lock:  # a kombu channel is not for two threads at once
            if self._producer is None:
                self._producer = self._connection.Producer(serializer="json")
            self._producer.publish(
                body,
                exchange="",
                routing_key=DEFAULT_QUEUE,
                serializer="json",
                delivery_mode=2,
                declare=[self._queue],
                headers=message_headers,
                retry=True,
                retry_policy=RETRY_POLICY,
                correlation_id=task_id,
                reply_to="",
            )
        return task_id

    def close(self) -> None:
        with self._lock:
            self._producer = None
            self._connection.release()


def task_headers(task_id: str, name: str, args: list[Any]) -> dict[str, Any]:
    """Celery's protocol 2 headers for a task sent now, without retries, ETA or expiry."""
    return {
        "lang": "py",
        "task": name,
        "id": task_id,
        "shadow": None,
        "eta": None,
        "expires": None,
        "group": None,
        "group_index": None,
        "retries": 0,
        "timelimit": [None, None],
        "root_id": task_id,
        "parent_id": None,
        "argsrepr": repr(list(args)),
        "kwargsrepr": "{}",
        "origin": f"gen{os.getpid()}@{socket.gethostname()}",
        "ignore_result": None,
        "replaced_task_nesting": 0,
        "stamped_headers": None,
        "stamps": {},
    }


def producer_of(app: Flask) -> TaskProducer:
    """The app's producer, made on first use."""
    app = getattr(app, "_get_current_object", lambda: app)()
    producer = app.extensions.get(EXTENSION)
    if producer is None:
        producer = app.extensions.setdefault(EXTENSION, TaskProducer(app))
    return producer
