"""One access rule per route, checked before every request: a route without a rule is refused.

Views declare who may reach them with `@public`, `@api_route` (the API authenticates with tokens
itself) or `@roles(...)`. `enforce_access` runs before every request and denies any endpoint that
declares nothing, so a new route cannot be exposed by accident; a test walks the URL map too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from portal.models import Role

RULE_ATTRIBUTE = "_portal_access"
PUBLIC = "public"
API = "api"
F = TypeVar("F", bound=Callable)

ALL_ROLES = (Role.ADMIN, Role.STAFF, Role.AUDITOR)
STAFF_ROLES = (Role.ADMIN, Role.STAFF)
AUDIT_ROLES = (Role.ADMIN, Role.AUDITOR)


def _mark(rule: frozenset[str]) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        setattr(view, RULE_ATTRIBUTE, rule)
        return view

    return decorate


def public(view: F) -> F:
    """Reachable without signing in (sign-in page, setup links, probes)."""
    return _mark(frozenset({PUBLIC}))(view)


def api_route(view: F) -> F:
    """An API route: it authenticates its caller with a token itself."""
    return _mark(frozenset({API}))(view)


def roles(*allowed: str) -> Callable[[F], F]:
    """Reachable by signed-in portal users holding one of ALLOWED."""
    if not allowed:
        raise ValueError("name at least one role")
    return _mark(frozenset(allowed))


def rule_of(endpoint: str) -> frozenset[str] | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, RULE_ATTRIBUTE, None)


def enforce_access():
    """before_request: apply the endpoint's rule; refuse endpoints without one."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    rule = rule_of(endpoint)
    if rule is None:
        current_app.logger.error("route %s has no access rule; refused", endpoint)
        abort(403)
    if PUBLIC in rule or API in rule:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in rule:
        abort(403)
    return None
