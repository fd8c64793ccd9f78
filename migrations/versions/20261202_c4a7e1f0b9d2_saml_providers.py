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


class _Tenants:
    """The table's column and index operations, each a plain statement."""

    def add_column(self, column):
        op.add_column("tenants", column)

    def drop_column(self, name):
        op.drop_column("tenants", name)

    def create_index(self, name, columns, unique=False):
        op.create_index(name, "tenants", columns, unique=unique)

    def drop_index(self, name):
        op.drop_index(name, table_name="tenants")


# Plain ALTER TABLE, not a batch copy: SQLite adds (and, from 3.35, drops) columns in place, while
# copying `tenants` is refused by the foreign keys of the tables that point at it.
def upgrade():
    tenants = _Tenants()
    tenants.add_column(sa.Column("provider_type", sa.String(length=8), nullable=False,
                                  server_default="OIDC"))
    tenants.add_column(sa.Column("email_attribute", sa.String(length=128), nullable=False,
                                  server_default="email"))
    tenants.add_column(sa.Column("saml_metadata_url", sa.String(length=2048), nullable=True))
    tenants.add_column(sa.Column("saml_metadata_xml", sa.Text(), nullable=True))
    tenants.add_column(sa.Column("saml_metadata_sha256", sa.String(length=64), nullable=True))
    tenants.add_column(sa.Column("saml_entity_id", sa.String(length=1024), nullable=True))
    for flag in ("sign_requests", "encrypted_responses", "idp_signout", "idp_initiated"):
        tenants.add_column(sa.Column(f"saml_{flag}", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    tenants.add_column(sa.Column("saml_cert_expires_at", sa.DateTime(timezone=True),
                                  nullable=True))
    tenants.add_column(sa.Column("saml_cert_reminded_days", sa.Integer(), nullable=True))
    tenants.add_column(sa.Column("saml_metadata_checked_at", sa.DateTime(timezone=True),
                                  nullable=True))
    tenants.add_column(sa.Column("retired_provider_name", sa.String(length=32),
                                  nullable=True))
    tenants.add_column(sa.Column("former_provider_names", JSON, nullable=False,
                                  server_default="[]"))
    tenants.create_index("ix_tenants_saml_entity_id", ["saml_entity_id"], unique=False)


def downgrade():
    tenants = _Tenants()
    tenants.drop_index("ix_tenants_saml_entity_id")
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
        tenants.drop_column(column)
