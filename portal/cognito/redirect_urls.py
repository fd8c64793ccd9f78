"""Cognito's rule for app-client callback and logout URLs, stated once.

The portal's input checks (`portal.validation.check_redirect_url`) and the local emulator
(`portal.devtools.emulator.rules`) both call `redirect_url_problem`. Sources, all from botocore's
model `cognito-idp/2016-04-18/service-2.json`:

- `RedirectUrlType`: 1 to 1024 characters matching `[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+`, so no
  whitespace and no control characters;
- `CallbackURLsListType`, `LogoutURLsListType`: at most 100 URLs;
- `CreateUserPoolClientRequest.CallbackURLs` (and `DefaultRedirectURI`): "Be an absolute URI",
  "Not include a fragment component", "Amazon Cognito requires HTTPS over HTTP except for
  callback URLs to http://localhost, http://127.0.0.1 and http://[::1] ... You can specify custom
  TCP ports", "App callback URLs such as myapp://example are also supported".

One rule is deliberately stricter than those texts, which say nothing either way: `javascript:`,
`data:`, `vbscript:` and `file:` URLs are refused, because a sign-in that ends by running script
or reading a local file is never what a tenant means.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

MAX_URL_LENGTH = 1024
MAX_URLS = 100
LOOPBACK_HTTP_HOSTS = ("localhost", "127.0.0.1", "[::1]")
SCRIPT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})
SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")  # RFC 3986 section 3.1
ALLOWED_CATEGORIES = "LMSNP"  # RedirectUrlType's [\p{L}\p{M}\p{S}\p{N}\p{P}]
RULE = (
    "an absolute URL without a #fragment: https, http only on localhost, 127.0.0.1 or [::1] "
    "(any port), or an app scheme such as myapp://callback"
)


def redirect_url_problem(url: str) -> str | None:
    """Why Cognito refuses `url` as a callback or logout URL, or None when it accepts it."""
    if not url or len(url) > MAX_URL_LENGTH:
        return f"must be 1 to {MAX_URL_LENGTH} characters long"
    for char in url:
        if unicodedata.category(char)[0] not in ALLOWED_CATEGORIES:
            return f"contains {_describe(char)}, which Cognito does not accept in a URL"
    if "#" in url:
        return "has a fragment (#...), which Cognito does not accept"
    scheme, colon, rest = url.partition(":")
    if not colon or not SCHEME_RE.fullmatch(scheme) or not rest:
        return "is not an absolute URL (it needs a scheme, as in https://host/path)"
    scheme = scheme.lower()
    if scheme in SCRIPT_SCHEMES:
        return f"uses {scheme}:, which the portal never accepts as a sign-in redirect"
    if scheme not in ("http", "https"):
        return None  # an app scheme (myapp://callback, com.example.app:/cb)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as exc:  # an unbalanced [ or a bad port
        return f"is not a valid URL ({exc})"
    if not host:
        return "has no host name (it needs https://host/path)"
    if scheme == "http" and _http_host(parts.netloc) not in LOOPBACK_HTTP_HOSTS:
        return "uses http, which Cognito accepts only for localhost, 127.0.0.1 and [::1]"
    return None


def _http_host(netloc: str) -> str:
    """The host as written (lower case, brackets kept), without user info and port."""
    host = netloc.rpartition("@")[2].lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


def _describe(char: str) -> str:
    if char.isspace():
        return "whitespace"
    return f"the character U+{ord(char):04X}"
