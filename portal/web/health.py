"""Liveness and readiness probes: cheap, unauthenticated, revealing nothing sensitive."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from portal.observability.readiness import check_readiness, is_ready
from portal.web.access import public
from portal.web.extensions import csrf

bp = Blueprint("health", __name__)
csrf.exempt(bp)


@bp.get("/healthz")
@public
def healthz():
    """The process is alive and serving; touches nothing else."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    """Database and broker (and Cognito, if PORTAL_READYZ_COGNITO) answer: ok or unavailable."""
    checks = check_readiness(current_app._get_current_object())
    ready = is_ready(checks)
    return jsonify(status="ready" if ready else "not ready", checks=checks), (200 if ready else 503)
