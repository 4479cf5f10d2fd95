"""privacy: which version of the privacy notice each person accepted, and when

One row per person and notice version (unique), written when they register; it goes with the
account (ON DELETE CASCADE). Accounts made before this revision have no row: nobody is taken
to have accepted a notice they never saw.

Revision ID: 190ccd999565
Revises: 12c62de646dc
Create Date: 2026-12-03 08:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '190ccd999565'
down_revision = '12c62de646dc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'privacy_consent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('notice_version', sa.String(length=20), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user_account.id'],
            name=op.f('fk_privacy_consent_user_id_user_account'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_consent')),
    )
    with op.batch_alter_table('privacy_consent', schema=None) as batch_op:
        batch_op.create_index(
            'uq_privacy_consent_user_version', ['user_id', 'notice_version'], unique=True
        )


def downgrade():
    with op.batch_alter_table('privacy_consent', schema=None) as batch_op:
        batch_op.drop_index('uq_privacy_consent_user_version')
    op.drop_table('privacy_consent')
