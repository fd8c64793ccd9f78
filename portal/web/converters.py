"""Ids in URLs and query strings, bounded by the database column they are looked up in.

An id beyond its column's range is not "not found" to the database: PostgreSQL refuses the
comparison (`integer out of range`: SQLAlchemy casts the bound value to the column's type) and
SQLite's driver cannot bind an int above 2**63-1. Such a value names no row, so the URL
converters refuse it (the route does not match: 404) and `id_arg` ignores it.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from portal.models.types import BIGINT_MAX, INT_MAX, parse_id


class IdConverter(IntegerConverter):
    """`<int:...>`: a positive id of an `integer` column."""

    def __init__(self, url_map, max: int = INT_MAX) -> None:
        super().__init__(url_map, min=1, max=max)


class BigIdConverter(IntegerConverter):
    """`<bigint:...>`: a positive id of a `bigint` column."""

    def __init__(self, url_map) -> None:
        super().__init__(url_map, min=1, max=BIGINT_MAX)


def init_converters(app: Flask) -> None:
    """Replace Werkzeug's unbounded `int` converter; add `bigint`. Before any route is added."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["bigint"] = BigIdConverter


def id_arg(name: str, max: int = BIGINT_MAX) -> int | None:
    """A positive id from the query string, or None when absent, malformed or out of range."""
    return parse_id(request.args.get(name), max)
