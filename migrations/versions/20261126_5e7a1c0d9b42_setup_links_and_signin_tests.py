"""setup links and test sign-ins

Revision ID: 5e7a1c0d9b42
Revises: b7c41d9a2e10
Create Date: 2026-11-26 12:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '5e7a1c0d9b42'
down_revision = 'b7c41d9a2e10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('setup_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=300), nullable=True),
    sa.Column('revoke_reason', sa.String(length=64), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submissions', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_to', sa.String(length=254), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_setup_links_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setup_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_setup_links_token_hash'))
    )
    with op.batch_alter_table('setup_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_setup_links_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('uq_setup_links_one_active_per_tenant', ['tenant_id'], unique=True,
                              postgresql_where=sa.text('revoked_at IS NULL'),
                              sqlite_where=sa.text('revoked_at IS NULL'))

    op.create_table('signin_tests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('setup_link_id', sa.Integer(), nullable=True),
    sa.Column('actor_type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('actor_label', sa.String(length=300), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.Column('code_verifier_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('return_token_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('client_id', sa.String(length=128), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('claims', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('error_code', sa.String(length=128), nullable=True),
    sa.Column('error_description', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['setup_link_id'], ['setup_links.id'], name=op.f('fk_signin_tests_setup_link_id_setup_links')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_signin_tests_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_tests')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_signin_tests_state_hash'))
    )
    with op.batch_alter_table('signin_tests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_tests_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signin_tests_outcome'), ['outcome'], unique=False)


def downgrade():
    with op.batch_alter_table('signin_tests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_tests_outcome'))
        batch_op.drop_index(batch_op.f('ix_signin_tests_tenant_id'))
    op.drop_table('signin_tests')
    with op.batch_alter_table('setup_links', schema=None) as batch_op:
        batch_op.drop_index('uq_setup_links_one_active_per_tenant')
        batch_op.drop_index(batch_op.f('ix_setup_links_tenant_id'))
    op.drop_table('setup_links')
