"""Security headers on every response, and a request id that follows the work it causes."""

from __future__ import annotations

import re
import uuid

from flask import Flask, g, request
from flask_login import current_user

from portal.config import settings_of
from portal.services.audit.actors import Actor, _current

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def init_security(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        g.actor_token = _current.set(request_actor())

    @app.teardown_request
    def forget_actor(_exc: BaseException | None) -> None:
        token = g.pop("actor_token", None)
        if token is not None:
            _current.reset(token)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        if request.is_secure or settings_of(app).public_url.startswith("https://"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        headers["X-Request-Id"] = g.get("request_id", "")
        return response


def request_actor() -> Actor:
    """Who is making this request, as audit events will record it."""
    source = request.remote_addr
    agent = (request.user_agent.string or "")[:512] or None
    request_id = g.get("request_id")
    if current_user and current_user.is_authenticated:
        return Actor("user", str(current_user.id), current_user.email, source, agent, request_id)
    return Actor("anonymous", None, "anonymous visitor", source, agent, request_id)
