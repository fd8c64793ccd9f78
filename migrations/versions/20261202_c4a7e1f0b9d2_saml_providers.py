"""saml providers: provider type, e-mail attribute, SAML metadata, options and certificate expiry

Revision ID: c4a7e1f0b9d2
Revises: c65f0aac9eda
Create Date: 2026-12-02 17:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c4a7e1f0b9d2"
down_revision = "c65f0aac9eda"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_type", sa.String(length=8), nullable=False,
                                      server_default="OIDC"))
        batch_op.add_column(sa.Column("email_attribute", sa.String(length=128), nullable=False,
                                      server_default="email"))
        batch_op.add_column(sa.Column("saml_metadata_url", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("saml_metadata_xml", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("saml_metadata_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("saml_entity_id", sa.String(length=1024), nullable=True))
        for flag in ("sign_requests", "encrypted_responses", "idp_signout", "idp_initiated"):
            batch_op.add_column(sa.Column(f"saml_{flag}", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
        batch_op.add_column(sa.Column("saml_cert_expires_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("saml_cert_reminded_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("saml_metadata_checked_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("retired_provider_name", sa.String(length=32),
                                      nullable=True))
        batch_op.add_column(sa.Column("former_provider_names", JSON, nullable=False,
                                      server_default="[]"))
        batch_op.create_index("ix_tenants_saml_entity_id", ["saml_entity_id"], unique=False)


def downgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_index("ix_tenants_saml_entity_id")
        for column in (
            "former_provider_names",
            "retired_provider_name",
            "saml_metadata_checked_at",
            "saml_cert_reminded_days",
            "saml_cert_expires_at",
            "saml_idp_initiated",
            "saml_idp_signout",
            "saml_encrypted_responses",
            "saml_sign_requests",
            "saml_entity_id",
            "saml_metadata_sha256",
            "saml_metadata_xml",
            "saml_metadata_url",
            "email_attribute",
            "provider_type",
        ):
            batch_op.drop_column(column)
