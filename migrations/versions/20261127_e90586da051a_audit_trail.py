"""audit trail: keyset indexes, verification results, retention checkpoints and the cut

Revision ID: e90586da051a
Revises: 5e7a1c0d9b42
Create Date: 2026-11-27 09:00:00

Retention is the only way an audit event may ever be deleted. On PostgreSQL the append-only
trigger keeps refusing every UPDATE and every DELETE, except a DELETE made while the
transaction-local setting portal.audit_retention is 'cut' of an event that a recorded checkpoint
already covers. Only audit_retention_cut() (SECURITY DEFINER) sets that setting, and it refuses
to run without a checkpoint for the cut; so even a client that sets the setting itself can only
do what retention does, and the checkpoint it needs is in the chain too.
"""
from alembic import op
import sqlalchemy as sa

revision = "e90586da051a"
down_revision = "5e7a1c0d9b42"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

APPEND_ONLY_WITH_RETENTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('portal.audit_retention', true) = 'cut'
       AND OLD.id <= (SELECT max(last_removed_id) FROM audit_checkpoints) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY_ORIGINAL = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

RETENTION_CUT = """
CREATE FUNCTION audit_retention_cut(p_last_id bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    removed bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE last_removed_id = p_last_id) THEN
        RAISE EXCEPTION 'no retention checkpoint covers audit event %', p_last_id;
    END IF;
    PERFORM set_config('portal.audit_retention', 'cut', true);
    DELETE FROM audit_events WHERE id <= p_last_id;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('portal.audit_retention', '', true);
    RETURN removed;
END;
$$;
"""

CHECKPOINTS_APPEND_ONLY = """
CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def upgrade():
    op.create_table(
        "audit_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=300), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("events_checked", BIGINT, nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=True),
        sa.Column("head_event_id", BIGINT, nullable=True),
        sa.Column("problem_kind", sa.String(length=32), nullable=True),
        sa.Column("problem_event_id", BIGINT, nullable=True),
        sa.Column("problem_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verifications")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("last_removed_id", BIGINT, nullable=False),
        sa.Column("last_removed_hash", sa.String(length=64), nullable=False),
        sa.Column("last_removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed", BIGINT, nullable=False),
        sa.Column("removed_total", BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("last_removed_id", name=op.f("uq_audit_checkpoints_last_removed_id")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        # (tenant_id, id), made by the staff-portal migration, and (action, id) below serve
        # every lookup the single-column indexes did.
        batch_op.drop_index("ix_audit_events_tenant_id")
        batch_op.drop_index("ix_audit_events_action")
        batch_op.create_index("ix_audit_events_action_id", ["action", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_events_actor_label_id", ["actor_label", "id"], unique=False
        )
        batch_op.create_index("ix_audit_events_actor_type_id", ["actor_type", "id"], unique=False)
        batch_op.create_index("ix_audit_events_request_id", ["request_id"], unique=False)
    with op.batch_alter_table("cognito_calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cognito_calls_tenant_id_started_at", ["tenant_id", "started_at"], unique=False
        )
        batch_op.create_index("ix_cognito_calls_step_id", ["step_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_WITH_RETENTION)
        op.execute(RETENTION_CUT)
        op.execute(CHECKPOINTS_APPEND_ONLY)
        op.execute(
            "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE "
            "ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints")
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoints_append_only()")
        op.execute("DROP FUNCTION IF EXISTS audit_retention_cut(bigint)")
        op.execute(APPEND_ONLY_ORIGINAL)
    with op.batch_alter_table("cognito_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_cognito_calls_step_id")
        batch_op.drop_index("ix_cognito_calls_tenant_id_started_at")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_request_id")
        batch_op.drop_index("ix_audit_events_actor_type_id")
        batch_op.drop_index("ix_audit_events_actor_label_id")
        batch_op.drop_index("ix_audit_events_action_id")
        batch_op.create_index("ix_audit_events_action", ["action"], unique=False)
        batch_op.create_index("ix_audit_events_tenant_id", ["tenant_id"], unique=False)
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_verifications")
