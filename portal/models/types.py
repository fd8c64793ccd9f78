"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
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
