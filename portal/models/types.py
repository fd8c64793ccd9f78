"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, text
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeDecorator, TypeEngine


class JSONType(TypeDecorator[Any]):
    """JSON everywhere, stored as JSONB on PostgreSQL. The PostgreSQL dialect (and the asyncio
    machinery it pulls in) is imported only when a PostgreSQL database is used, so commands
    on the embedded SQLite default start faster."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


# The dialects whose indexes may cover only the rows a condition holds for (their `where`).
PARTIAL_INDEX_DIALECTS = frozenset({"postgresql", "sqlite"})


def partial_unique_index(name: str, column: str, where: str) -> Index:
    """A unique index on COLUMN over the rows WHERE (SQL) holds for, on PostgreSQL and SQLite.

    Declared with `postgresql_where=`, such an index made SQLAlchemy import the whole PostgreSQL
    dialect while the models were defined (it checks a dialect's keywords by loading it): about
    60 ms of every command's and worker's start on the embedded SQLite default. The condition
    waits in the index's info until a dialect compiles the index (below); the migrations state
    it for each dialect as before.
    """
    return Index(name, column, unique=True, info={"where": where})


@compiles(CreateIndex)
def _create_partial_index(create: CreateIndex, compiler: DDLCompiler, **kw: Any) -> str:
    where = create.element.info.get("where")
    if where is not None:
        dialect = compiler.dialect.name
        if dialect not in PARTIAL_INDEX_DIALECTS:  # a full unique index would refuse valid rows
            raise CompileError(f"{create.element.name} needs a partial index; {dialect} has none")
        create.element.dialect_options[dialect]["where"] = text(where)
    return compiler.visit_create_index(create, **kw)


# The largest id each integer column type holds: a bigger value cannot name a row, and
# PostgreSQL refuses to compare it with the column (SQLite's driver cannot even bind it).
INT_MAX = 2**31 - 1  # `integer`: the ids of most tables
BIGINT_MAX = 2**63 - 1  # `bigint` (SQLite's INTEGER): audit events, calls, deliveries


def parse_id(text: str | None, max: int = BIGINT_MAX) -> int | None:
    """TEXT as a positive id up to MAX, or None when it is absent, malformed or out of range."""
    value = (text or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(max)):
        return None
    number = int(value)
    return number if 1 <= number <= max else None


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware datetimes, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
