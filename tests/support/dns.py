"""A small authoritative DNS server on 127.0.0.1 (UDP, unprivileged port) for TXT lookups."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from tests.support.settings import set_settings


class DnsServer:
    """Answers TXT questions from `records` (name -> strings); NXDOMAIN for other names.

    `silent` names get no answer at all, so a resolver times out on them.
    """

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.silent: set[str] = set()
        self.queries: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="test-dns", daemon=True)

    @property
    def address(self) -> str:
        """The PORTAL_DNS_RESOLVERS entry for this server."""
        return f"127.0.0.1:{self.port}"

    def publish(self, name: str, *values: str) -> None:
        self.records[name.lower().rstrip(".")] = list(values)

    def withdraw(self, name: str) -> None:
        self.records.pop(name.lower().rstrip("."), None)

    def start(self) -> DnsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:
                continue  # not a DNS message: a real server drops it too
            reply = self._answer(query)
            if reply is not None:
                self._sock.sendto(reply.to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message | None:
        question = query.question[0]
        name = question.name.to_text().lower().rstrip(".")
        self.queries.append(name)
        if name in self.silent:
            return None
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA
        values = self.records.get(name)
        if values is None:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT:
            quoted = [f'"{v}"' for v in values]
            reply.answer.append(
                dns.rrset.from_text(question.name, 60, dns.rdataclass.IN, "TXT", *quoted)
            )
        return reply


@contextmanager
def dns_server() -> Iterator[DnsServer]:
    server = DnsServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dns_zone(app, monkeypatch) -> Iterator[DnsServer]:
    """A local DNS server the portal's domain checks use (PORTAL_DNS_RESOLVERS), 1 s timeout."""
    with dns_server() as server:
        set_settings(
            monkeypatch, app, dns_resolvers=(("127.0.0.1", server.port),), dns_timeout_seconds=1.0
        )
        yield server
