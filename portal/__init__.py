"""Cognito tenant onboarding portal: the Flask application factory."""

from __future__ import annotations

import logging
import sqlite3
from importlib.resources import files
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.config import load_settings
from portal.extensions import csrf, db, migrate

# Mapped into the package by the build (pyproject.toml): found the same way installed or not.
MIGRATIONS_DIR = str(files("portal.migrations"))
# At DEBUG these libraries log whole request and response bodies, client secrets included.
WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")
log = logging.getLogger(__name__)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from PORTAL_* settings (plus test overrides); no network I/O happens here."""
    settings = load_settings()
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder=str(files("portal.templates")),
        static_folder=str(files("portal.static")),
    )
    app.config.update(settings.flask_config())
    app.config.update(overrides or {})
    for warning in settings.warnings:
        log.warning(warning)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)

    from portal.web import register_blueprints

    register_blueprints(app)

    from portal.workers import celery_init_app

    celery_init_app(app)

    from portal.cli import register_cli

    register_cli(app)

    from portal.services.webhooks import endpoints as webhooks

    webhooks.init_app(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: WAL so workers and the web can share the file, and wait for locks, don't fail."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
