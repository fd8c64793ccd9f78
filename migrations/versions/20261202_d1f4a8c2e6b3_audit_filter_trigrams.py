"""audit filters: trigram indexes for "contains" matches on tenants and actors (PostgreSQL)

The audit log's tenant and actor filters match any part of a slug, name or actor, ignoring case
(portal/services/audit/query.py, MATCHING_RULE). A plain index cannot serve LIKE '%text%'; a
pg_trgm GIN index on lower(column) can, so a rare actor among a million events is found without
reading them all. SQLite (development) has no such index and scans, which a small log allows.
pg_trgm is a trusted extension: a role with CREATE on the database may install it. A role that
may not is told so and the portal works without the indexes, only slower on rare matches.

Revision ID: d1f4a8c2e6b3
Revises: a7d0c3e1f2b4
Create Date: 2026-12-02 21:35:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "d1f4a8c2e6b3"
down_revision = "a7d0c3e1f2b4"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
INDEXES = (
    ("ix_audit_events_actor_label_trgm", "audit_events", "actor_label"),
    ("ix_tenants_slug_trgm", "tenants", "slug"),
    ("ix_tenants_name_trgm", "tenants", "name"),
)


def _trigrams_available(bind) -> bool:
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).scalar()
    allowed = bind.execute(
        sa.text(
            "SELECT rolsuper OR has_database_privilege(current_database(), 'CREATE') "
            "FROM pg_roles WHERE rolname = current_user"
        )
    ).scalar()
    if not (available and allowed):
        log.warning(
            "pg_trgm is not available to this role: the audit log's tenant and actor filters "
            "work without their trigram indexes (slower on rare matches). To add them later: "
            "CREATE EXTENSION pg_trgm, then the CREATE INDEX statements of migration %s.",
            revision,
        )
        return False
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    return True


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _trigrams_available(bind):
        return
    for name, table, column in INDEXES:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (lower({column}) gin_trgm_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _table, _column in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
