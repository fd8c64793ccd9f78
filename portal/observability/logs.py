"""Structured logging: stdlib logging, one JSON object per line in production.

python-json-logger is a Formatter for the standard logging module, so Flask's, Celery's,
gunicorn's and our own `logging.getLogger(__name__)` lines all come out the same way with no
change at any call site; structlog would want its own logger API (or a bridge) everywhere.
"""

from __future__ import annotations

import functools
import logging
import sys
from typing import IO, Any

from portal.config import load_settings
from portal.observability.access import AccessLogFilter, protect_access_logs
from portal.observability.context import current_request_id, current_run_id
from portal.observability.redact import redact_text, redact_value

# At DEBUG these libraries log whole request and response bodies, client secrets included.
WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"
JSON_FIELDS = ("levelname", "name", "message")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "context"}


class ContextFilter(logging.Filter):
    """Adds the request id and run id bound to the current context to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        if getattr(record, "run_id", None) is None:
            record.run_id = current_run_id()
        parts = [f"request_id={record.request_id}"] if record.request_id else []
        if record.run_id is not None:
            parts.append(f"run_id={record.run_id}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class RedactFilter(logging.Filter):
    """Redacts secret-named extra fields and secret shapes in the message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        record.msg, record.args = redact_text(message), ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, redact_value(key, value))
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = redact_text(text), None
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


@functools.cache
def json_formatter_class() -> type[logging.Formatter]:
    """One JSON object per line: time, level, logger, message, request_id, run_id, extras.
    Made on first use, so that processes logging as text never import python-json-logger."""
    from pythonjsonlogger.json import JsonFormatter

    class PortalJsonFormatter(JsonFormatter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault(
                "rename_fields", {"levelname": "level", "name": "logger", "exc_info": "exception"}
            )
            kwargs.setdefault("timestamp", "time")  # ISO 8601, UTC
            super().__init__(list(JSON_FIELDS), *args, **kwargs)

        def add_fields(self, log_data, record, message_dict) -> None:
            super().add_fields(log_data, record, message_dict)
            log_data.pop("context", None)  # the text format's rendering of request_id/run_id

    return PortalJsonFormatter


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return json_formatter_class()()
    return logging.Formatter(TEXT_FORMAT)


def make_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler that adds context, redacts, then formats: what every portal process logs with."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter())
    handler.setFormatter(make_formatter(log_format))
    return handler


def configure_logging(
    log_format: str | None = None, level: str | None = None, stream: IO[str] | None = None
) -> logging.Handler:
    """Send every log line through one portal handler on the root logger (idempotent)."""
    settings = load_settings()
    handler = make_handler(log_format or settings.log_format, stream)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or settings.log_level)
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    protect_access_logs()
    return handler


def dict_config() -> dict[str, Any]:
    """The same set-up as a logging.config dict, for gunicorn's `logconfig_dict`."""
    settings = load_settings()
    log_format, level = settings.log_format, settings.log_level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFilter},
            "redact": {"()": RedactFilter},
            "access": {"()": AccessLogFilter},
        },
        "formatters": {"portal": {"()": make_formatter, "log_format": log_format}},
        "handlers": {
            "portal": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["context", "redact"],
                "formatter": "portal",
            }
        },
        "root": {"level": level, "handlers": ["portal"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {
                "level": "INFO",
                "handlers": [],
                "propagate": True,
                "filters": ["access"],
            },
            "werkzeug": {"filters": ["access"]},
            **{name: {"level": "WARNING"} for name in WIRE_LOGGERS},
        },
    }
