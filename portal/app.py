"""The Flask application factory: settings, extensions, blueprints, Celery; no network I/O."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from flask import Flask

from portal.config import EXTENSION_KEY, load_settings, provision_instance
from portal.extensions import db
from portal.observability.access import protect_access_logs

# At DEBUG these libraries log whole request and response bodies, client secrets included.
WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")
log = logging.getLogger(__name__)


def create_app(
    config: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    *,
    web: bool = True,
    provision: bool = True,
) -> Flask:
    """Build the app from the PORTAL_* settings.

    CONFIG: Flask config keys to set (tests). SETTINGS: settings to override, by field name.
    WEB=False leaves the blueprints out: command-line work needs no pages. PROVISION=False
    generates no development keys (commands that keep no state write nothing).
    """
    resolved = load_settings(overrides=settings)
    if provision:
        resolved = provision_instance(resolved)
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    protect_access_logs()  # every server this app runs under logs requests without secrets
    # The mapped folders (pyproject.toml) are found the same way installed or in a checkout.
    app = Flask(
        "portal",
        instance_path=str(resolved.instance_path),
        template_folder=str(files("portal.templates")),
        static_folder=str(files("portal.static")),
    )
    app.extensions[EXTENSION_KEY] = resolved
    app.config.update(resolved.flask_config())
    app.config.update(config or {})
    for warning in resolved.warnings:
        log.warning(warning)

    db.init_app(app)
    if web:
        from portal.web import register_blueprints

        register_blueprints(app)
    if resolved.trusted_proxies:
        trust_proxies(app, resolved.trusted_proxies)

    from portal.workers import KEEPS_STATE

    app.extensions[KEEPS_STATE] = provision  # Celery is built on first use (portal.workers)

    from portal.cli import cli

    app.cli = cli  # `flask --app portal ...` lists the same commands as `portal`
    return app


def trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address and scheme from the X-Forwarded-For and X-Forwarded-Proto
    entries the HOPS proxies in front of the portal added (never from what a client sent), so
    per-address limits, lockouts, audit records and session checks see the real client."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def init_migrations(app: Flask) -> None:
    """Flask-Migrate (Alembic) for `portal db` and the tests; imported only where needed."""
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        Migrate(app, db, directory=str(files("portal.migrations")), render_as_batch=True)


def upgrade_database() -> None:
    """Apply every migration to the current app's database (`portal db upgrade` in code)."""
    from flask import current_app
    from flask_migrate import upgrade

    init_migrations(current_app._get_current_object())
    upgrade()
