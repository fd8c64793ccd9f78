"""lifecycle: secret rotation and expiry, offboarding, drift findings, pool moves

Revision ID: 7a3c91d2e4b5
Revises: e2f7b2aac3f9
Create Date: 2026-11-26 05:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "7a3c91d2e4b5"
down_revision = "e2f7b2aac3f9"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idp_secret_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("idp_secret_reminded_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("secret_rotation_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("new_client_secret_encrypted", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("new_client_secret_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("old_client_secret_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("secret_rotation_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("remove_federated_users", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("offboarded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("drift_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("drift_detected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pending_changes_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_tenants_drift_checked_at", ["drift_checked_at"])

    op.create_table(
        "drift_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=128), nullable=True),
        sa.Column("live_value", JSON, nullable=True),
        sa.Column("desired_value", JSON, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_drift_findings_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_findings")),
    )
    with op.batch_alter_table("drift_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drift_findings_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_drift_findings_status"), ["status"], unique=False)

    op.create_table(
        "tenant_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("from_pool_id", sa.Integer(), nullable=False),
        sa.Column("to_pool_id", sa.Integer(), nullable=False),
        sa.Column("old_client_id", sa.String(length=128), nullable=True),
        sa.Column("old_client_name", sa.String(length=128), nullable=False),
        sa.Column("old_branding_id", sa.String(length=64), nullable=True),
        sa.Column("old_provider_name", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_by", sa.String(length=300), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_tenant_moves_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["from_pool_id"], ["user_pools.id"],
                                name=op.f("fk_tenant_moves_from_pool_id_user_pools")),
        sa.ForeignKeyConstraint(["to_pool_id"], ["user_pools.id"],
                                name=op.f("fk_tenant_moves_to_pool_id_user_pools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_moves")),
    )
    with op.batch_alter_table("tenant_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_moves_tenant_id"), ["tenant_id"], unique=False)


def downgrade():
    with op.batch_alter_table("tenant_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_moves_tenant_id"))
    op.drop_table("tenant_moves")
    with op.batch_alter_table("drift_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drift_findings_status"))
        batch_op.drop_index(batch_op.f("ix_drift_findings_tenant_id"))
    op.drop_table("drift_findings")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_index("ix_tenants_drift_checked_at")
        for column in ("pending_changes_since", "drift_detected_at", "drift_checked_at", "offboarded_at",
                       "remove_federated_users", "secret_rotation_started_at",
                       "old_client_secret_id", "new_client_secret_id",
                       "new_client_secret_encrypted", "secret_rotation_state",
                       "idp_secret_reminded_days", "idp_secret_expires_at"):
            batch_op.drop_column(column)
