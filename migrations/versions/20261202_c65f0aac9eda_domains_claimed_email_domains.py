"""domains: claimed e-mail domains, verified before they become IdpIdentifiers

Revision ID: c65f0aac9eda
Revises: 5eca0a1b2c3d
Create Date: 2026-12-02 16:50:00

tenants.idp_identifiers moves into tenant_domains as unverified claims. An identifier of a tenant
whose provider exists in Cognito is marked legacy: it stays in Cognito until staff verify it, the
customer proves it by DNS, or staff remove it. Each tenant with a claim gets its TXT token.
"""
import json
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c65f0aac9eda"
down_revision = "5eca0a1b2c3d"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MIGRATED_BY = "migration c65f0aac9eda (identifier held before domains were verified)"


def _as_list(value):
    if isinstance(value, str):  # SQLite hands JSON back as text
        value = json.loads(value or "[]")
    return [str(v).strip() for v in (value or []) if str(v).strip()]  # as Cognito holds them


def _drop_tenants_column(name):
    """SQLite (3.35+) drops the column in place: a batch copy would DROP TABLE tenants, which the
    foreign keys of runs, links and claims refuse while they are enforced."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE tenants DROP COLUMN {name}")
    else:
        op.drop_column("tenants", name)


def upgrade():
    op.create_table(
        "tenant_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("legacy", sa.Boolean(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=300), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_result", sa.String(length=300), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=300), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "domain", name="uq_tenant_domains_tenant_domain"),
    )
    op.create_index("ix_tenant_domains_tenant_id", "tenant_domains", ["tenant_id"])
    op.create_index("ix_tenant_domains_domain", "tenant_domains", ["domain"])
    op.create_index("ix_tenant_domains_checked_at", "tenant_domains", ["checked_at"])
    op.create_index(
        "uq_tenant_domains_verified_domain",
        "tenant_domains",
        ["domain"],
        unique=True,
        postgresql_where=sa.text("state = 'verified'"),
        sqlite_where=sa.text("state = 'verified'"),
    )
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("domain_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("domains_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_tenants_domains_changed_at", ["domains_changed_at"])

    connection = op.get_bind()
    tenants = sa.table(
        "tenants",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("provider_created", sa.Boolean()),
        sa.column("idp_identifiers", JSON),
        sa.column("domain_token", sa.String()),
    )
    domains = sa.table(
        "tenant_domains",
        sa.column("tenant_id", sa.Integer()),
        sa.column("domain", sa.String()),
        sa.column("state", sa.String()),
        sa.column("legacy", sa.Boolean()),
        sa.column("claimed_at", sa.DateTime(timezone=True)),
        sa.column("claimed_by", sa.String()),
    )
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as portal.models.types.UTCDateTime stores it
    rows = connection.execute(
        sa.select(tenants.c.id, tenants.c.status, tenants.c.provider_created, tenants.c.idp_identifiers)
    ).all()
    for tenant_id, status, provider_created, identifiers in rows:
        names = list(dict.fromkeys(_as_list(identifiers)))
        if not names or status == "offboarded":
            continue  # an offboarded tenant's provider is gone: nothing to keep or block
        for name in names:
            connection.execute(
                domains.insert().values(
                    tenant_id=tenant_id,
                    domain=name[:64],
                    state="unverified",
                    legacy=bool(provider_created),
                    claimed_at=now,
                    claimed_by=MIGRATED_BY,
                )
            )
        connection.execute(
            tenants.update()
            .where(tenants.c.id == tenant_id)
            .values(domain_token=secrets.token_hex(16))
        )
    _drop_tenants_column("idp_identifiers")


def downgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("idp_identifiers", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT tenant_id, domain FROM tenant_domains "
            "WHERE state = 'verified' OR legacy ORDER BY tenant_id, domain"
        )
    ).all()
    held = {}
    for tenant_id, domain in rows:
        held.setdefault(tenant_id, []).append(domain)
    tenants = sa.table("tenants", sa.column("id", sa.Integer()), sa.column("idp_identifiers", JSON))
    for tenant_id, names in held.items():
        connection.execute(
            tenants.update().where(tenants.c.id == tenant_id).values(idp_identifiers=names)
        )
    op.drop_index("ix_tenants_domains_changed_at", table_name="tenants")
    _drop_tenants_column("domains_changed_at")
    _drop_tenants_column("domain_token")
    op.drop_index("uq_tenant_domains_verified_domain", table_name="tenant_domains")
    op.drop_index("ix_tenant_domains_checked_at", table_name="tenant_domains")
    op.drop_index("ix_tenant_domains_domain", table_name="tenant_domains")
    op.drop_index("ix_tenant_domains_tenant_id", table_name="tenant_domains")
    op.drop_table("tenant_domains")
