"""One registry of API operations: routing, the role rule, validation and the OpenAPI document.

Each view is declared once with `@operation(...)`: its method and path, who may call it, its
query, body and response models. The blueprint's `before_request` applies the role rule from this
registry (one mechanism for every route), the wrapper validates input and turns errors into
problem documents, and `openapi.py` builds the document from the same records, so the document
cannot drift from the code.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, g, request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from sqlalchemy.exc import IntegrityError

from portal.cognito.errors import CognitoError
from portal.crypto import SecretUnreadable
from portal.extensions import db
from portal.models import Role
from portal.models.api import APPLICATION_ROLE
from portal.oidc.ssrf import FetchFailed, FetchRefused
from portal.services.access import idempotency
from portal.services.audit.actors import acting_as
from portal.services.pools.registry import NoPoolHasRoom
from portal.services.tenants.records import UnknownTenant
from portal.validation import ValidationError
from portal.web.access import api_route
from portal.web.api import problems
from portal.web.api.problems import ApiProblem, FieldError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ADMIN, STAFF, AUDITOR = Role.ADMIN.value, Role.STAFF.value, Role.AUDITOR.value
APPLICATION = APPLICATION_ROLE
PRINCIPALS = (ADMIN, STAFF, AUDITOR, APPLICATION)
READERS = frozenset({ADMIN, STAFF, AUDITOR})
WRITERS = frozenset({ADMIN, STAFF})
AUDITORS = frozenset({ADMIN, AUDITOR})
EVERYONE = frozenset(PRINCIPALS)
# Field names whose ValidationError means "not now, in this state" rather than "bad input".
STATE_FIELDS = ("status", "idp", "run", "rotation")
MAX_BODY_BYTES = 1024 * 1024
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Operation:
    """One API operation as the router, the role rule and the OpenAPI document see it."""

    endpoint: str
    method: str
    rule: str
    summary: str
    tag: str
    allow: frozenset[str]
    description: str = ""
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tenant_param: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def idempotent_post(self) -> bool:
        return self.method == "POST"


OPERATIONS: dict[str, Operation] = {}


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    allow: frozenset[str],
    description: str = "",
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    tenant_param: str | None = None,
    response_headers: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Register a view as an API operation (and as a route of the `api` blueprint)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        op = Operation(
            endpoint=f"{bp.name}.{view.__name__}",
            method=method,
            rule=rule,
            summary=summary,
            tag=tag,
            allow=frozenset(allow),
            description=description or (view.__doc__ or "").strip(),
            query=query,
            body=body,
            response=response,
            status=status,
            errors=errors,
            tenant_param=tenant_param,
            response_headers=response_headers or {},
        )
        if op.endpoint in OPERATIONS:
            raise RuntimeError(f"API operation {op.endpoint} is declared twice")
        OPERATIONS[op.endpoint] = op

        @functools.wraps(view)
        def wrapper(**path_args: Any) -> Response:
            try:
                kwargs = dict(path_args)
                if op.query is not None:
                    kwargs["query"] = _parse(op.query, request.args.to_dict(), "query")
                if op.body is not None:
                    kwargs["body"] = _parse(op.body, _json_body(), "body")
                if op.idempotent_post and request.headers.get(IDEMPOTENCY_HEADER) is not None:
                    return _with_idempotency(op, view, kwargs)
                return _run(op, view, kwargs)
            except ApiProblem as problem:
                db.session.rollback()
                return problems.problem_response(problem)

        bp.add_url_rule(
            rule,
            view.__name__,
            api_route(wrapper),
            methods=[method],
            provide_automatic_options=False,
        )
        return wrapper

    return decorate


def _parse(model: type[BaseModel], data: Any, location: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise problems.from_pydantic(exc, location) from exc


def _json_body() -> Any:
    if not request.is_json:
        raise ApiProblem(415, "Send the request body as JSON with Content-Type: application/json.")
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, f"The request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # e.g. [[[[... 100,000 deep: Python's parser gives up
        raise ApiProblem(400, "The request body is nested too deeply to be read.") from exc


def _run(op: Operation, view: Callable[..., Any], kwargs: dict[str, Any]) -> Response:
    """Call the view as the token's actor and turn its result or domain error into a response."""
    try:
        with acting_as(g.api_actor):
            result = view(**kwargs)
    except ApiProblem:
        raise
    except ValidationError as exc:
        db.session.rollback()
        error = FieldError(field=exc.field, message=exc.message)
        if exc.field in STATE_FIELDS:
            raise ApiProblem(
                409, exc.message, type_=problems.CONFLICT, title="Conflict", errors=[error]
            ) from exc
        raise problems.validation_problem([error]) from exc
    except UnknownTenant as exc:
        db.session.rollback()
        raise ApiProblem(404, str(exc)) from exc
    except NoPoolHasRoom as exc:
        db.session.rollback()
        raise ApiProblem(
            409, str(exc), type_=problems.NO_POOL_HAS_ROOM, title="No user pool has room"
        ) from exc
    except (FetchFailed, FetchRefused) as exc:
        db.session.rollback()
        raise problems.validation_problem([FieldError(field="issuer", message=str(exc))]) from exc
    except CognitoError as exc:
        db.session.rollback()
        raise ApiProblem(
            502, exc.explanation, type_=problems.COGNITO_ERROR, title="Cognito refused the call"
        ) from exc
    except IntegrityError as exc:
        db.session.rollback()
        raise ApiProblem(
            409,
            "Someone else changed the same thing at the same moment; try again.",
            type_=problems.CONFLICT,
            title="Conflict",
        ) from exc
    return to_response(op, result)


def to_response(op: Operation, result: Any) -> Response:
    """A model (or (model, headers)) as JSON with the operation's success status."""
    headers: dict[str, str] = {}
    if isinstance(result, tuple):
        result, headers = result
    if isinstance(result, Response):
        return result
    body = result.model_dump_json() if isinstance(result, BaseModel) else json.dumps(result)
    response = Response(body, op.status, content_type="application/json")
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _with_idempotency(op: Operation, view: Callable[..., Any], kwargs: dict[str, Any]) -> Response:
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
        raise problems.validation_problem(
            [
                FieldError(
                    field=IDEMPOTENCY_HEADER, message="use 1 to 255 printable ASCII characters"
                )
            ]
        )
    print_ = idempotency.fingerprint(request.method, request.path, request.get_data(cache=True))
    claim = idempotency.claim(g.api_token.id, key, print_)
    if claim.outcome == "mismatch":
        raise ApiProblem(
            422,
            "This Idempotency-Key was used for a different request; use a new key.",
            type_=problems.IDEMPOTENCY_MISMATCH,
            title="Idempotency key reused",
        )
    if claim.outcome == "in_progress":
        raise ApiProblem(
            409,
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            type_=problems.IDEMPOTENCY_IN_PROGRESS,
            title="Request in progress",
            headers={"Retry-After": "1"},
        )
    record = claim.record
    if claim.outcome == "replay":
        try:
            body = idempotency.stored_body(record)
        except SecretUnreadable as exc:
            raise ApiProblem(
                409,
                "The first response to this Idempotency-Key cannot be read any more (its "
                "encryption key was removed from PORTAL_ENCRYPTION_KEYS); use a new key.",
                type_=problems.IDEMPOTENCY_MISMATCH,
                title="Idempotency key unreadable",
            ) from exc
        response = Response(body, record.status_code)
        for name, value in (record.response_headers or {}).items():
            response.headers[name] = value
        response.headers["Idempotent-Replayed"] = "true"
        return response
    record_id = record.id
    try:
        response = _run(op, view, kwargs)
    except ApiProblem as problem:
        response = problems.problem_response(problem)
    except Exception:
        idempotency.release(record_id)
        raise
    if response.status_code >= 500:
        idempotency.release(record_id)
    else:
        idempotency.complete(
            record_id, response.status_code, response.get_data(as_text=True), dict(response.headers)
        )
    return response
