"""The dev stack's file broker hands a run to a waiting worker at once, not on its next poll."""

from __future__ import annotations

import threading
import time

from portal.workers import celery_of
from tests.support.workers import file_broker_app


def test_a_message_on_the_file_broker_reaches_a_waiting_consumer_within_a_quarter_second(
    tmp_path,
):
    app = file_broker_app(tmp_path)
    celery = celery_of(app)
    received: list[float] = []
    with celery.connection_for_read() as reader, celery.connection_for_write() as writer:
        inbox = reader.SimpleQueue("file-broker-latency")
        outbox = writer.SimpleQueue("file-broker-latency")
        consumer = threading.Thread(
            target=lambda: (inbox.get(timeout=5).ack(), received.append(time.monotonic()))
        )
        consumer.start()
        time.sleep(0.3)  # the consumer is waiting (polling) before the message exists
        sent = time.monotonic()
        outbox.put({"run_id": 1})
        consumer.join(6)
        inbox.close()
        outbox.close()
    assert received, "the message never arrived"
    assert received[0] - sent < 0.25, f"seen {received[0] - sent:.2f} s after it was sent"
