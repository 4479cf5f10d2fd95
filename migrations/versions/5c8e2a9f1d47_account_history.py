"""the person page's history: what staff did about a person, who and why

Revision ID: 5c8e2a9f1d47
Revises: 388ead7c9919
Create Date: 2026-12-03 09:40:00.000000

"""
import sqlalchemy as sa
from alembic import op



revision = '5c8e2a9f1d47'
down_revision = '388ead7c9919'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name=op.f('fk_account_action_actor_id_user_account'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_account_action_user_id_user_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_action')),
    )
    op.create_index(op.f('ix_account_action_user_id'), 'account_action', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_account_action_user_id'), table_name='account_action')
    op.drop_table('account_action')
