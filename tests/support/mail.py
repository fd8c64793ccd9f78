"""A local SMTP server (aiosmtpd) whose inbox the test reads."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from tests.support.settings import set_settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp_server(app, monkeypatch):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    set_settings(monkeypatch, app, smtp_url=f"smtp://127.0.0.1:{port}")
    set_settings(monkeypatch, app, vendor_name="Globex Cloud")
    yield inbox
    controller.stop()
