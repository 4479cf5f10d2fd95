"""institution names in Spanish, Portuguese and English

`institution.name` (English) becomes `name_en`, beside new `name_es` and `name_pt`, which
start as the English name; `flask institutions load` (run by `make run` and the demo) then
writes the network's institutions' own official names in each language.

Revision ID: 3b9e61c0d2a7
Revises: e4a7c1f92d3b
Create Date: 2026-12-03 08:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


revision = '3b9e61c0d2a7'
down_revision = 'e4a7c1f92d3b'
branch_labels = None
depends_on = None


def upgrade():
    op.execute('ALTER TABLE institution RENAME COLUMN name TO name_en')
    with op.batch_alter_table('institution') as batch:
        batch.add_column(sa.Column('name_es', sa.String(200), nullable=True))
        batch.add_column(sa.Column('name_pt', sa.String(200), nullable=True))
    op.execute('UPDATE institution SET name_es = name_en, name_pt = name_en')
    with op.batch_alter_table('institution') as batch:
        batch.alter_column('name_es', existing_type=sa.String(200), nullable=False)
        batch.alter_column('name_pt', existing_type=sa.String(200), nullable=False)


def downgrade():
    with op.batch_alter_table('institution') as batch:
        batch.drop_column('name_pt')
        batch.drop_column('name_es')
    op.execute('ALTER TABLE institution RENAME COLUMN name_en TO name')
