"""Liveness and readiness probes: cheap, unauthenticated, revealing nothing sensitive."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from portal.extensions import csrf, db
from portal.web.access import public

bp = Blueprint("health", __name__)
csrf.exempt(bp)


@bp.get("/healthz")
@public
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    try:
        with current_app.extensions["celery"].connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception:
        checks["broker"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), (200 if ready else 503)
