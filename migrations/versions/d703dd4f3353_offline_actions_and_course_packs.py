"""offline: actions a device queued offline (one per idempotency key), printable course packs

Revision ID: d703dd4f3353
Revises: 190ccd999565
Create Date: 2026-12-03 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'd703dd4f3353'
down_revision = '190ccd999565'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offline_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('course_slug', sa.String(length=80), nullable=False),
    sa.Column('item_slug', sa.String(length=80), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('done', 'quiz', 'draft')", name=op.f('ck_offline_action_kind_known')),
    sa.CheckConstraint("outcome IN ('done', 'refused')", name=op.f('ck_offline_action_outcome_known')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_offline_action_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_action'))
    )
    with op.batch_alter_table('offline_action', schema=None) as batch_op:
        batch_op.create_index('uq_offline_action_user_key', ['user_id', 'key'], unique=True)

    op.create_table('course_pack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('file', sa.JSON(), nullable=False),
    sa.Column('package_hash', sa.String(length=64), nullable=False),
    sa.Column('rendered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_pack_course_id_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_pack'))
    )
    with op.batch_alter_table('course_pack', schema=None) as batch_op:
        batch_op.create_index('uq_course_pack_language', ['course_id', 'language'], unique=True)


def downgrade():
    op.drop_table('course_pack')
    op.drop_table('offline_action')
