"""Errors as RFC 9457 problem details (`application/problem+json`), for every API response."""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, g, request
from pydantic import ValidationError as PydanticError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from portal.web.api.schemas import PATTERN_HINTS, FieldError, Problem

MEDIA_TYPE = "application/problem+json"
URN = "urn:portal:problem:"
VALIDATION = URN + "validation-error"
CONFLICT = URN + "conflict"
NOT_PROVISIONED = URN + "not-provisioned"
OFFBOARDED = URN + "offboarded"
NO_POOL_HAS_ROOM = URN + "no-pool-has-room"
IDEMPOTENCY_MISMATCH = URN + "idempotency-key-reused"
IDEMPOTENCY_IN_PROGRESS = URN + "idempotency-key-in-progress"
COGNITO_ERROR = URN + "cognito-error"
ISSUER_CHECK_FAILED = URN + "issuer-check-failed"
TOTP_REQUIRED = URN + "totp-required"
METADATA_CHECK_FAILED = URN + "saml-metadata-check-failed"


class ApiProblem(Exception):
    """Raised anywhere in an API request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or "")
        self.status = status
        self.detail = detail
        self.type = type_
        self.title = title or HTTPStatus(status).phrase
        self.errors = errors
        self.headers = headers or {}


def problem_response(problem: ApiProblem) -> Response:
    document = Problem(
        type=problem.type,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        instance=request.path,
        errors=problem.errors,
        request_id=g.get("request_id"),
    )
    response = Response(
        document.model_dump_json(exclude_none=True), problem.status, content_type=MEDIA_TYPE
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def http_problem(error: HTTPException) -> Response:
    """A Werkzeug HTTP error (404, 405, 413, ...) as a problem document."""
    status = error.code or 500
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(m for m in error.valid_methods if m != "OPTIONS"))
    detail = {
        404: "There is nothing at this address.",
        405: f"{request.method} is not accepted here.",
        413: "The request body is too large.",
        500: "The portal hit an unexpected error. It has been logged.",
    }.get(status, error.description if status < 500 else None)
    return problem_response(ApiProblem(status, detail, headers=headers))


def validation_problem(errors: list[FieldError], detail: str | None = None) -> ApiProblem:
    return ApiProblem(
        422,
        detail or "; ".join(f"{e.field}: {e.message}" for e in errors),
        type_=VALIDATION,
        title="Invalid input",
        errors=errors,
    )


def from_pydantic(error: PydanticError, location: str) -> ApiProblem:
    """Pydantic's errors as field errors: `name`, `callback_urls.0`, `query.per_page`."""
    errors = []
    for item in error.errors(include_url=False, include_input=False):
        parts = [str(p) for p in item["loc"]]
        field = ".".join(parts) or location
        if location == "query":
            field = "query." + field
        message = item["msg"]
        if item["type"] == "string_pattern_mismatch":
            message = PATTERN_HINTS.get(
                parts[0] if parts else "", "contains characters not allowed"
            )
        elif item["type"] == "value_error":
            message = str(item["ctx"]["error"])
        elif item["type"] == "extra_forbidden":
            message = "this field is not part of the request; check its spelling"
        elif item["type"] == "missing":
            message = "this field is required"
        errors.append(FieldError(field=field, message=message))
    return validation_problem(errors)
