"""Server-side input validation from the botocore service model, worded as AWS words it.

botocore checks required members, types and minimums on the client; AWS also checks
maximum lengths, enums and patterns on the server. moto checks almost none of these.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, OperationNotFoundError, ServiceModel, Shape

from .errors import CognitoError
from .unicode import compile_aws_pattern

# The model's DomainType pattern and 63-character maximum fit prefixes only, but the same member
# also carries custom domains (auth.example.com, up to a DNS name's 253); the domain handlers
# check prefixes and custom domains themselves.
PATTERN_EXEMPT = frozenset({"DomainType"})
LENGTH_EXEMPT = frozenset({"DomainType"})


@cache
def service_model() -> ServiceModel:
    """The cognito-idp service model shipped with botocore."""
    return botocore.session.get_session().get_service_model("cognito-idp")


def operation_model(operation: str) -> OperationModel:
    """The model of one operation, or UnknownOperationException."""
    try:
        return service_model().operation_model(operation)
    except OperationNotFoundError:
        raise CognitoError("UnknownOperationException", f"Unknown operation {operation}") from None


def validate_input(operation: str, params: dict[str, Any]) -> None:
    """Raise InvalidParameterException listing every constraint `params` breaks."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return
    errors: list[str] = []
    _check(shape, params, "", errors)
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise CognitoError(
            "InvalidParameterException",
            f"{len(errors)} validation {noun} detected: " + "; ".join(errors),
        )


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _fail(shape: Shape, value: Any, path: str, constraint: str) -> str:
    if shape.metadata.get("sensitive"):
        return f"Value at '{path}' failed to satisfy constraint: {constraint}"
    shown = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else value
    return f"Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}"


def _check(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        _check_structure(shape, value, path, errors)
    elif kind in ("list", "map"):
        _check_collection(shape, value, path, errors)
    elif kind == "string":
        _check_string(shape, value, path, errors)
    elif kind in ("integer", "long"):
        _check_number(shape, value, path, errors)


def _check_structure(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    if shape.metadata.get("document") or not isinstance(value, dict):
        return
    for name in shape.required_members:
        if value.get(name) is None:
            errors.append(
                f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                "Member must not be null"
            )
    for name, member in shape.members.items():
        if value.get(name) is not None:
            _check(member, value[name], _join(path, name), errors)


def _join(path: str, name: str) -> str:
    return f"{path}.{_camel(name)}" if path else _camel(name)


def _check_collection(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(value, list | dict):
        return
    _check_length(shape, value, path, errors)
    if isinstance(value, list):
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", errors)
    else:
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", errors)
            _check(shape.value, item, f"{path}.{key}.value", errors)


def _check_length(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if high is not None and len(value) > high:
        errors.append(
            _fail(shape, value, path, f"Member must have length less than or equal to {high}")
        )
    if low is not None and len(value) < low:
        errors.append(
            _fail(shape, value, path, f"Member must have length greater than or equal to {low}")
        )


def _check_string(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(value, str):
        return
    if shape.enum and value not in shape.enum:
        allowed = ", ".join(shape.enum)
        errors.append(_fail(shape, value, path, f"Member must satisfy enum value set: [{allowed}]"))
        return
    if shape.name not in LENGTH_EXEMPT:
        _check_length(shape, value, path, errors)
    pattern = shape.metadata.get("pattern") if shape.name not in PATTERN_EXEMPT else None
    compiled = compile_aws_pattern(pattern) if pattern else None
    if compiled is not None and value and not compiled.fullmatch(value):
        errors.append(
            _fail(shape, value, path, f"Member must satisfy regular expression pattern: {pattern}")
        )


def _check_number(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if high is not None and value > high:
        errors.append(
            _fail(shape, value, path, f"Member must have value less than or equal to {high}")
        )
    if low is not None and value < low:
        errors.append(
            _fail(shape, value, path, f"Member must have value greater than or equal to {low}")
        )
