"""page versions: how often the rows each scope of visitor pages shows have changed

Revision ID: d41c7e9a2f60
Revises: 6b0d4e2f8a19
Create Date: 2026-12-03 13:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41c7e9a2f60'
down_revision = '6b0d4e2f8a19'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('page_version',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_page_version'))
    )


def downgrade():
    op.drop_table('page_version')
