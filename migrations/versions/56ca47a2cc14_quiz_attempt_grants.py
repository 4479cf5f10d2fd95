"""quiz attempt grants: more attempts for one learner, with who, when and why

Revision ID: 56ca47a2cc14
Revises: 3b9e61c0d2a7
Create Date: 2026-12-03 08:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '56ca47a2cc14'
down_revision = '3b9e61c0d2a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quiz_attempt_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attempts BETWEEN 1 AND 10', name=op.f('ck_quiz_attempt_grant_attempts_in_range')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_quiz_attempt_grant_reason_given')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_quiz_attempt_grant_enrollment_id_enrollment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_quiz_attempt_grant_granted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['course_item.id'], name=op.f('fk_quiz_attempt_grant_item_id_course_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt_grant'))
    )
    with op.batch_alter_table('quiz_attempt_grant', schema=None) as batch_op:
        batch_op.create_index('uq_quiz_attempt_grant_number', ['enrollment_id', 'number'], unique=True)
        batch_op.create_index(batch_op.f('ix_quiz_attempt_grant_granted_by_id'), ['granted_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempt_grant_item_id'), ['item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('quiz_attempt_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_grant_item_id'))
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_grant_granted_by_id'))
        batch_op.drop_index('uq_quiz_attempt_grant_number')
    op.drop_table('quiz_attempt_grant')
