"""A webhook receiver on 127.0.0.1 that records what it gets and answers as scripted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.settings import set_settings


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then 200) and keeps what arrived."""

    url: str
    received: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            rec = state["receiver"]
            rec.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            status = rec.script.pop(0) if rec.script else 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"thanks" if status < 300 else b"not now")
            rec.arrived.set()

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(f"http://127.0.0.1:{server.server_port}/hooks/portal")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_webhooks(app, monkeypatch):
    """Let webhooks reach 127.0.0.1 in this process (PORTAL_ALLOW_LOOPBACK_WEBHOOKS)."""
    set_settings(monkeypatch, app, allow_loopback_webhooks=True)
