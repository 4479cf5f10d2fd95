"""cohorts opened early and cohort messages kept

cohort.opened_early_at / opened_early_by_id: an administrator opened a cohort's items before
its first day (when, and who: the audit of that one action); NULL for every existing cohort,
which opens on its first day.
cohort_message keeps each tutor's message to a cohort as it was mailed, so the learners'
course pages can show the latest one; it goes with its cohort (ON DELETE CASCADE).

Revision ID: b9df8f0b783a
Revises: 6f59a9b0a572
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9df8f0b783a'
down_revision = '6f59a9b0a572'
branch_labels = None
depends_on = None


# The cohort table keeps AUTOINCREMENT (5f3a9c1d7e20) when SQLite's batch mode rebuilds it.
COHORT = {'sqlite_autoincrement': True}


def upgrade():
    with op.batch_alter_table('cohort', schema=None, table_kwargs=COHORT) as batch_op:
        batch_op.add_column(sa.Column('opened_early_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('opened_early_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cohort_opened_early_by_id_user_account'), 'user_account', ['opened_early_by_id'], ['id'], ondelete='SET NULL')

    op.create_table('cohort_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_cohort_message_cohort_id_cohort'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['user_account.id'], name=op.f('fk_cohort_message_sender_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_message'))
    )
    with op.batch_alter_table('cohort_message', schema=None) as batch_op:
        batch_op.create_index('ix_cohort_message_cohort_sent', ['cohort_id', 'sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('cohort_message', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_message_cohort_sent')

    op.drop_table('cohort_message')
    with op.batch_alter_table('cohort', schema=None, table_kwargs=COHORT) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cohort_opened_early_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('opened_early_by_id')
        batch_op.drop_column('opened_early_at')
