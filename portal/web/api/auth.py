"""Bearer-token authentication, per-token rate limiting and the role rule, for every API call."""

from __future__ import annotations

from flask import current_app, g, request

from portal.config import current_settings
from portal.services.access import throttle
from portal.services.access.api_tokens import authenticate, lacks_required_totp
from portal.services.audit.actors import Actor
from portal.web.access import PUBLIC, rule_of
from portal.web.api.problems import TOTP_REQUIRED, ApiProblem, problem_response
from portal.web.api.registry import MAX_BODY_BYTES, OPERATIONS

WINDOW_SECONDS = 60
CHALLENGE = 'Bearer realm="portal-api"'


def guard_api_request():
    """before_request of the api blueprint: who is calling, are they allowed, are they too fast."""
    endpoint = request.endpoint or ""
    if PUBLIC in (rule_of(endpoint) or ()):
        return None  # the OpenAPI document and reference page
    op = OPERATIONS.get(endpoint)
    if op is None:  # an API route outside the registry has no role rule: refuse it
        current_app.logger.error("API route %s is not a registered operation; refused", endpoint)
        return problem_response(ApiProblem(403, "This route has no access rule."))
    request.max_content_length = MAX_BODY_BYTES
    try:
        g.api_token = _token()
        _second_factor(g.api_token)
        _rate_limit(g.api_token)
        _authorize(op, g.api_token)
    except ApiProblem as problem:
        return problem_response(problem)
    token = g.api_token
    g.api_actor = Actor(
        "api_token",
        token.prefix,
        token.label,
        request.remote_addr,
        (request.user_agent.string or "")[:512] or None,
        g.get("request_id"),
    )
    return None


def _token():
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ApiProblem(
            401,
            "Send an API token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    token = authenticate(credentials.strip(), request.remote_addr)
    if token is None:
        limit = current_settings().api_bad_token_limit
        verdict = throttle.hit(f"api-bad-token:{request.remote_addr}", limit, 600)
        if not verdict.allowed:
            raise ApiProblem(
                429,
                "Too many requests with invalid tokens from your address.",
                headers={"Retry-After": str(verdict.retry_after)},
            )
        raise ApiProblem(
            401,
            "The token is not valid: it is unknown, revoked, or its owner is disabled.",
            headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
        )
    return token


def _second_factor(token) -> None:
    if lacks_required_totp(token):
        raise ApiProblem(
            403,
            f"The portal requires two-factor authentication (TOTP) of every user, and "
            f"{token.user.email}, who owns this token, has not set it up. The token works again "
            "once they turn it on under My account.",
            type_=TOTP_REQUIRED,
            title="Two-factor authentication required",
        )


def _rate_limit(token) -> None:
    limit = current_settings().api_rate_limit
    verdict = throttle.hit(f"api-token:{token.prefix}", limit, WINDOW_SECONDS)
    if not verdict.allowed:
        raise ApiProblem(
            429,
            f"This token may make {limit} requests a minute; wait {verdict.retry_after} s.",
            headers={"Retry-After": str(verdict.retry_after)},
        )


def _authorize(op, token) -> None:
    role = token.role
    if role not in op.allow:
        raise ApiProblem(
            403,
            f"A token with the role {role or 'none'} may not call {op.method} "
            f"{request.path}; allowed: {', '.join(sorted(op.allow))}.",
        )
    if op.tenant_param:
        slug = (request.view_args or {}).get(op.tenant_param, "")
        if not token.may_read_tenant(slug):
            raise ApiProblem(403, "This application token is limited to other tenants.")
