"""WSGI entry point for gunicorn: `gunicorn portal.wsgi:app`."""

from portal import create_app
from portal.observability.logs import configure_logging

configure_logging()  # PORTAL_LOG_FORMAT / PORTAL_LOG_LEVEL, request ids, redaction
app = create_app()
