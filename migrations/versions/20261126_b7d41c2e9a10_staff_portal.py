"""staff portal: settings, wizard drafts, tenant list indexes

Revision ID: b7d41c2e9a10
Revises: 7a3c91d2e4b5
Create Date: 2026-11-26 04:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "b7d41c2e9a10"
down_revision = "7a3c91d2e4b5"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "portal_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_portal_settings")),
    )
    op.create_table(
        "wizard_drafts",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("include_roles", sa.Boolean(), nullable=False),
        sa.Column("idp_by_customer", sa.Boolean(), nullable=False),
        sa.Column("started_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_wizard_drafts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_wizard_drafts")),
    )
    # The tenants list sorts by these columns (id breaks ties) and pages through 10,000+ rows.
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.create_index("ix_tenants_name_id", ["name", "id"], unique=False)
        batch_op.create_index("ix_tenants_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_tenants_updated_at_id", ["updated_at", "id"], unique=False)
        batch_op.create_index("ix_tenants_status_name_id", ["status", "name", "id"], unique=False)
        batch_op.create_index("ix_tenants_pool_id_name_id", ["pool_id", "name", "id"], unique=False)
    # The tenant page's audit trail: one tenant's events, newest first.
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_tenant_id_id", ["tenant_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_tenant_id_id")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_index("ix_tenants_pool_id_name_id")
        batch_op.drop_index("ix_tenants_status_name_id")
        batch_op.drop_index("ix_tenants_updated_at_id")
        batch_op.drop_index("ix_tenants_created_at_id")
        batch_op.drop_index("ix_tenants_name_id")
    op.drop_table("wizard_drafts")
    op.drop_table("portal_settings")
