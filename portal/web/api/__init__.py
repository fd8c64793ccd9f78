"""The JSON API under /api/v1: bearer tokens, one role rule per operation, problem+json errors."""

from __future__ import annotations

from werkzeug.exceptions import HTTPException, default_exceptions

from portal.web.api import (  # noqa: F401  (register the operations)
    activity,
    adoptions,
    lifecycle,
    reference,
    setup_links,
    tenants,
)
from portal.web.api.auth import guard_api_request
from portal.web.api.problems import http_problem
from portal.web.api.registry import OPERATIONS, bp
from portal.web.extensions import csrf

__all__ = ["OPERATIONS", "bp"]

csrf.exempt(bp)  # bearer tokens, not cookies: there is no ambient credential to forge
bp.before_request(guard_api_request)


def _problem_for(error: HTTPException):
    return http_problem(error)


for _code in default_exceptions:
    bp.register_error_handler(_code, _problem_for)
