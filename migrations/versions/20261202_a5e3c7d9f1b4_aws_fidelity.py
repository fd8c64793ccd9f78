"""aws fidelity: the email_verified claim option; a client secret Cognito does not return

Revision ID: a5e3c7d9f1b4
Revises: c3e5a7f1b9d2
Create Date: 2026-12-02 17:00:00

email_verified_claim: the IdP claim mapped to Cognito's email_verified (NULL: not mapped, so
federated users stay unverified). client_secret_kept_encrypted: after a rotation, the secret the
portal supplied, kept encrypted only when DescribeUserPoolClient does not return it.
"""
from alembic import op
import sqlalchemy as sa

revision = "a5e3c7d9f1b4"
down_revision = "c3e5a7f1b9d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_claim", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("client_secret_kept_encrypted", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("client_secret_kept_encrypted")
        batch_op.drop_column("email_verified_claim")
