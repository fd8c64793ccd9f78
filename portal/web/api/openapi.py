"""The OpenAPI 3.1 document, built from the operation registry and the pydantic models.

OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what pydantic v2 generates, so the models
that validate requests and shape responses are the document's schemas as they are.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from portal.services.events import EVENT_TYPES
from portal.web.api.registry import IDEMPOTENCY_HEADER, OPERATIONS, Operation
from portal.web.api.schemas import SLUG_PATTERN, Problem

REF = "#/components/schemas/{model}"
CONVERTER = re.compile(r"<(?:(?P<conv>[a-z]+):)?(?P<name>[a-z_]+)>")
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "slug": {
        "type": "string",
        "pattern": SLUG_PATTERN,
        "minLength": 3,
        "maxLength": 32,
        "examples": ["acme-corp"],
    },
    "run_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    "user_pool_id": {
        "type": "string",
        "pattern": r"^[\w-]+_[0-9a-zA-Z]+$",
        "minLength": 1,
        "maxLength": 55,
        "examples": ["us-east-1_AbCdEf123"],
    },
}
STATUS_TEXT = {
    400: "The request body is not valid JSON.",
    401: "No token, or a token that is unknown, revoked or whose owner is disabled.",
    403: "The token's role may not call this operation (or, for application tokens, read "
    "this tenant).",
    404: "Not found.",
    409: "The tenant's state does not allow this now, or the same Idempotency-Key is still "
    "being processed.",
    410: "The tenant was offboarded: its app client no longer exists; `detail` says when and "
    "by whom.",
    413: "The request body is larger than 1 MiB.",
    415: "The request body must be JSON (Content-Type: application/json).",
    422: "Invalid input; `errors` names each field and what is wrong with it.",
    429: "Too many requests for this token; wait for Retry-After seconds.",
    502: "Cognito refused or failed the call.",
}
DESCRIPTION = f"""
Automate tenant onboarding from your own back office, and let your application read each
tenant's OIDC client settings instead of someone pasting them.

## Authentication
Send `Authorization: Bearer <token>`. **Personal tokens** are made by each portal user under
*API tokens* (or `portal tokens create EMAIL`) and act with the owner's role at the time of the
call (admin, staff or auditor). **Application tokens** (admins: `portal tokens create-app NAME`)
belong to the vendor's application, not to a person, and may only read
`GET /api/v1/tenants/{{slug}}/oidc-config` for all tenants or for the tenants they list. Each
operation says which roles may call it (`x-portal-roles`). When an admin requires TOTP, a personal
token whose owner has not set it up is refused (403, type `urn:portal:problem:totp-required`)
until they do.

## Errors
Every error is `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`,
`instance` and, for invalid input, `errors: [{{field, message}}]`.

## Idempotency
Send an `{IDEMPOTENCY_HEADER}` header (1-255 printable characters) with a POST to make it safe to
retry: the same key with the same request returns the first response again (marked
`Idempotent-Replayed: true`); the same key with a different request is refused (422). Keys are
kept per token for 24 hours.

## Rate limits
Each token may make a fixed number of requests a minute (`PORTAL_API_RATE_LIMIT`, 300 by
default); beyond it the API answers 429 with `Retry-After`.

## Webhooks
Admins register endpoints under *Webhooks* and choose among these events:
{", ".join(f"`{e}`" for e in EVENT_TYPES)}. Deliveries follow the Standard Webhooks
specification: headers `webhook-id`, `webhook-timestamp` and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` keyed with the endpoint's `whsec_`
secret). Payloads carry no secret.
""".strip()


def openapi_path(rule: str) -> str:
    return "/api/v1" + CONVERTER.sub(lambda m: "{" + m.group("name") + "}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": m.group("name"),
            "in": "path",
            "required": True,
            "schema": PATH_PARAMETERS[m.group("name")],
        }
        for m in CONVERTER.finditer(rule)
    ]


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch of Optional fields."""
    if "anyOf" not in schema:
        return schema
    branches = [b for b in schema["anyOf"] if b.get("type") != "null"]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    if len(branches) == 1:
        return {**branches[0], **rest}
    return {**rest, "anyOf": branches}


def _query_parameters(definition: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(definition.get("required", ()))
    parameters = []
    for name, schema in definition.get("properties", {}).items():
        schema = _without_null(dict(schema))
        schema.pop("title", None)
        if schema.get("default", 0) is None:
            schema.pop("default")
        description = schema.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _problem(status: int, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": STATUS_TEXT.get(status, "Error."),
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _error_statuses(op: Operation) -> list[int]:
    statuses = {401, 403, 429, *op.errors}
    if "<" in op.rule:
        statuses.add(404)
    if op.query is not None:
        statuses.add(422)
    if op.body is not None:
        statuses.update({400, 413, 415, 422})
    if op.idempotent_post:
        statuses.update({409, 422})
    return sorted(statuses)


def _operation(op: Operation, refs: dict[str, dict[str, Any]], defs: dict) -> dict[str, Any]:
    roles = sorted(op.allow)
    document: dict[str, Any] = {
        "operationId": op.endpoint.split(".", 1)[1],
        "summary": op.summary,
        "description": (op.description + "\n\n" if op.description else "")
        + "Roles: "
        + ", ".join(roles)
        + ".",
        "tags": [op.tag],
        "x-portal-roles": roles,
    }
    parameters = _path_parameters(op.rule)
    if op.query is not None:
        parameters += _query_parameters(defs[op.query.__name__])
    if op.idempotent_post:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "Makes the POST safe to retry (see Idempotency above).",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "pattern": "^[\\x20-\\x7e]+$",
                },
            }
        )
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[_key(op.body, "validation")]}},
        }
    success: dict[str, Any] = {"description": op.summary + ": done."}
    if op.response is not None:
        success["content"] = {
            "application/json": {"schema": refs[_key(op.response, "serialization")]}
        }
    if op.response_headers:
        success["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in op.response_headers.items()
        }
    responses: dict[str, Any] = {str(op.status): success}
    for status in _error_statuses(op):
        headers = None
        if status == 401:
            headers = {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}
        if status == 429:
            headers = {
                "Retry-After": {
                    "description": "Seconds to wait.",
                    "schema": {"type": "integer", "minimum": 1},
                    "required": True,
                }
            }
        responses[str(status)] = _problem(status, headers)
    document["responses"] = responses
    return document


def _key(model: type[BaseModel], mode: str) -> str:
    return f"{model.__name__}:{mode}"


def build_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for the registered operations."""
    operations = sorted(OPERATIONS.values(), key=lambda o: (openapi_path(o.rule), o.method))
    wanted: dict[tuple[type[BaseModel], str], None] = {(Problem, "serialization"): None}
    for op in operations:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        if op.response is not None:
            wanted[(op.response, "serialization")] = None
        if op.query is not None:
            wanted[(op.query, "validation")] = None
    key_map, top = models_json_schema(list(wanted), ref_template=REF)
    defs = top.get("$defs", {})
    refs = {_key(model, mode): ref for (model, mode), ref in key_map.items()}
    for query in {op.query for op in operations if op.query is not None}:
        defs.setdefault(query.__name__, query.model_json_schema(ref_template=REF))
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op, refs, defs)
    query_names = {op.query.__name__ for op in operations if op.query is not None}
    schemas = {name: schema for name, schema in defs.items() if name not in query_names}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cognito tenant portal API",
            "version": "1.0.0",
            "description": DESCRIPTION,
        },
        "tags": [
            {"name": "Tenants", "description": "Create, configure and onboard tenants."},
            {"name": "Runs", "description": "Provisioning runs and their steps."},
            {"name": "Application", "description": "What the vendor's application reads."},
            {"name": "Audit", "description": "The tamper-evident audit log (auditors, admins)."},
            {"name": "Tokens", "description": "The calling token."},
            {"name": "User pools", "description": "Moving in the tenants onboarded by hand."},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal or application API token (ptk_...).",
                }
            },
        },
        "security": [{"bearerAuth": []}],
    }
