"""certificates' Open Badges credentials: a status list place per certificate, signed lists

Each certificate gets `credential_status_index` (its place in the Bitstring Status Lists,
drawn when its first credential is signed; unique), and `credential_status_list` keeps each
signed status list credential as served. Certificates issued before have no place until their
next edition is rendered (`flask certificates issue --season ... --again` re-issues them).

Revision ID: 16fccb9fa835
Revises: 4d3b1e4db612
Create Date: 2026-12-03 08:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '16fccb9fa835'
down_revision = '4d3b1e4db612'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_status_index', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_certificate_credential_status_index'), ['credential_status_index']
        )
    op.create_table(
        'credential_status_list',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('credential', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_status_list')),
    )


def downgrade():
    op.drop_table('credential_status_list')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_certificate_credential_status_index'), type_='unique'
        )
        batch_op.drop_column('credential_status_index')
