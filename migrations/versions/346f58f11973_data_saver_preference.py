"""data saver: a learner's preference for lessons without pictures until tapped

Revision ID: 346f58f11973
Revises: d703dd4f3353
Create Date: 2026-12-03 09:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '346f58f11973'
down_revision = 'd703dd4f3353'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_saver', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('data_saver')
