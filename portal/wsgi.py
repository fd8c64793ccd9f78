"""WSGI entry point for gunicorn: `gunicorn portal.wsgi:app`."""

from portal import create_app
from portal.observability.logs import configure_logging
from portal.web.heap import freeze_when_warm

configure_logging()  # PORTAL_LOG_FORMAT / PORTAL_LOG_LEVEL, request ids, redaction
app = create_app()
freeze_when_warm(app)  # full garbage collections no longer walk the app's own objects
