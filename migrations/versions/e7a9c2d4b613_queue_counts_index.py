"""queue counts index: the tutor queue's count per state read from an index alone

Revision ID: e7a9c2d4b613
Revises: d41c7e9a2f60
Create Date: 2026-12-03 14:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e7a9c2d4b613'
down_revision = 'd41c7e9a2f60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('capstone_submission', schema=None) as batch_op:
        batch_op.create_index('ix_capstone_submission_state_cohort', ['state', 'cohort_id'], unique=False)


def downgrade():
    with op.batch_alter_table('capstone_submission', schema=None) as batch_op:
        batch_op.drop_index('ix_capstone_submission_state_cohort')
