"""The SSRF guard: what it refuses, what it lets through, and that it connects where it checked."""

from __future__ import annotations

import datetime
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from portal.oidc import ssrf
from portal.oidc.ssrf import FetchFailed, FetchRefused, guarded_get

REAL_GETADDRINFO = socket.getaddrinfo

Route = tuple[int, dict[str, str], bytes] | Callable[[BaseHTTPRequestHandler], None]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Host"), self.headers["User-Agent"]))
        route = self.server.routes.get(self.path, (404, {}, b"not found"))
        if callable(route):
            route(self)
            return
        status, headers, body = route
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, family: socket.AddressFamily) -> None:
        self.address_family = family
        super().__init__((host, 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, str | None, str | None]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


@contextmanager
def serving(
    host: str = "127.0.0.1",
    family: socket.AddressFamily = socket.AF_INET,
    tls: ssl.SSLContext | None = None,
) -> Iterator[_Server]:
    """An HTTP(S) server on a free loopback port, answering from its `routes`."""
    server = _Server(host, family)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    with serving() as running:
        yield running


def redirect(location: str, status: int = 302) -> Route:
    return (status, {"Location": location}, b"")


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve the given names to the given addresses (others as usual); return the lookups."""
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        lookups.append(host)
        addresses = answers[host]
        address = addresses[min(len(lookups), len(addresses)) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    # The guard and urllib3 share the socket module, so a second lookup by urllib3 is seen too.
    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    return lookups


# --- Addresses the portal must never contact -------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1/", "loopback"),
        ("https://localhost/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://127.1/", "loopback"),
        ("https://10.0.0.1/", "private"),
        ("https://10.255.255.254/", "private"),
        ("https://172.16.0.1/", "private"),
        ("https://172.31.255.254/", "private"),
        ("https://192.168.1.1/", "private"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://169.254.1.1/", "link-local"),
        ("https://[fe80::1]/", "link-local"),
        ("https://[fd00:ec2::254]/latest/meta-data/", "private"),
        ("https://100.64.0.1/", "not a public"),
        ("https://100.127.255.254/", "not a public"),
        ("https://0.0.0.0/", "will not contact"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://[::ffff:169.254.169.254]/", "metadata"),
        ("https://2130706433/", "loopback"),
        ("https://0177.0.0.1/", "loopback"),
        ("https://0x7f.0.0.1/", "loopback"),
        ("https://0x7f000001/", "loopback"),
    ],
)
def test_internal_addresses_are_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        guarded_get(url)
    assert why in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://127.0.0.1/",
        "http://localhost/",
        "http://example.com/",
    ],
)
def test_http_is_refused_without_allow_loopback(url: str) -> None:
    with pytest.raises(FetchRefused, match="https"):
        guarded_get(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/",
        "https://192.168.0.10/",
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://100.64.0.1/",
        "https://[::ffff:10.0.0.1]/",
    ],
)
def test_allow_loopback_still_refuses_private_and_metadata(url: str) -> None:
    with pytest.raises(FetchRefused):
        guarded_get(url, allow_loopback=True)


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch) -> None:
    fake_dns(monkeypatch, {"idp.example.com": ["10.1.2.3"]})
    with pytest.raises(FetchRefused) as refused:
        guarded_get("https://idp.example.com/.well-known/openid-configuration")
    message = str(refused.value)
    assert "idp.example.com" in message
    assert "10.1.2.3" in message
    assert "private" in message


def test_one_private_address_among_public_ones_is_enough_to_refuse(monkeypatch) -> None:
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:169.254.169.254", 443, 0, 0)),
    ]
    monkeypatch.setattr(ssrf.socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(FetchRefused, match="metadata"):
        guarded_get("https://idp.example.com/")


def test_a_name_that_does_not_resolve_fails_with_the_name(monkeypatch) -> None:
    def getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(FetchFailed, match=re.escape("'idp.nowhere.example' does not resolve")):
        guarded_get("https://idp.nowhere.example/")


@pytest.mark.parametrize(
    "url", ["ftp://idp.example.com/", "file:///etc/passwd", "gopher://127.0.0.1/", "idp.example"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused, match="must start with https://"):
        guarded_get(url, allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cret@idp.example.com/",
        "https://user@idp.example.com/",
        "http://admin:s3cret@127.0.0.1/",
    ],
)
def test_credentials_in_the_url_are_refused_and_not_repeated(url: str) -> None:
    with pytest.raises(FetchRefused, match="user name or password") as refused:
        guarded_get(url, allow_loopback=True)
    assert "s3cret" not in str(refused.value)


# --- http in development: loopback only -------------------------------------------------------


def test_http_to_a_public_address_is_refused_even_with_allow_loopback(monkeypatch) -> None:
    fake_dns(monkeypatch, {"idp.example.com": ["93.184.215.14"]})
    with pytest.raises(FetchRefused, match="http is allowed only for loopback"):
        guarded_get("http://idp.example.com/", allow_loopback=True)
    with pytest.raises(FetchRefused, match="http is allowed only for loopback"):
        guarded_get("http://8.8.8.8/", allow_loopback=True)


def test_loopback_fetch_when_allowed_returns_the_answer(server: _Server) -> None:
    server.routes["/doc?x=1"] = (200, {"Content-Type": "application/json"}, b'{"a": 1}')
    result = guarded_get(f"http://localhost:{server.port}/doc?x=1", allow_loopback=True)
    assert (result.status, result.content_type, result.body) == (
        200,
        "application/json",
        b'{"a": 1}',
    )
    assert result.url == f"http://localhost:{server.port}/doc?x=1"
    path, host, agent = server.seen[0]
    assert (path, host) == ("/doc?x=1", f"localhost:{server.port}")
    assert agent == ssrf.USER_AGENT


def test_loopback_is_refused_when_not_allowed_even_if_a_server_listens(server: _Server) -> None:
    server.routes["/"] = (200, {}, b"hello")
    with pytest.raises(FetchRefused, match="loopback"):
        guarded_get(f"https://127.0.0.1:{server.port}/")
    assert server.seen == []


def test_ipv6_loopback_gets_a_bracketed_host_header() -> None:
    with serving("::1", socket.AF_INET6) as v6:
        v6.routes["/"] = (200, {}, b"hello")
        result = guarded_get(f"http://[::1]:{v6.port}/", allow_loopback=True)
    assert result.body == b"hello"
    assert v6.seen[0][1] == f"[::1]:{v6.port}"


# --- Redirects ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/",
        "https://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:192.168.0.1]/",
    ],
)
def test_a_redirect_to_a_forbidden_address_is_refused(server: _Server, target: str) -> None:
    server.routes["/"] = redirect(target)
    with pytest.raises(FetchRefused):
        guarded_get(f"http://127.0.0.1:{server.port}/", allow_loopback=True)
    assert [seen[0] for seen in server.seen] == ["/"]


def test_three_redirects_are_followed_with_relative_locations(server: _Server) -> None:
    base = f"http://127.0.0.1:{server.port}"
    server.routes["/a"] = redirect("/b", 301)
    server.routes["/b"] = redirect(f"http://localhost:{server.port}/c", 307)
    server.routes["/c"] = redirect("d", 308)
    server.routes["/d"] = (200, {}, b"arrived")
    result = guarded_get(f"{base}/a", allow_loopback=True)
    assert result.body == b"arrived"
    assert result.url == f"http://localhost:{server.port}/d"


def test_more_than_three_redirects_fail(server: _Server) -> None:
    for hop in range(10):
        server.routes[f"/{hop}"] = redirect(f"/{hop + 1}")
    with pytest.raises(FetchFailed, match="redirects more than 3 times"):
        guarded_get(f"http://127.0.0.1:{server.port}/0", allow_loopback=True)
    assert len(server.seen) == 4


def test_a_redirect_without_location_fails(server: _Server) -> None:
    server.routes["/"] = (302, {}, b"")
    with pytest.raises(FetchFailed, match="without saying where"):
        guarded_get(f"http://127.0.0.1:{server.port}/", allow_loopback=True)


# --- DNS rebinding: the connection goes to the address that was checked ----------------------


def test_dns_rebinding_cannot_swap_the_checked_address(monkeypatch, server: _Server) -> None:
    server.routes["/"] = (200, {}, b"from loopback")
    lookups = fake_dns(monkeypatch, {"rebind.test": ["127.0.0.1", "10.0.0.1"]})
    result = guarded_get(f"http://rebind.test:{server.port}/", allow_loopback=True)
    assert result.body == b"from loopback"
    assert lookups == ["rebind.test"]  # one lookup for one hop: nobody resolved it again
    assert server.seen[0][1] == f"rebind.test:{server.port}"


def test_each_redirect_hop_is_resolved_and_checked_again(monkeypatch, server: _Server) -> None:
    server.routes["/start"] = redirect(f"http://rebind.test:{server.port}/next")
    server.routes["/next"] = (200, {}, b"should not be fetched")
    lookups = fake_dns(monkeypatch, {"rebind.test": ["127.0.0.1", "10.0.0.1"]})
    with pytest.raises(FetchRefused, match=re.escape("rebind.test resolves to 10.0.0.1")):
        guarded_get(f"http://rebind.test:{server.port}/start", allow_loopback=True)
    assert lookups == ["rebind.test", "rebind.test"]
    assert [seen[0] for seen in server.seen] == ["/start"]


# --- HTTPS: pinned to the checked address, certificate checked against the name ---------------


def _tls_files(tmp_path: Path, name: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for NAME; returns (ca, cert, key) PEM files."""
    now = datetime.datetime.now(datetime.UTC)
    validity = (now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1))

    def build(subject, issuer, public_key, signing_key, *, is_ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(validity[0])
            .not_valid_after(validity[1])
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )
        if is_ca:
            usage = x509.KeyUsage(True, False, False, False, False, True, True, False, False)
            builder = builder.add_extension(usage, critical=True)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
            ).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal test CA")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, is_ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    leaf = build(leaf_name, ca_name, key.public_key(), ca_key, is_ca=False)
    paths = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@contextmanager
def tls_server(tmp_path: Path, name: str) -> Iterator[tuple[_Server, Path]]:
    ca, cert, key = _tls_files(tmp_path, name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with serving(tls=context) as running:
        yield running, ca


def test_https_connects_to_the_checked_address_and_verifies_the_name(
    monkeypatch, tmp_path: Path
) -> None:
    with tls_server(tmp_path, "idp.rebind.test") as (secure, ca):
        secure.routes["/"] = (200, {}, b"over tls")
        monkeypatch.setattr(certifi, "where", lambda: str(ca))
        lookups = fake_dns(monkeypatch, {"idp.rebind.test": ["127.0.0.1", "10.0.0.1"]})
        result = guarded_get(f"https://idp.rebind.test:{secure.port}/", allow_loopback=True)
    assert result.body == b"over tls"
    assert lookups == ["idp.rebind.test"]
    assert secure.seen[0][1] == f"idp.rebind.test:{secure.port}"


def test_https_with_a_certificate_for_another_name_fails(monkeypatch, tmp_path: Path) -> None:
    with tls_server(tmp_path, "someone-else.test") as (secure, ca):
        monkeypatch.setattr(certifi, "where", lambda: str(ca))
        fake_dns(monkeypatch, {"idp.rebind.test": ["127.0.0.1"]})
        with pytest.raises(
            FetchFailed, match=re.escape("TLS certificate of idp.rebind.test is not valid")
        ):
            guarded_get(f"https://idp.rebind.test:{secure.port}/", allow_loopback=True)
    assert secure.seen == []


def test_https_with_an_untrusted_certificate_fails(monkeypatch, tmp_path: Path) -> None:
    with tls_server(tmp_path, "idp.rebind.test") as (secure, _ca):
        fake_dns(monkeypatch, {"idp.rebind.test": ["127.0.0.1"]})
        with pytest.raises(FetchFailed, match="TLS certificate"):
            guarded_get(f"https://idp.rebind.test:{secure.port}/", allow_loopback=True)


def test_a_redirect_from_https_down_to_public_http_is_refused(monkeypatch, tmp_path: Path) -> None:
    with tls_server(tmp_path, "idp.rebind.test") as (secure, ca):
        secure.routes["/"] = redirect("http://plain.example.com/")
        monkeypatch.setattr(certifi, "where", lambda: str(ca))
        fake_dns(
            monkeypatch, {"idp.rebind.test": ["127.0.0.1"], "plain.example.com": ["93.184.215.14"]}
        )
        with pytest.raises(FetchRefused, match="http is allowed only for loopback"):
            guarded_get(f"https://idp.rebind.test:{secure.port}/", allow_loopback=True)
    assert len(secure.seen) == 1


# --- Time and size limits ----------------------------------------------------------------------


def test_a_server_that_never_answers_fails_within_the_timeout() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts connections; nobody ever reads or answers
    try:
        started = time.monotonic()
        with pytest.raises(FetchFailed, match="did not answer within 1 second"):
            guarded_get(
                f"http://127.0.0.1:{silent.getsockname()[1]}/", allow_loopback=True, timeout=1
            )
        assert time.monotonic() - started < 3
    finally:
        silent.close()


def test_a_server_dripping_its_body_fails_within_the_time_limit(server: _Server) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(40):  # one byte every 0.2 s: each read is quick, the whole is not
                handler.wfile.write(b"{")
                handler.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    server.routes["/"] = drip
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="time ran out"):
        guarded_get(f"http://127.0.0.1:{server.port}/", allow_loopback=True, timeout=1)
    assert time.monotonic() - started < 4


def test_a_closed_port_says_connection_refused_in_words() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(FetchFailed) as failure:
        guarded_get(f"http://127.0.0.1:{port}/", allow_loopback=True, timeout=1)
    assert str(failure.value).startswith("could not connect to 127.0.0.1: connection refused")
    assert "HTTPConnection" not in str(failure.value) and "Errno" not in str(failure.value)


def test_a_body_over_the_cap_fails_and_one_at_the_cap_is_read(server: _Server) -> None:
    server.routes["/big"] = (200, {}, b"x" * 8193)
    server.routes["/exact"] = (200, {}, b"x" * 8192)
    with pytest.raises(FetchFailed, match="more than 8 KiB"):
        guarded_get(f"http://127.0.0.1:{server.port}/big", allow_loopback=True, max_bytes=8192)
    exact = guarded_get(
        f"http://127.0.0.1:{server.port}/exact", allow_loopback=True, max_bytes=8192
    )
    assert len(exact.body) == 8192


def test_a_body_without_length_is_capped_while_streaming(server: _Server) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for _ in range(1000):  # 16 MiB if nobody stops reading
                handler.wfile.write(b"x" * 16384)
        except OSError:
            pass

    server.routes["/"] = endless
    with pytest.raises(FetchFailed, match="more than 64 KiB"):
        guarded_get(f"http://127.0.0.1:{server.port}/", allow_loopback=True, max_bytes=65536)
