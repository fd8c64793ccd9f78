"""The portal's blueprints, by audience."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from portal.web.health import bp as health_bp

    app.register_blueprint(health_bp)
