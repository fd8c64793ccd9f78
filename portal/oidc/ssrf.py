"""HTTP GET (and POST) for customer- or admin-supplied URLs that cannot reach internal addresses.

Every hop (redirects included) is resolved once, every resolved address is checked, and the
connection goes to the address that was checked, so DNS rebinding cannot swap it afterwards.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 3
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
USER_AGENT = "cognito-tenant-portal/1 (OIDC discovery)"
WEBHOOK_USER_AGENT = "cognito-tenant-portal/1 (webhooks)"


class FetchRefused(Exception):
    """The URL points somewhere the portal must not go; the message says why, for a person."""


class FetchFailed(Exception):
    """The URL could not be fetched (DNS, connection, timeout, size); the message says why."""


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    content_type: str
    body: bytes


def address_refusal(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool
) -> str | None:
    """Why this address may not be fetched, or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if mapped is not None:
            return address_refusal(mapped, allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "it is a loopback address"
    if ip.is_link_local:
        return "it is a link-local address (this includes the cloud metadata service)"
    if ip.is_private:
        return "it is a private network address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "it is not a public unicast address"
    if not ip.is_global:
        return "it is not a public internet address"
    return None


def resolve_checked(host: str, port: int, allow_loopback: bool, loopback_only: bool = False) -> str:
    """Resolve HOST and return one address that passed the checks; refuse if any address fails."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"the host name {host!r} does not resolve ({exc})") from exc
    addresses = []
    for info in infos:
        raw = info[4][0].split("%", 1)[0]
        ip = ipaddress.ip_address(raw)
        reason = address_refusal(ip, allow_loopback)
        if not reason and loopback_only and not _is_loopback_address(ip):
            reason = "http is allowed only for loopback addresses in development; use https"
        if reason:
            raise FetchRefused(
                f"{host} resolves to {ip}, which the portal will not contact: {reason}"
            )
        addresses.append(str(ip))
    if not addresses:
        raise FetchFailed(f"the host name {host!r} has no address")
    return addresses[0]


def check_url_shape(url: str, allow_loopback: bool) -> tuple[str, str, int]:
    """Return (scheme, host, port) for a URL the guard accepts in form."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unbalanced [ in the host ("Invalid IPv6 URL")
        raise FetchRefused(f"{url!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("https", "http"):
        raise FetchRefused(f"{url!r} must start with https://")
    if parts.username or parts.password:
        raise FetchRefused("URLs with a user name or password in them are not accepted")
    if not host:
        raise FetchRefused(f"{url!r} has no host name")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused(f"{url!r} has an invalid port") from exc
    if parts.scheme == "http" and not allow_loopback:
        raise FetchRefused(f"{url!r} uses http; identity providers must be served over https")
    return parts.scheme, host, port


def checked_destination(url: str, allow_loopback: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, address) for a URL the guard lets through, the address checked.

    The one check of where a request may go, run before every hop and when a URL is saved.
    http only when the address actually connected to is loopback (checked after DNS, so a
    development name such as idp.localhost works and a public one does not).
    """
    scheme, host, port = check_url_shape(url, allow_loopback)
    address = resolve_checked(host, port, allow_loopback, loopback_only=scheme == "http")
    return scheme, host, port, address


def _is_loopback_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def guarded_get(
    url: str,
    *,
    allow_loopback: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    accept: str = "application/json",
    follow_redirects: bool = True,
) -> FetchResult:
    """GET a customer URL through the guard, following at most a few checked redirects."""
    return _guarded(
        "GET", url, None, {}, allow_loopback, timeout, max_bytes, accept, follow_redirects
    )


def guarded_post(
    url: str,
    body: dict[str, str] | bytes,
    *,
    headers: dict[str, str] | None = None,
    allow_loopback: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    accept: str = "application/json",
) -> FetchResult:
    """POST a form (a dict: a token request) or raw bytes (a webhook) through the guard.

    Redirects are never followed: following one would re-send the body somewhere nobody
    chose, so a redirect comes back as it came and its status tells the caller.
    """
    extra: dict[str, str] = {}
    if isinstance(body, dict):
        body = urlencode(body).encode("ascii")
        extra["Content-Type"] = "application/x-www-form-urlencoded"
    extra.update(headers or {})
    return _guarded("POST", url, body, extra, allow_loopback, timeout, max_bytes, accept, False)


def _guarded(
    method, url, body, extra_headers, allow_loopback, timeout, max_bytes, accept, follow
) -> FetchResult:
    deadline = time.monotonic() + timeout * 2
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, address = checked_destination(current, allow_loopback)
        remaining = max(0.5, deadline - time.monotonic())
        response = _request(
            scheme,
            host,
            port,
            address,
            current,
            min(timeout, remaining),
            accept,
            method=method,
            body=body,
            extra_headers=extra_headers,
        )
        try:
            if follow and response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchFailed(f"{current} redirects without saying where to")
                current = urljoin(current, location)
                continue
            content = _read_capped(response, max_bytes, current, deadline)
            content_type = response.headers.get("Content-Type", "")
            return FetchResult(current, response.status, content_type, content)
        finally:
            response.release_conn()
    raise FetchFailed(f"{url} redirects more than {MAX_REDIRECTS} times")


def _request(
    scheme, host, port, address, url, timeout, accept, method="GET", body=None, extra_headers=None
):
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal is bracketed in Host
    host_header = name if port in (80, 443) else f"{name}:{port}"
    headers = {"Host": host_header, "User-Agent": USER_AGENT, "Accept": accept}
    headers.update(extra_headers or {})
    import certifi  # only processes that fetch a customer URL load the HTTP stack
    import urllib3

    common = {
        "port": port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **common,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, **common)
    try:
        return pool.urlopen(
            method,
            path,
            body=body,
            headers=headers,
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.SSLError as exc:
        raise FetchFailed(f"the TLS certificate of {host} is not valid: {_short(exc)}") from exc
    except urllib3.exceptions.NewConnectionError as exc:  # a subclass of ConnectTimeoutError
        raise FetchFailed(f"could not connect to {host}: {_connect_reason(exc)}") from exc
    except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
        raise FetchFailed(f"{host} did not answer within {timeout:.0f} seconds") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise FetchFailed(f"{host} could not be reached: {_short(exc)}") from exc


def _read_capped(response, max_bytes: int, url: str, deadline: float) -> bytes:
    from urllib3.exceptions import HTTPError as Urllib3Error

    chunks: list[bytes] = []
    size = 0
    try:
        # read1 returns after each receive, so a server dripping bytes meets the deadline
        # (the socket timeout alone restarts with every byte).
        while chunk := response.read1(16384):
            if time.monotonic() > deadline:
                raise FetchFailed(f"{url} was still sending its answer when the time ran out")
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed(f"{url} returned more than {max_bytes // 1024} KiB")
            chunks.append(chunk)
    except Urllib3Error as exc:
        raise FetchFailed(f"reading {url} failed: {_short(exc)}") from exc
    return b"".join(chunks)


CONNECT_REASONS = {
    errno.ECONNREFUSED: "connection refused (nothing listens on that port)",
    errno.EHOSTUNREACH: "the host is unreachable",
    errno.ENETUNREACH: "the network is unreachable",
    errno.ECONNRESET: "the connection was reset",
    errno.ETIMEDOUT: "the connection timed out",
}


def _connect_reason(exc: Exception) -> str:
    """Why a connection failed, in words; never urllib3's 'HTTPConnection(host=...)' repr."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "errno", None)
        if code in CONNECT_REASONS:
            return CONNECT_REASONS[code]
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\] (.+)$", text)
    return (match.group(1) if match else text.rsplit(": ", 1)[-1]).strip().lower()[:200]


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "..."
