"""item kinds from a registry: course_item.kind is a registered kind's name

The kinds of course item are no longer a fixed list in the schema: each area registers the
kinds it owns (app/catalog/kinds.py), and only validated packages write course_item.kind. The
CHECK constraint that listed the six kinds goes, and the column takes names up to 40
characters. Rows keep their values.

Revision ID: 7a1c2e9d4b10
Revises: c3ecdeb44f83
Create Date: 2026-12-02 22:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '7a1c2e9d4b10'
down_revision = 'c3ecdeb44f83'
branch_labels = None
depends_on = None

KINDS = ('lesson', 'quiz', 'resource', 'guide', 'study_visit', 'capstone')


def _enum():
    return sa.Enum(*KINDS, name='item_kind', native_enum=False, create_constraint=True, length=20)


def upgrade():
    # The enum's CHECK goes with its type, on both databases: on SQLite the table is rebuilt
    # without it, on PostgreSQL alter_column drops it (existing_type names it).
    with op.batch_alter_table('course_item', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_enum(), type_=sa.String(length=40),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('course_item', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=40), type_=_enum(),
                              existing_nullable=False)
