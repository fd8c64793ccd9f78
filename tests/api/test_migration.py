"""The hand-written migration creates exactly what the API and webhook models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

pytestmark = [pytest.mark.dialect]

OWN_TABLES = {
    "api_tokens",
    "api_token_tenants",
    "api_idempotency_keys",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
    "users",
    "user_sessions",
}


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        if isinstance(part, str) and part in OWN_TABLES:  # modify_* diffs name the table
            return part
        table = getattr(part, "table", None)
        name = getattr(table, "name", None) or getattr(part, "name", None)
        if isinstance(name, str):
            return name
    return None


def test_models_and_migration_agree(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.metadata)
    ours = [d for d in diffs if _table_of(d) in OWN_TABLES]
    assert ours == []
