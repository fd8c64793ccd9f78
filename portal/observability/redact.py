"""Defence in depth for logs: redact secret-named values and known secret shapes.

The code already keeps secrets out of log calls; this catches the mistake nobody saw coming
(an exception message quoting a URL with a password, a token pasted into a field).
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
SECRET_NAME_RE = re.compile(
    r"secret|passw(?:or)?d|passwd|token|authorization|api[_-]?key|private[_-]?key|credential"
    r"|cookie|signature",
    re.IGNORECASE,
)
# Secrets that travel in URLs: a setup link's token in its path (/setup/<token>, see
# portal/web/setup/routes.py) and an OAuth callback's code and state (and the tokens some
# providers send) in the query string; request lines in access logs carry both.
SECRET_PATH_PREFIXES = ("/setup/", "/reset-password/")  # and a password-reset link's token
SECRET_QUERY_PARAMETERS = (
    "code",
    "state",
    "session_state",
    "id_token",
    "access_token",
    "refresh_token",
    "token",
    "client_secret",
)
_NAME = r"[\w.-]*(?:secret|passw(?:or)?d|token|api[_-]?key|private[_-]?key|credential)[\w.-]*"
# (shape, replacement) pairs, applied in order.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@ in any URL (database, broker, Redis URLs in exception text)
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), rf"\1{REDACTED}@"),
    # Authorization: Bearer <token>
    (re.compile(r"(\bbearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), rf"\1{REDACTED}"),
    # client_secret=..., "ClientSecret": "...", password: ...
    (
        re.compile(
            rf"""(?i)(["']?{_NAME}["']?\s*[=:]\s*["']?)([^\s"',;&}}\]]+)""",
        ),
        rf"\1{REDACTED}",
    ),
    # JSON web tokens (ID, access and refresh tokens; signed setup links)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # AWS access key ids
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REDACTED),
    # Fernet tokens (the IdP secret at rest) and Fernet keys
    (re.compile(r"\bgAAAAA[A-Za-z0-9_-]{40,}={0,2}"), REDACTED),
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}="), REDACTED),
    # Cognito app-client secrets: 50-52 lowercase letters and digits
    (re.compile(r"\b[a-z0-9]{50,52}\b"), REDACTED),
    # /setup/<token> at the start of a path (a request line, a URL, a message)
    (
        re.compile(
            r"((?:^|[\s\"'=(]|://[^/\s\"']+)(?:"
            + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES)
            + r"))[^/?#\s\"']+"
        ),
        rf"\1{REDACTED}",
    ),
    # ?code=...&state=... in a URL's query string
    (
        re.compile(
            r"([?&;](?:" + "|".join(SECRET_QUERY_PARAMETERS) + r")=)[^&;#\s\"']*",
            re.IGNORECASE,
        ),
        rf"\1{REDACTED}",
    ),
)


def redact_text(text: str) -> str:
    """TEXT with every known secret shape replaced."""
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    """VALUE redacted if KEY names a secret; strings, dicts and lists searched for secret shapes."""
    if SECRET_NAME_RE.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value("", v) for v in value)
    return value
