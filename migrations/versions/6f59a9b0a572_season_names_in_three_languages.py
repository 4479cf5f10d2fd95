"""season names in Spanish, Portuguese and English

`season.name` stays the unique name administrators and the command line use; `name_es`,
`name_pt` and `name_en` are what learners, certificates and reports show in each language,
and start as today's name.

Revision ID: 6f59a9b0a572
Revises: 9e2f4c7a1b35
Create Date: 2026-12-03 08:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


revision = '6f59a9b0a572'
down_revision = '9e2f4c7a1b35'
branch_labels = None
depends_on = None

LANGUAGES = ('es', 'pt', 'en')
# SQLite rebuilds the table to change a column: the rebuilt one must still never reuse ids.
KEEP = {'table_kwargs': {'sqlite_autoincrement': True}}


def upgrade():
    with op.batch_alter_table('season', **KEEP) as batch:
        for language in LANGUAGES:
            batch.add_column(sa.Column(f'name_{language}', sa.String(120), nullable=True))
    op.execute('UPDATE season SET name_es = name, name_pt = name, name_en = name')
    with op.batch_alter_table('season', **KEEP) as batch:
        for language in LANGUAGES:
            batch.alter_column(f'name_{language}', existing_type=sa.String(120), nullable=False)


def downgrade():
    with op.batch_alter_table('season', **KEEP) as batch:
        for language in reversed(LANGUAGES):
            batch.drop_column(f'name_{language}')
