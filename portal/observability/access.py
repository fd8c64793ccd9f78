"""Access logs without the secrets some URLs carry: setup-link tokens and OAuth callback values.

Every server's access logger (gunicorn's `gunicorn.access`; Werkzeug's `werkzeug`, behind
`portal run`, `portal dev` and the tests' servers) gets a filter on the logger itself, so every
handler sees the redacted request line, not only the portal's own (which redacts too).
What is redacted is stated once, in `portal.observability.redact`.
"""

from __future__ import annotations

import logging

from portal.observability.redact import redact_text

ACCESS_LOGGERS = ("gunicorn.access", "werkzeug")


class AccessLogFilter(logging.Filter):
    """Rewrites an access-log record's message with every secret redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        record.msg, record.args = redact_text(message), ()
        return True


def protect_access_logs() -> None:
    """Put the filter on every server's access logger, once."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, AccessLogFilter) for f in logger.filters):
            logger.addFilter(AccessLogFilter())
