"""adopt hand-made tenants: the configuration found in Cognito, kept as the desired state

Revision ID: a7d0c3e1f2b4
Revises: a5e3c7d9f1b4
Create Date: 2026-12-02 16:50:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "a7d0c3e1f2b4"
down_revision = "a5e3c7d9f1b4"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("adopted_config", JSON, nullable=True))
        batch.add_column(sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("adopted_at")
        batch.drop_column("adopted_config")
